"""Where one job of the window runs: a worker process, or a thread of this process.

Both go through an engine executor and one ``JobHandle``, so a job's events,
its end and its cancel look the same whichever it is:

* :class:`ExecutorRunner` submits a *portable* job (a registered kind that
  travels as its JSON spec: train, tune, compare, export, predict, profile,
  drift, ...) to an executor of worker processes (``gui/workers.py``) or a
  Dask cluster.  Cancel is honest there: a job stuck in one library call
  loses its worker within about a second, and a crash takes only the worker.
* :class:`ThreadRunner` runs a *local* job, one that hands live Python
  objects back to the window (a DataFrame for the table, a sort order, a
  preview), through an ``InlineExecutor`` in a ``QThread``.  Local jobs are
  cooperative (chunked reads, checks between steps); no fit runs here.

Everything a runner reports goes to a ``sink`` (a thread-safe queue drained
by the jobs model on the GUI thread): engine events, then one :class:`Done`.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QThread

from workbench.engine import InlineExecutor, JobContext, JobState, lower_thread_priority

log = logging.getLogger(__name__)

Sink = Callable[[Any], None]
RunnerFactory = Callable[[Any, Sink], Any]


class FunctionJob:
    """A local job: ``fn(ctx)`` run in a thread of this process.

    For work whose result is a live object the window keeps (a frame, a
    sort order).  The result is ``{"value": fn(ctx)}`` (an executor's result
    is a dict); :attr:`JobEntry.value` hands the value back.
    """

    def __init__(self, title: str, fn: Callable[[JobContext], Any]) -> None:
        self.title = title
        self._fn = fn

    def run(self, ctx: JobContext) -> dict[str, Any]:
        if self._fn is None:
            raise RuntimeError(f"{self.title}: this job has run and was released")
        return {"value": self._fn(ctx)}

    def release(self) -> None:
        """Drop the callable and what it captured (a frame to sort, a frame to save)."""
        self._fn = None


@dataclass
class Done:
    """Terminal message a runner puts on the queue (exactly once)."""

    state: JobState
    result: Any = None
    error: str = ""
    traceback: str = ""


def done_from_handle(handle: Any) -> Done:
    """How an engine JobHandle that has finished ended, for the jobs model."""
    state = JobState(str(getattr(handle.state, "value", handle.state)))
    failure = getattr(handle, "failure", None)
    return Done(
        state,
        result=handle.result,
        error=(handle.error or "") if state == JobState.FAILED else "",
        traceback=getattr(failure, "traceback", "") or "",
    )


class _WorkerThread(QThread):
    """Runs one handle of an ``InlineExecutor`` in a QThread."""

    def __init__(self, executor: InlineExecutor, handle: Any, sink: Sink) -> None:
        super().__init__()
        self._executor = executor
        self._handle = handle
        self._sink = sink

    def run(self) -> None:  # executes in the worker thread
        # Below the GUI thread, as the worker processes are: a frame's load
        # or sort shares 2 cores with the window's drawing.
        lower_thread_priority()
        try:
            self._executor.execute(self._handle)
            done = done_from_handle(self._handle)
        except BaseException as exc:  # noqa: BLE001 - never let a worker take the app down
            tb = traceback.format_exc()
            log.error("job runner crashed:\n%s", tb)
            done = Done(JobState.FAILED, error=f"Unexpected error: {type(exc).__name__}: {exc}", traceback=tb)
        if done.state == JobState.FAILED and done.traceback:
            # WorkbenchErrors are for the user; anything else is a bug worth a traceback in the log.
            log.warning("job %r failed: %s\n%s", self._handle.title, done.error, done.traceback)
        self._sink(done)


class ThreadRunner:
    """Runs a local job in a :class:`QThread` of this process, through an InlineExecutor."""

    name = "thread"

    def __init__(self, job: Any, sink: Sink) -> None:
        # set_thread_env=False: the GUI thread calls into C too; only the
        # thread pools of this job are capped, not the process environment.
        executor = InlineExecutor(set_thread_env=False)
        self.handle = executor.create(job, sink)
        self._thread = _WorkerThread(executor, self.handle, sink)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.handle.cancel()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread to end; safe on the GUI thread (no event loop in it)."""
        return self._thread.wait(int(timeout_s * 1000))

    def is_running(self) -> bool:
        return self._thread.isRunning()


class ExecutorRunner:
    """Runs a portable job through an engine executor's ``submit(job, on_event, on_done)``.

    The job runs in a worker process (or on a cluster) that is stopped if it
    does not stop by itself.  Callbacks arrive on the executor's dispatcher
    thread and only touch the sink.
    """

    name = "process"

    def __init__(self, executor: Any, job: Any, sink: Sink) -> None:
        self._executor = executor
        self._job = job
        self._sink = sink
        self.handle: Any = None
        self._cancelled = False

    def start(self) -> None:
        try:
            self.handle = self._executor.submit(
                self._job, self._sink, lambda handle: self._sink(done_from_handle(handle))
            )
        except Exception as exc:  # noqa: BLE001 - e.g. a job that cannot travel as data
            self._sink(Done(JobState.FAILED, error=f"Could not start the job: {exc}",
                            traceback=traceback.format_exc()))
            return
        if self._cancelled:
            self.handle.cancel()

    def cancel(self) -> None:
        self._cancelled = True
        if self.handle is not None:
            self.handle.cancel()

    def join(self, timeout_s: float) -> bool:
        if self.handle is None or self.handle.done():
            return True
        try:
            self.handle.wait(timeout_s)
        except BaseException:  # noqa: BLE001 - wait re-raises the job's outcome
            pass
        return self.handle.done()

    def is_running(self) -> bool:
        return self.handle is not None and not self.handle.done()


def executor_runner_factory(executor: Any) -> RunnerFactory:
    """A runner factory that sends jobs to ``executor`` (process executor or Dask)."""
    return lambda job, sink: ExecutorRunner(executor, job, sink)
