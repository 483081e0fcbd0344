"""Run jobs in the calling thread or in worker processes, with one event stream.

A *job* is any picklable object with ``title: str`` and ``run(ctx) -> dict``
(a JSON-safe result); training jobs also carry ``project_root`` and
``run_id``.  An executor runs it and hands back a :class:`JobHandle`; every
event the job reports reaches the ``on_event`` callback, followed by exactly
one final :class:`~workbench.engine.events.Result` (completed) or
:class:`~workbench.engine.events.Failure` (failed), or a warning
:class:`~workbench.engine.events.Log` (cancelled).

* :class:`InlineExecutor` runs the job in the calling thread (CLI, tests, or
  a GUI worker thread).  Cancelling is cooperative only.
* :class:`ProcessExecutor` runs each job in a warm worker process, so a fit
  stuck in a long C call can be stopped, a crashing library cannot take the
  application down, and heavy Python work does not stall the GUI through the
  GIL.  Cancel sets a flag the job polls; a job that has not stopped after
  ``cancel_grace`` seconds loses its worker (SIGTERM, then SIGKILL) and a
  fresh worker replaces it.

Both executors run jobs inside :func:`~workbench.engine.threads.cap_threads`
so that concurrent jobs never oversubscribe the cores.
"""

from __future__ import annotations

import atexit
import ctypes
import enum
import importlib
import itertools
import json
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.util  # registers its exit handler before ours (atexit is LIFO)
import os
import pickle
import signal
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from . import errors
from .errors import Cancelled, WorkbenchError
from .events import CancelToken, Event, Failure, JobContext, Log, Result, event_from_dict
from .threads import cap_threads, default_threads_per_job, thread_env

__all__ = [
    "Job",
    "JobState",
    "JobHandle",
    "JobFailed",
    "InlineExecutor",
    "ProcessExecutor",
    "DEFAULT_WARM_IMPORTS",
]

log = logging.getLogger(__name__)

EventCallback = Callable[[Event], None]
DoneCallback = Callable[["JobHandle"], None]

#: Modules a worker imports before it says it is ready, so that a job starts
#: without paying seconds of imports (FINDINGS.md: sklearn 1.5 s, xgboost
#: 1.7 s).  Missing ones are skipped.
DEFAULT_WARM_IMPORTS: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "sklearn.base",
    "sklearn.pipeline",
    "sklearn.compose",
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.linear_model",
    "sklearn.ensemble",
    "sklearn.metrics",
    "xgboost",
    "skops.io",
    "workbench.engine.project",
    "workbench.engine.training",
    "workbench.engine.evaluation",
)


class Job(Protocol):
    """What an executor can run."""

    title: str

    def run(self, ctx: JobContext) -> dict[str, Any]: ...


class JobState(enum.StrEnum):
    """Life cycle of a job: queued -> running (-> cancelling) -> a final state."""

    QUEUED = "queued"
    RUNNING = "running"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


class JobFailed(WorkbenchError):
    """A job failed with an error that is not one of the WorkbenchError types.

    ``failure`` is the job's :class:`Failure` event (message, type, traceback).
    """

    def __init__(self, message: str, failure: Failure | None = None) -> None:
        super().__init__(message)
        self.failure = failure


# -- the handle ---------------------------------------------------------------
_job_ids = itertools.count(1)


class JobHandle:
    """A submitted job: its state, events, result, and a way to cancel it.

    Thread-safe.  Callbacks (``on_event``, done callbacks) run on the thread
    that executes (inline) or dispatches (process) the job; a GUI wraps them
    into Qt signals.

    Attributes
    ----------
    id : str
        Unique within this application session ("job-7").
    title : str
        The job's title, for the jobs panel.
    run_id : str or None
        The run the job writes, for training jobs.
    """

    def __init__(
        self,
        job: Job,
        on_event: EventCallback | None,
        on_done: DoneCallback | None,
        canceller: Callable[["JobHandle"], None],
    ) -> None:
        self.id = f"job-{next(_job_ids)}"
        self.title = str(getattr(job, "title", type(job).__name__))
        self.run_id: str | None = getattr(job, "run_id", None)
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._job = job
        self._cond = threading.Condition(threading.RLock())
        self._state = JobState.QUEUED
        self._events: list[Event] = []
        self._result: dict[str, Any] | None = None
        self._failure: Failure | None = None
        self._on_event = on_event
        self._done_callbacks: list[DoneCallback] = [on_done] if on_done else []
        self._canceller = canceller

    def __repr__(self) -> str:
        return f"<JobHandle {self.id} {self.title!r} {self._state.value}>"

    # -- what front ends read ---------------------------------------------
    @property
    def state(self) -> JobState:
        return self._state

    def done(self) -> bool:
        """True once the job is completed, failed or cancelled."""
        return self._state.finished

    @property
    def result(self) -> dict[str, Any] | None:
        """The job's result dict once completed (else None)."""
        return self._result

    @property
    def failure(self) -> Failure | None:
        """The final Failure event of a failed job (else None)."""
        return self._failure

    @property
    def error(self) -> str | None:
        """The message of a failed job, for a person (else None)."""
        return self._failure.message if self._failure else None

    @property
    def events(self) -> list[Event]:
        """A copy of every event delivered so far, in order."""
        with self._cond:
            return list(self._events)

    def cancel(self) -> bool:
        """Ask the job to stop.  Returns False if it had already finished."""
        if self._state.finished:
            return False
        self._canceller(self)
        return True

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job ends and return its result.

        Raises
        ------
        TimeoutError
            The job did not end within ``timeout`` seconds.
        Cancelled
            The job was cancelled.
        WorkbenchError
            The job failed: the same WorkbenchError subclass the job raised
            (rebuilt by name across processes, e.g. ``DataError``), or
            :class:`JobFailed` for anything else.  The message is the same
            as :attr:`error`.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._state.finished, timeout):
                raise TimeoutError(f"{self.title} did not finish within {timeout} s")
        if self._state is JobState.CANCELLED:
            raise Cancelled()
        if self._state is JobState.FAILED:
            raise _rebuild_error(self._failure)
        return self._result or {}

    def iter_events(self, timeout: float | None = None) -> Iterator[Event]:
        """Yield the job's events (past ones first) until it has finished.

        ``timeout`` bounds each wait for the next event (TimeoutError).
        """
        index = 0
        while True:
            with self._cond:
                if not self._cond.wait_for(
                    lambda: index < len(self._events) or self._state.finished, timeout
                ):
                    raise TimeoutError(f"no event from {self.title} within {timeout} s")
                batch = self._events[index:]
                finished = self._state.finished
            index += len(batch)
            yield from batch
            if finished and not batch:
                return

    def add_done_callback(self, callback: DoneCallback) -> None:
        """Call ``callback(handle)`` when the job ends (now, if it has)."""
        with self._cond:
            if not self._state.finished:
                self._done_callbacks.append(callback)
                return
        _call_safely(callback, self)

    # -- what executors call ----------------------------------------------
    def _set_state(self, state: JobState) -> bool:
        with self._cond:
            if self._state.finished:
                return False
            self._state = state
            if state is JobState.RUNNING and self.started_at is None:
                self.started_at = time.time()
            self._cond.notify_all()
            return True

    def _deliver(self, event: Event) -> None:
        with self._cond:
            if self._state.finished:
                return  # late event from a worker we already gave up on
            self._events.append(event)
            self._cond.notify_all()
        if self._on_event is not None:
            _call_safely(self._on_event, event)

    def _finish(
        self,
        state: JobState,
        result: dict[str, Any] | None = None,
        failure: Failure | None = None,
    ) -> bool:
        with self._cond:
            if self._state.finished:
                return False
            self._state = state
            self._result = result
            self._failure = failure
            self.finished_at = time.time()
            callbacks, self._done_callbacks = self._done_callbacks, []
            self._cond.notify_all()
        for callback in callbacks:
            _call_safely(callback, self)
        return True


def _call_safely(callback: Callable[..., Any], *args: Any) -> None:
    # A front end's broken callback must not kill a job or the dispatcher.
    try:
        callback(*args)
    except Exception:
        log.exception("callback %r failed", callback)


def _rebuild_error(failure: Failure | None) -> WorkbenchError:
    """The exception ``wait()`` raises for a failed job."""
    message = failure.message if failure else "The job failed."
    cls = getattr(errors, failure.error_type, None) if failure else None
    if isinstance(cls, type) and issubclass(cls, WorkbenchError):
        error = cls(message)
        error.failure = failure  # type: ignore[attr-defined]
        return error
    return JobFailed(message, failure)


# -- running one job (shared by both executors) ------------------------------
@dataclass
class _Outcome:
    state: JobState
    result: dict[str, Any] | None = None
    failure: Failure | None = None


CANCELLED_MESSAGE = "Cancelled."


def _failure_from(exc: BaseException) -> Failure:
    tb = "".join(traceback.format_exception(exc))
    if isinstance(exc, WorkbenchError):
        message = str(exc)
    elif isinstance(exc, MemoryError):
        message = "The job ran out of memory. Use fewer rows or features, or a lighter model."
    else:
        message = f"Unexpected error: {type(exc).__name__}: {exc}"
    return Failure(message=message, error_type=type(exc).__name__, traceback=tb)


def execute_job(
    job: Job,
    emit: Callable[[Event], None],
    cancel_token: CancelToken,
    threads: int,
    *,
    set_thread_env: bool = True,
) -> _Outcome:
    """Run ``job`` with a capped thread pool and turn how it ended into events.

    The one place that decides what the end of a job looks like, so that the
    inline executor and the worker process produce the same stream.
    """
    ctx = JobContext(emit, cancel_token)
    try:
        with cap_threads(threads, set_env=set_thread_env):
            raw = job.run(ctx)
    except Cancelled:
        ctx.log(CANCELLED_MESSAGE, level="warning")
        return _Outcome(JobState.CANCELLED)
    except (Exception, SystemExit) as exc:
        failure = _failure_from(exc)
        ctx.emit(failure)
        return _Outcome(JobState.FAILED, failure=failure)
    result = dict(raw) if isinstance(raw, dict) else {"value": raw}
    ctx.emit(Result(payload=result))
    # A training job that catches Cancelled itself returns status "cancelled".
    state = JobState.CANCELLED if result.get("status") == "cancelled" else JobState.COMPLETED
    return _Outcome(state, result=result)


def _record_resources(job: Job, sample: Any) -> None:
    """Append a resource sample to the run folder (``resources.jsonl``).

    The worker writes the run's own events; samples are taken here, in the
    parent, so they go to a file of their own beside them.
    """
    project_root = getattr(job, "project_root", None)
    run_id = getattr(job, "run_id", None)
    if not project_root or not run_id:
        return
    folder = Path(project_root) / "runs" / str(run_id)
    if not folder.is_dir():
        return
    try:
        with open(folder / "resources.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(sample.to_dict()) + "\n")
    except OSError:
        pass  # resource history is a nicety; never fail a job for it


def _finalize_run(job: Job, status: str, message: str) -> None:
    """Give a dead or stopped training job's run folder a final status."""
    project_root = getattr(job, "project_root", None)
    run_id = getattr(job, "run_id", None)
    if not project_root or not run_id:
        return
    try:
        from .runs import finalize_run
    except ImportError:
        finalize_run = _write_result_if_missing
    try:
        finalize_run(str(project_root), str(run_id), status, message)
    except Exception:
        log.exception("could not finalize run %s", run_id)


def _write_result_if_missing(project_root: str, run_id: str, status: str, message: str) -> None:
    """Fallback for ``runs.finalize_run``: write a minimal result.json."""
    from .fsutil import atomic_write_text

    folder = Path(project_root) / "runs" / run_id
    result = folder / "result.json"
    if folder.is_dir() and not result.exists():
        payload = {"status": status, "message": message, "metrics": {}}
        atomic_write_text(result, json.dumps(payload, indent=2))


def _finalize_if_unfinished(job: Job, outcome_state: JobState, message: str) -> None:
    if outcome_state is JobState.FAILED:
        _finalize_run(job, "failed", message)
    elif outcome_state is JobState.CANCELLED:
        _finalize_run(job, "cancelled", message)


# -- inline -------------------------------------------------------------------
class InlineExecutor:
    """Runs each job in the calling thread.

    Parameters
    ----------
    threads_per_job : int, optional
        Thread cap for native pools (default: all cores).
    set_thread_env : bool
        Let :func:`cap_threads` set ``*_NUM_THREADS`` while a job runs; pass
        False when other threads of this process call into C (a GUI).

    Notes
    -----
    ``submit`` returns once the job has ended.  To cancel from another thread
    (a GUI worker thread), split it: ``handle = ex.create(job, ...)`` then
    ``ex.execute(handle)`` in the worker thread, ``handle.cancel()`` anywhere.
    Cancelling is cooperative: a job stuck in one long C call ends only when
    the call returns.  ResourceSample events come from the process executor
    only.
    """

    def __init__(self, threads_per_job: int | None = None, *, set_thread_env: bool = True) -> None:
        self.threads_per_job = threads_per_job or default_threads_per_job(1)
        self.set_thread_env = set_thread_env
        self._tokens: dict[str, CancelToken] = {}

    def create(
        self,
        job: Job,
        on_event: EventCallback | None = None,
        on_done: DoneCallback | None = None,
    ) -> JobHandle:
        """A queued handle for ``job``; run it with :meth:`execute`."""
        handle = JobHandle(job, on_event, on_done, self._cancel)
        self._tokens[handle.id] = CancelToken()
        return handle

    def _cancel(self, handle: JobHandle) -> None:
        token = self._tokens.get(handle.id)
        if token is not None:
            token.cancel()
        if handle.state is JobState.QUEUED:
            handle._finish(JobState.CANCELLED)
        else:
            handle._set_state(JobState.CANCELLING)

    def execute(self, handle: JobHandle) -> JobHandle:
        """Run a handle made by :meth:`create` in this thread; return it ended."""
        token = self._tokens.get(handle.id)
        if token is None or not handle._set_state(JobState.RUNNING):
            return handle  # cancelled while queued, or already run
        try:
            outcome = execute_job(
                handle._job, handle._deliver, token, self.threads_per_job,
                set_thread_env=self.set_thread_env,
            )
        finally:
            self._tokens.pop(handle.id, None)
        message = outcome.failure.message if outcome.failure else CANCELLED_MESSAGE
        _finalize_if_unfinished(handle._job, outcome.state, message)
        handle._finish(outcome.state, outcome.result, outcome.failure)
        return handle

    def submit(
        self,
        job: Job,
        on_event: EventCallback | None = None,
        on_done: DoneCallback | None = None,
    ) -> JobHandle:
        """Run ``job`` now, in this thread; return its finished handle."""
        return self.execute(self.create(job, on_event, on_done))

    def run(self, job: Job, on_event: EventCallback | None = None) -> dict[str, Any]:
        """Run ``job`` and return its result (raises like :meth:`JobHandle.wait`)."""
        return self.submit(job, on_event).wait()

    def shutdown(self, wait: bool = True, cancel_jobs: bool = False) -> None:
        """Nothing to release; present so both executors are interchangeable."""

    def __enter__(self) -> "InlineExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


# -- worker process -----------------------------------------------------------
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
        _, job_id, payload = message

        def emit(event: Event, job_id: str = job_id) -> None:
            with send_lock:
                conn.send(("event", job_id, event.to_dict()))

        try:
            job = pickle.loads(payload)
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


class _Worker:
    """Parent-side record of one worker process (owned by the dispatcher thread)."""

    def __init__(self, mp: Any, threads: int, warm_imports: tuple[str, ...], index: int) -> None:
        self.cancel_flag = mp.RawValue("b", 0)
        self.conn, child_conn = mp.Pipe(duplex=True)
        self.process = mp.Process(
            target=_worker_main,
            args=(child_conn, self.cancel_flag, threads, warm_imports, os.getpid()),
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


_live_executors: "weakref.WeakSet[ProcessExecutor]" = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    # Workers are not daemonic, so stop them before multiprocessing's own
    # exit handler joins (and would wait for) them.
    for executor in list(_live_executors):
        executor.shutdown(wait=True, cancel_jobs=True)


class ProcessExecutor:
    """Runs jobs in warm worker processes; cancels and survives crashes.

    Parameters
    ----------
    max_concurrent : int, optional
        Jobs running at once (default 1: two all-core fits side by side are
        slower than one after the other).  Further jobs queue in FIFO order.
    threads_per_job : int, optional
        Native thread cap per job (default: cores // max_concurrent).
    memory_limit_mb : float, optional
        Resident memory allowed to a worker (its libraries included) while it
        runs a job.  The parent checks it every ``memory_check_interval``
        seconds and kills a worker above it; the job fails with "exceeded the
        memory limit of N MB".
    cancel_grace : float
        Seconds a cancelled job has to stop by itself before its worker is
        terminated.
    warm_imports : tuple of str
        Modules each worker imports before taking jobs.
    sample_interval : float
        Seconds between ResourceSample events of a running job.

    Notes
    -----
    Workers are started with the "spawn" method (never fork: the GUI process
    has Qt threads).  Each worker talks to the parent over its own pipe, not a
    shared queue: a worker killed halfway through a write can then only break
    its own channel.  Events and callbacks are dispatched by one parent
    thread.  A frozen (PyInstaller) application must call
    ``multiprocessing.freeze_support()`` first thing in its entry point.
    A memory limit through RLIMIT_AS is deliberately not used: it limits
    address space, not memory, and CUDA reserves far more address space than
    it uses.
    """

    def __init__(
        self,
        max_concurrent: int | None = None,
        threads_per_job: int | None = None,
        memory_limit_mb: float | None = None,
        *,
        cancel_grace: float = 1.0,
        warm_imports: tuple[str, ...] = DEFAULT_WARM_IMPORTS,
        sample_interval: float = 0.5,
        memory_check_interval: float = 0.2,
    ) -> None:
        self.max_concurrent = max(1, int(max_concurrent or 1))
        self.threads_per_job = threads_per_job or default_threads_per_job(self.max_concurrent)
        self.memory_limit_mb = memory_limit_mb
        self.cancel_grace = float(cancel_grace)
        self.warm_imports = tuple(warm_imports)
        self.sample_interval = float(sample_interval)
        self.memory_check_interval = float(memory_check_interval)
        self._mp = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._pending: deque[tuple[JobHandle, bytes]] = deque()
        self._cancel_requests: list[JobHandle] = []
        self._closing = False
        self._startup_failures = 0
        self._workers: list[_Worker] = []
        self._worker_index = itertools.count(1)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        # The dispatcher thread starts every worker: on Linux a worker's
        # "die with parent" signal is tied to the thread that started it.
        self._thread = threading.Thread(
            target=self._dispatch_loop, name="workbench-job-dispatcher", daemon=True
        )
        _live_executors.add(self)
        self._thread.start()

    # -- public API ---------------------------------------------------------
    def submit(
        self,
        job: Job,
        on_event: EventCallback | None = None,
        on_done: DoneCallback | None = None,
    ) -> JobHandle:
        """Queue ``job``; it starts as soon as a worker is free.

        Raises
        ------
        RuntimeError
            After :meth:`shutdown`.
        TypeError
            When the job cannot be pickled (it must reach another process).
        """
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise TypeError(
                f"The job {getattr(job, 'title', job)!r} cannot be sent to a worker process: {exc}"
            ) from exc
        handle = JobHandle(job, on_event, on_done, self._cancel)
        with self._lock:
            if self._closing:
                raise RuntimeError("The executor has been shut down.")
            self._pending.append((handle, payload))
            self._startup_failures = 0
        self._wake()
        return handle

    def run(self, job: Job, on_event: EventCallback | None = None) -> dict[str, Any]:
        """Submit ``job``, wait, and return its result (raises like ``wait``)."""
        return self.submit(job, on_event).wait()

    def shutdown(self, wait: bool = True, cancel_jobs: bool = False) -> None:
        """Stop taking jobs and stop the workers once the queue is done.

        Parameters
        ----------
        wait : bool
            Block until every job has ended and every worker has exited.
        cancel_jobs : bool
            Cancel queued and running jobs instead of letting them finish.
        """
        with self._lock:
            self._closing = True
            cancelled = [handle for handle, _ in self._pending] if cancel_jobs else []
            if cancel_jobs:
                self._pending.clear()
                self._cancel_requests.extend(w.handle for w in list(self._workers) if w.handle)
        for handle in cancelled:
            handle._finish(JobState.CANCELLED)
        self._wake()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> "ProcessExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(wait=True)

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for diagnostics and tests)."""
        return [w.pid for w in list(self._workers)]

    # -- requests from other threads ----------------------------------------
    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # already awake (pipe full) or closed after shutdown

    def _cancel(self, handle: JobHandle) -> None:
        with self._lock:
            for i, (queued, _) in enumerate(self._pending):
                if queued is handle:
                    del self._pending[i]
                    break
            else:
                self._cancel_requests.append(handle)
                queued = None
        if queued is not None:
            handle._finish(JobState.CANCELLED)
        else:
            self._wake()

    # -- the dispatcher thread ----------------------------------------------
    def _dispatch_loop(self) -> None:
        try:
            while True:
                with self._lock:
                    closing = self._closing
                    cancels, self._cancel_requests = self._cancel_requests, []
                    idle = not self._pending and not any(w.handle for w in self._workers)
                if closing and idle:
                    break
                if not closing:
                    self._start_workers()
                self._assign_jobs()
                now = time.monotonic()
                for handle in cancels:
                    self._request_cancel(handle, now)
                self._wait_and_handle(self._next_timeout(now))
                now = time.monotonic()
                self._enforce_deadlines(now)
                self._watch_resources(now)
        except Exception:
            log.exception("the job dispatcher failed")
            self._abandon_jobs("Unexpected error: the job runner stopped (see the log).")
        finally:
            self._stop_workers()
            os.close(self._wake_r)
            os.close(self._wake_w)
            _live_executors.discard(self)

    def _start_workers(self) -> None:
        if self._startup_failures >= 3:
            return  # workers die on start; wait for a new submit to retry
        while len(self._workers) < self.max_concurrent:
            self._workers.append(
                _Worker(self._mp, self.threads_per_job, self.warm_imports, next(self._worker_index))
            )

    def _assign_jobs(self) -> None:
        for worker in self._workers:
            free = worker.handle is None and worker.stop_reason is None
            if not (worker.ready and worker.conn_open and free):
                continue
            with self._lock:
                if not self._pending:
                    return
                handle, payload = self._pending.popleft()
            worker.cancel_flag.value = 0
            try:
                worker.conn.send(("job", handle.id, payload))
            except OSError:
                worker.conn_open = False  # its death is handled via its sentinel
                with self._lock:
                    self._pending.appendleft((handle, payload))
                continue
            worker.handle = handle
            worker.cancel_deadline = worker.kill_deadline = None
            worker.next_sample = time.monotonic() + self.sample_interval
            worker.next_memory_check = time.monotonic()
            try:
                from .resources_monitor import ProcessSampler

                worker.sampler = ProcessSampler(worker.pid)
            except Exception:
                worker.sampler = None
            handle._set_state(JobState.RUNNING)

    def _request_cancel(self, handle: JobHandle, now: float) -> None:
        for worker in self._workers:
            if worker.handle is handle and worker.cancel_deadline is None:
                worker.cancel_flag.value = 1
                worker.cancel_deadline = now + self.cancel_grace
                handle._set_state(JobState.CANCELLING)

    def _next_timeout(self, now: float) -> float | None:
        deadlines = []
        for worker in self._workers:
            if worker.handle is not None:
                deadlines.append(worker.next_sample)
                if self.memory_limit_mb:
                    deadlines.append(worker.next_memory_check)
            for deadline in (worker.cancel_deadline, worker.kill_deadline):
                if deadline is not None:
                    deadlines.append(deadline)
        return max(0.0, min(deadlines) - now) if deadlines else None

    def _wait_and_handle(self, timeout: float | None) -> None:
        waitables: dict[Any, tuple[str, _Worker | None]] = {self._wake_r: ("wake", None)}
        for worker in self._workers:
            if worker.conn_open:
                waitables[worker.conn] = ("conn", worker)
            waitables[worker.process.sentinel] = ("exit", worker)
        ready = multiprocessing.connection.wait(list(waitables), timeout)
        exited = []
        for obj in ready:
            kind, worker = waitables[obj]
            if kind == "wake":
                self._drain_wake_pipe()
            elif kind == "conn":
                self._read_messages(worker)
            else:
                exited.append(worker)
        for worker in exited:
            if worker.conn_open:  # read what it sent before it died
                self._read_messages(worker)
            self._on_worker_exit(worker)

    def _drain_wake_pipe(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _read_messages(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                self._handle_message(worker, worker.conn.recv())
        except Exception:  # EOF, or a message cut short by a kill
            worker.conn_open = False

    def _handle_message(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            self._startup_failures = 0
            return
        handle = worker.handle
        if handle is None or handle.id != message[1]:
            return
        if kind == "event":
            handle._deliver(event_from_dict(message[2]))
        elif kind == "done":
            _, _, state, result, failure_dict = message
            state = JobState(state)
            failure = event_from_dict(failure_dict) if failure_dict else None
            worker.handle = None
            worker.cancel_deadline = None
            message_text = failure.message if failure else CANCELLED_MESSAGE
            _finalize_if_unfinished(handle._job, state, message_text)
            handle._finish(state, result, failure)  # type: ignore[arg-type]

    def _on_worker_exit(self, worker: _Worker) -> None:
        worker.process.join(timeout=1.0)  # reap it: no zombies
        exitcode = worker.process.exitcode
        worker.conn.close()
        worker.conn_open = False
        self._workers.remove(worker)
        handle = worker.handle
        if not worker.ready:
            self._startup_failures += 1
            if self._startup_failures >= 3:
                self._fail_pending("Could not start a worker process for jobs "
                                   f"(it exited with code {exitcode}).")
        try:
            worker.process.close()
        except ValueError:
            pass
        if handle is None:
            return
        if worker.stop_reason is not None:
            state, error_type, message = worker.stop_reason
        else:
            state = JobState.FAILED
            error_type, message = _death_message(exitcode)
        if state is JobState.CANCELLED:
            handle._deliver(Log(level="warning", message=message))
            failure = None
        else:
            failure = Failure(message=message, error_type=error_type)
            handle._deliver(failure)
        _finalize_if_unfinished(handle._job, state, message)
        handle._finish(state, None, failure)

    def _fail_pending(self, message: str, error_type: str = "WorkerStartFailed") -> None:
        with self._lock:
            pending, self._pending = list(self._pending), deque()
        for handle, _ in pending:
            self._fail(handle, message, error_type)

    def _abandon_jobs(self, message: str) -> None:
        """After an internal error: refuse new jobs and fail every unfinished one."""
        with self._lock:
            self._closing = True
        self._fail_pending(message, "ExecutorError")
        for worker in self._workers:
            if worker.handle is not None:
                self._fail(worker.handle, message, "ExecutorError")
                worker.handle = None

    @staticmethod
    def _fail(handle: JobHandle, message: str, error_type: str) -> None:
        failure = Failure(message=message, error_type=error_type)
        handle._deliver(failure)
        _finalize_run(handle._job, "failed", message)
        handle._finish(JobState.FAILED, None, failure)

    def _enforce_deadlines(self, now: float) -> None:
        for worker in self._workers:
            if worker.kill_deadline is not None and now >= worker.kill_deadline:
                worker.signal_tree(signal.SIGKILL)
                worker.kill_deadline = None
            elif (
                worker.cancel_deadline is not None
                and now >= worker.cancel_deadline
                and worker.handle is not None
                and worker.stop_reason is None
            ):
                worker.stop_reason = (
                    JobState.CANCELLED,
                    "",
                    f"Cancelled; the job did not stop within {self.cancel_grace:g} s, "
                    "so its worker process was stopped.",
                )
                worker.signal_tree(signal.SIGTERM)
                worker.kill_deadline = now + 0.5

    def _watch_resources(self, now: float) -> None:
        import psutil

        for worker in self._workers:
            handle = worker.handle
            if handle is None or worker.sampler is None or worker.stop_reason is not None:
                continue
            try:
                if self.memory_limit_mb and now >= worker.next_memory_check:
                    worker.next_memory_check = now + self.memory_check_interval
                    rss = worker.sampler.rss_mb()
                    if rss > self.memory_limit_mb:
                        worker.stop_reason = (
                            JobState.FAILED,
                            "MemoryLimitExceeded",
                            f"The job exceeded the memory limit of {self.memory_limit_mb:g} MB "
                            f"(it used {rss:.0f} MB) and was stopped. Use fewer rows or "
                            "features, a lighter model, or raise the limit.",
                        )
                        worker.signal_tree(signal.SIGKILL)
                        continue
                if now >= worker.next_sample:
                    worker.next_sample = now + self.sample_interval
                    sample = worker.sampler.sample()
                    handle._deliver(sample)
                    _record_resources(handle._job, sample)
            except psutil.Error:
                pass  # the worker is exiting; its sentinel tells us next

    def _stop_workers(self) -> None:
        for worker in self._workers:
            if worker.ready and worker.conn_open:
                try:
                    worker.conn.send(("stop",))
                except OSError:
                    pass
            else:
                worker.signal_tree(signal.SIGTERM)  # still importing: nothing to save
        deadline = time.monotonic() + 3.0
        for worker in self._workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                worker.signal_tree(signal.SIGKILL)
                worker.process.join(timeout=2.0)
            worker.conn.close()
            try:
                worker.process.close()
            except ValueError:
                log.warning("worker %s did not exit", worker.pid)
        self._workers.clear()
