"""The body of a worker process of the process executor.

Runs in a spawned child: warms up imports, then runs the jobs the app sends
over its pipe until told to stop.  Only the app talks to that pipe.
"""

from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.util  # registers its exit handler before ours (atexit is LIFO)
import os
import pickle
import signal
import threading
from typing import Any

from workbench.engine.errors import Cancelled
from workbench.engine.jobs.events import CancelToken, Event, Failure
from workbench.engine.jobs.handle import JobState, _failure_from, _Outcome, execute_job
from workbench.engine.jobs.threads import thread_env


class _SharedCancelToken(CancelToken):
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


WORKER_NICENESS = 10

# What a job payload may be built from.  The payload comes only from the app
# that spawned this worker, over a private pipe (never from a file), but a
# job is data plus a class: refusing anything else means even a tampered
# payload cannot name os.system or the like.
_SAFE_BUILTINS = frozenset(
    {"dict", "list", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes",
     "bytearray", "complex", "slice", "range"}
)
_SAFE_MODULE_PREFIXES = ("workbench.", "pathlib", "collections", "datetime", "copyreg", "numpy", "pandas")


class _JobUnpickler(pickle.Unpickler):
    def __init__(self, file: Any, job_module: str) -> None:
        super().__init__(file)
        self._job_module = job_module

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins":
            allowed = name in _SAFE_BUILTINS
        else:
            allowed = module == self._job_module or module.startswith(_SAFE_MODULE_PREFIXES)
        if not allowed:
            raise pickle.UnpicklingError(f"a job may not contain {module}.{name}")
        return super().find_class(module, name)


def load_job(payload: bytes, job_module: str) -> Any:
    """Rebuild a job sent by the app, allowing only its own class and plain data."""
    import io

    return _JobUnpickler(io.BytesIO(payload), job_module).load()


def _worker_main(
    conn: multiprocessing.connection.Connection,
    cancel_flag: Any,
    threads: int,
    warm_imports: tuple[str, ...],
    parent_pid: int,
) -> None:
    """Body of a worker process: warm up, then run jobs until told to stop."""
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
    for name in warm_imports:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    conn.send(("ready", os.getpid()))
    token = _SharedCancelToken(cancel_flag)
    send_lock = threading.Lock()  # jobs may emit from their own threads
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the app went away
        if message[0] != "job":
            return
        _, job_id, payload, job_module = message

        def emit(event: Event, job_id: str = job_id) -> None:
            with send_lock:
                conn.send(("event", job_id, event.to_dict()))

        try:
            job = load_job(payload, job_module)
        except Exception as exc:
            failure = _failure_from(exc)
            failure = Failure(
                message=f"Unexpected error: the job could not be loaded in the worker process "
                f"({type(exc).__name__}: {exc})",
                error_type=failure.error_type,
                traceback=failure.traceback,
            )
            emit(failure)
            outcome = _Outcome(JobState.FAILED, failure=failure)
        else:
            outcome = execute_job(job, emit, token, threads)
        failure_dict = outcome.failure.to_dict() if outcome.failure else None
        with send_lock:
            try:
                conn.send(("done", job_id, outcome.state.value, outcome.result, failure_dict))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                failure = _failure_from(exc)
                conn.send(("done", job_id, JobState.FAILED.value, None, failure.to_dict()))


def _death_message(exitcode: int | None) -> tuple[str, str]:
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


