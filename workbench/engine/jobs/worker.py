"""A worker process of the process executor: its body, and the app's record of it.

:func:`worker_main` runs in a spawned child: warms up imports, then runs the
jobs the app sends over its pipe until told to stop.  :class:`WorkerProcess`
is the parent's side (the process, its pipe, its cancel flag, the job it
runs).  Only the app talks to that pipe, and only
in JSON (:mod:`~workbench.engine.jobs.wire`): a job arrives as its kind and
spec and is rebuilt from the registry of job kinds, so a message naming any
other class is refused in one line and the worker carries on.
"""

from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.util  # registers its exit handler before ours (atexit is LIFO)
import os
import signal
import threading
from typing import Any

from workbench.engine.errors import Cancelled
from workbench.engine.jobs.events import CancelToken, Event, Failure
from workbench.engine.jobs.handle import JobHandle, JobState, failure_from, Outcome, execute_job
from workbench.engine.jobs.kinds import ENGINE_JOB_KINDS, JobKinds, RefusedJob
from workbench.engine.jobs.pages import keep_numpy_off_huge_pages
from workbench.engine.jobs.threads import BACKGROUND_NICENESS, thread_env
from workbench.engine.jobs.wire import NotPlainData, decode, encode


class SharedCancelToken(CancelToken):
    """A CancelToken backed by a byte of shared memory the parent writes.

    Shared memory without a lock on purpose: the parent may kill the worker
    at any moment, and a lock held by a dead process would block the parent.
    """

    def __init__(self, flag: Any) -> None:
        super().__init__()
        self._flag = flag

    def cancel(self) -> None:
        self._flag.value = 1

    @property
    def cancelled(self) -> bool:
        return bool(self._flag.value)

    def check(self) -> None:
        if self._flag.value:
            raise Cancelled()


def _die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL this worker when the app dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


WORKER_NICENESS = BACKGROUND_NICENESS


def job_message(job_id: str, job: dict[str, Any]) -> bytes:
    """The bytes the app sends a worker for one job: its ``{"kind", "spec"}`` as JSON."""
    return encode({"type": "job", "id": job_id, "job": job})


STOP_MESSAGE = encode({"type": "stop"})


def worker_main(
    conn: multiprocessing.connection.Connection,
    cancel_flag: Any,
    threads: int,
    warm_imports: tuple[str, ...],
    parent_pid: int,
    job_kinds: dict[str, str],
) -> None:
    """Body of a worker process: warm up, then run jobs until told to stop.

    ``job_kinds`` (kind -> "module:Class") are the only jobs it will build.
    """
    # Ctrl+C in a terminal reaches the whole process group; only the app
    # decides what to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    # A lower priority keeps the app responsive: on 2 cores an all-core fit
    # otherwise leaves the GUI thread runnable but without a core for
    # 200+ ms (bench/gui_responsiveness.py).  Fits still get every idle cycle.
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass
    # Before numpy & co. are imported, so their thread pools start capped.
    os.environ.update(thread_env(threads))
    keep_numpy_off_huge_pages()  # their faults slowed the window (jobs/pages.py)
    for name in warm_imports:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    kinds = JobKinds(job_kinds)
    _send(conn, {"type": "ready", "pid": os.getpid()})
    token = SharedCancelToken(cancel_flag)
    send_lock = threading.Lock()  # jobs may emit from their own threads
    while True:
        try:
            data = conn.recv_bytes()  # bytes: JSON, never a pickle
        except (EOFError, OSError):
            return  # the app went away
        try:
            message = decode(data)
        except ValueError:
            return  # not the app: nothing to answer
        if message.get("type") != "job":
            return  # "stop", or anything else
        job_id = str(message.get("id"))

        def emit(event: Event, job_id: str = job_id) -> None:
            with send_lock:
                _send(conn, {"type": "event", "id": job_id, "event": event.to_dict()})

        try:
            job = kinds.build(message.get("job"))
        except Exception as exc:  # RefusedJob, or a spec its class refuses
            failure = failure_from(exc)
            text = str(exc) if isinstance(exc, RefusedJob) else failure.message
            failure = Failure(message=text, error_type=failure.error_type, traceback=failure.traceback)
            emit(failure)
            outcome = Outcome(JobState.FAILED, failure=failure)
        else:
            outcome = execute_job(job, emit, token, threads)
        failure_dict = outcome.failure.to_dict() if outcome.failure else None
        with send_lock:
            try:
                _send(conn, {"type": "done", "id": job_id, "state": outcome.state.value,
                             "result": outcome.result, "failure": failure_dict})
            except NotPlainData as exc:  # the Result event went, so this cannot happen; but never hang
                failure = Failure(message=str(exc), error_type="UnsafeWorkerMessage")
                _send(conn, {"type": "done", "id": job_id, "state": JobState.FAILED.value, "result": None,
                             "failure": failure.to_dict()})


def _send(conn: multiprocessing.connection.Connection, message: dict[str, Any]) -> None:
    """Send to the app; if the app has gone (a CLI exits at once after Ctrl-C),
    leave quietly instead of printing a BrokenPipeError traceback on its terminal.

    NotPlainData if the message holds something other than plain data.
    """
    data = encode(message)
    try:
        conn.send_bytes(data)
    except OSError:
        os._exit(0)


class WorkerProcess:
    """The app's record of one worker process (owned by the executor's dispatcher thread)."""

    def __init__(self, mp: Any, threads: int, warm_imports: tuple[str, ...], index: int,
                 kinds: JobKinds = ENGINE_JOB_KINDS) -> None:
        self.cancel_flag = mp.RawValue("b", 0)
        self.conn, child_conn = mp.Pipe(duplex=True)
        self.process = mp.Process(
            target=worker_main,
            args=(child_conn, self.cancel_flag, threads, warm_imports, os.getpid(), kinds.names),
            name=f"workbench-worker-{index}",
            # Not daemonic: daemonic processes may not start children, and
            # joblib (n_jobs > 1 in scikit-learn) needs to.
            daemon=False,
        )
        self.process.start()
        child_conn.close()
        self.pid: int = self.process.pid
        self.ready = False
        self.conn_open = True
        self.handle: JobHandle | None = None
        self.sampler: Any = None
        self.cancel_deadline: float | None = None
        self.kill_deadline: float | None = None
        self.next_sample = 0.0
        self.next_memory_check = 0.0
        # Set when the parent stops the worker on purpose: (state, type, message).
        self.stop_reason: tuple[JobState, str, str] | None = None

    def signal_tree(self, sig: int) -> None:
        """Send ``sig`` to the worker and SIGKILL to its children (joblib pools)."""
        import psutil

        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            children = []
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass



def death_message(exitcode: int | None) -> tuple[str, str]:
    """(error_type, message) for a worker that died while running a job."""
    if exitcode is not None and exitcode < 0:
        try:
            sig = signal.Signals(-exitcode)
        except ValueError:
            return "WorkerCrashed", f"The worker process crashed (signal {-exitcode})."
        if sig is signal.SIGKILL:
            return (
                "WorkerKilled",
                "The worker process was killed (SIGKILL) — possibly out of memory. "
                "The app is fine; try fewer rows or a lighter model.",
            )
        return (
            "WorkerCrashed",
            f"The worker process crashed (signal {sig.name}: {signal.strsignal(sig)}). "
            "The app is fine; the next job starts in a fresh worker.",
        )
    return (
        "WorkerCrashed",
        f"The worker process exited unexpectedly (exit code {exitcode}).",
    )


