"""Jobs and their handles, and running one job in the calling thread.

A *job* is any object with ``title: str`` and ``run(ctx) -> dict`` (a
JSON-safe result); training jobs also carry ``project_root`` and ``run_id``.
A job that may run in another process is also *portable*: a registered
``kind`` with ``to_dict``/``from_dict`` (see kinds.py).  An executor runs
it and hands back a :class:`JobHandle`; every
event the job reports reaches the ``on_event`` callback, followed by exactly
one final :class:`~workbench.engine.jobs.events.Result` (completed) or
:class:`~workbench.engine.jobs.events.Failure` (failed), or a warning
:class:`~workbench.engine.jobs.events.Log` (cancelled).

:class:`InlineExecutor` runs the job in the calling thread (CLI, tests, or a
GUI worker thread); cancelling is cooperative only.  The process executor
(process.py) gives the same stream from worker processes.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from workbench.engine import errors
from workbench.engine.errors import Cancelled, WorkbenchError
from workbench.engine.jobs.events import CancelToken, Event, Failure, JobContext, Result
from workbench.engine.jobs.threads import cap_threads, default_threads_per_job

__all__ = ["Job", "JobState", "JobHandle", "JobFailed", "InlineExecutor", "execute_job"]

log = logging.getLogger(__name__)

EventCallback = Callable[[Event], None]
DoneCallback = Callable[["JobHandle"], None]


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
        self._exception: BaseException | None = None
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
    def exception(self) -> BaseException | None:
        """The exception a failed job raised, when it ran in this process (else None).

        For a front end that reports some errors its own way (the CLI's
        out-of-memory lines); :meth:`wait` raises the rebuilt error.
        """
        return self._exception

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
                    lambda: index < len(self._events) or self._state.finished, timeout  # noqa: B023 (called here)
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
class Outcome:
    state: JobState
    result: dict[str, Any] | None = None
    failure: Failure | None = None
    exception: BaseException | None = None


CANCELLED_MESSAGE = "Cancelled."


def failure_from(exc: BaseException) -> Failure:
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
) -> Outcome:
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
        return Outcome(JobState.CANCELLED)
    except (Exception, SystemExit) as exc:
        failure = failure_from(exc)
        ctx.emit(failure)
        return Outcome(JobState.FAILED, failure=failure, exception=exc)
    result = dict(raw) if isinstance(raw, dict) else {"value": raw}
    try:
        ctx.emit(Result(payload=result))
    except Exception as exc:  # it cannot be reported (not plain data, for another process)
        failure = failure_from(exc)
        ctx.emit(failure)
        return Outcome(JobState.FAILED, failure=failure, exception=exc)
    # A training job that catches Cancelled itself returns status "cancelled".
    state = JobState.CANCELLED if result.get("status") == "cancelled" else JobState.COMPLETED
    return Outcome(state, result=result)


def record_job_resources(job: Job, sample: Any) -> None:
    """Append a resource sample to the job's run folder (``resources.jsonl``).

    The worker writes the run's own events; samples are taken here, in the
    parent, so they go to a file of their own beside them.  Where that file
    lives is the job's business: this package knows nothing of runs.
    """
    record = getattr(job, "record_resources", None)  # see project.runs.RunFolderOwner
    if record is None:
        return
    try:
        record(sample.to_dict())
    except OSError:
        pass  # resource history is a nicety; never fail a job for it


def finalize_job_run(job: Job, status: str, message: str) -> None:
    """Give a dead or stopped job's run folder a final status.

    The job knows its run folder (``finalize_unfinished``, see
    ``workbench.engine.project.runs.RunFolderOwner``); this package knows
    nothing of runs.
    """
    finalize = getattr(job, "finalize_unfinished", None)
    if finalize is None:
        return
    try:
        finalize(status, message)
    except Exception:
        log.exception("could not finalize the run of %r", job)


def finalize_if_unfinished(job: Job, outcome_state: JobState, message: str) -> None:
    if outcome_state is JobState.FAILED:
        finalize_job_run(job, "failed", message)
    elif outcome_state is JobState.CANCELLED:
        finalize_job_run(job, "cancelled", message)


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
        finalize_if_unfinished(handle._job, outcome.state, message)
        handle._exception = outcome.exception
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
