"""The body of a worker process of the process executor.

Runs in a spawned child: warms up imports, then runs the jobs the app sends
over its pipe until told to stop.  Only the app talks to that pipe.
"""

from __future__ import annotations

import ctypes
import importlib
import json
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
from workbench.engine.jobs.handle import JobState, failure_from, Outcome, execute_job
from workbench.engine.jobs.threads import thread_env


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


WORKER_NICENESS = 10

# What crosses the worker pipe, by exact name.  The pipe is private to the app
# and its worker, but a pickle names callables, and unpickling calls them: so
# neither side rebuilds anything but plain data and the exact classes below
# (no prefixes: "numpy." alone would admit numpy.load, "workbench." every
# helper).  Jobs go as (JSON header, pickled job); the job's own class is
# named in the header and must be the payload's top-level object.
_PLAIN_BUILTINS = frozenset(
    {"dict", "list", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes",
     "bytearray", "complex"}
)
_NUMPY_SCALARS = frozenset({
    ("numpy", "dtype"),
    ("numpy._core.multiarray", "scalar"),  # numpy >= 2
    ("numpy.core.multiarray", "scalar"),  # numpy < 2
})
#: Data classes a job may hold: its spec and what a spec holds.
JOB_DATA_TYPES = frozenset({
    ("workbench.engine.spec", "RunSpec"),
    ("workbench.engine.spec", "ColumnPrep"),
    ("workbench.engine.tuning.space", "ParamRange"),
    ("pathlib", "PosixPath"),
    ("pathlib", "WindowsPath"),
    ("pathlib", "PurePosixPath"),
    ("pathlib", "PureWindowsPath"),
    ("pathlib._local", "PosixPath"),  # Python >= 3.13
    ("pathlib._local", "WindowsPath"),
    ("pathlib._local", "PurePosixPath"),
    ("pathlib._local", "PureWindowsPath"),
    ("collections", "OrderedDict"),
}) | _NUMPY_SCALARS


class _ExactUnpickler(pickle.Unpickler):
    """Rebuilds plain data and the exact (module, name) pairs it is given."""

    def __init__(self, data: bytes, allowed: frozenset[tuple[str, str]], what: str) -> None:
        import io

        super().__init__(io.BytesIO(data))
        self._allowed = allowed
        self._what = what

    def find_class(self, module: str, name: str) -> Any:
        if not ((module == "builtins" and name in _PLAIN_BUILTINS) or (module, name) in self._allowed):
            raise pickle.UnpicklingError(f"{self._what} may not contain {module}.{name}")
        return super().find_class(module, name)


def load_job(payload: bytes, job_module: str, job_class: str | None = None) -> Any:
    """Rebuild a job sent by the app: an instance of exactly ``job_module.job_class``
    holding only plain data and :data:`JOB_DATA_TYPES`.

    ``job_class`` None (older callers) allows any class of ``job_module``.
    """
    if job_class is None:
        allowed_job = lambda module, name: module == job_module  # noqa: E731
    else:
        allowed_job = lambda module, name: (module, name) == (job_module, job_class)  # noqa: E731

    class _JobUnpickler(_ExactUnpickler):
        def find_class(self, module: str, name: str) -> Any:
            if allowed_job(module, name):
                return pickle.Unpickler.find_class(self, module, name)
            return super().find_class(module, name)

    job = _JobUnpickler(payload, JOB_DATA_TYPES, "a job").load()
    kind = type(job)
    if not allowed_job(kind.__module__, kind.__qualname__) or not hasattr(job, "run"):
        raise pickle.UnpicklingError(f"a job payload must be a {job_module} job, not {kind.__qualname__}")
    return job


def load_worker_message(data: bytes) -> Any:
    """A message from a worker (events, results): plain data and numpy scalars only."""
    return _ExactUnpickler(data, _NUMPY_SCALARS, "a worker message").load()


def job_message(job_id: str, payload: bytes, job: Any) -> bytes:
    """The bytes the app sends a worker for one job: a JSON header line, then the pickle."""
    kind = type(job)
    header = {"kind": "job", "id": job_id, "module": kind.__module__, "class": kind.__qualname__}
    return json.dumps(header).encode() + b"\n" + payload


STOP_MESSAGE = json.dumps({"kind": "stop"}).encode() + b"\n"


def worker_main(
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
    token = SharedCancelToken(cancel_flag)
    send_lock = threading.Lock()  # jobs may emit from their own threads
    while True:
        try:
            data = conn.recv_bytes()  # bytes, never an unpickled message
        except (EOFError, OSError):
            return  # the app went away
        header_line, _, payload = data.partition(b"\n")
        try:
            header = json.loads(header_line)
        except ValueError:
            return
        if not isinstance(header, dict) or header.get("kind") != "job":
            return
        job_id, job_module, job_class = str(header["id"]), str(header["module"]), str(header["class"])

        def emit(event: Event, job_id: str = job_id) -> None:
            with send_lock:
                _send(conn, ("event", job_id, event.to_dict()))

        try:
            job = load_job(payload, job_module, job_class)
        except Exception as exc:
            failure = failure_from(exc)
            failure = Failure(
                message=f"Unexpected error: the job could not be loaded in the worker process "
                f"({type(exc).__name__}: {exc})",
                error_type=failure.error_type,
                traceback=failure.traceback,
            )
            emit(failure)
            outcome = Outcome(JobState.FAILED, failure=failure)
        else:
            outcome = execute_job(job, emit, token, threads)
        failure_dict = outcome.failure.to_dict() if outcome.failure else None
        with send_lock:
            try:
                _send(conn, ("done", job_id, outcome.state.value, outcome.result, failure_dict))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                failure = failure_from(exc)
                _send(conn, ("done", job_id, JobState.FAILED.value, None, failure.to_dict()))


def _send(conn: multiprocessing.connection.Connection, message: tuple[Any, ...]) -> None:
    """Send to the app; if the app has gone (a CLI exits at once after Ctrl-C),
    leave quietly instead of printing a BrokenPipeError traceback on its terminal."""
    try:
        conn.send(message)
    except OSError:
        os._exit(0)


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


