"""Run engine jobs off the GUI thread and relay their events as Qt signals.

A job is anything with ``run(ctx) -> result`` and a ``title`` (the engine's
``TrainJob``, or :class:`FunctionJob` wrapping a callable).  A *runner* runs
one job somewhere (a ``QThread`` here; a process executor can be plugged in
through :class:`ExecutorRunner`) and pushes what happens into a thread-safe
queue.  :class:`JobsModel`, living on the GUI thread, drains that queue from a
timer and emits every signal *in the GUI thread* — so views never see a
cross-thread signal (pytest-qt's ``waitSignal`` warns on those, see
docs/findings.md) and the worker never touches a widget.

Jobs wait in lanes: one running job per lane unless :meth:`JobsModel.set_lane_limit`
allows more.  Training and export share the ``"compute"`` lane because two
all-core fits side by side on a small machine are many times slower than one
after the other (docs/findings.md); the window raises its limit to the "Jobs at
once" setting when fits run in worker processes with capped threads.  Data
loading and profiling use the ``"data"`` lane so a dataset can be inspected
during a fit.
"""

from __future__ import annotations

import itertools
import logging
import queue
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThread,
    QTimer,
    Signal,
)

from workbench.engine import (
    CancelToken,
    Cancelled,
    JobContext,
    JobState,  # the engine executors' life cycle: one definition for both
    Progress,
    WorkbenchError,
)

from workbench.gui.icons import state_icon

log = logging.getLogger(__name__)

COMPUTE_LANE = "compute"
DATA_LANE = "data"


class FunctionJob:
    """Adapter: a plain callable ``fn(ctx) -> result`` as a job with a title."""

    def __init__(self, title: str, fn: Callable[[JobContext], Any]) -> None:
        self.title = title
        self._fn = fn

    def run(self, ctx: JobContext) -> Any:
        return self._fn(ctx)


@dataclass
class _Done:
    """Terminal message a runner puts on the queue (exactly once)."""

    state: JobState
    result: Any = None
    error: str = ""
    traceback: str = ""


@dataclass
class JobEntry:
    """What the GUI knows about one job."""

    job_id: int
    title: str
    job: Any
    kind: str
    lane: str
    state: JobState = JobState.QUEUED
    fraction: float = 0.0
    message: str = ""
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    ended: float | None = None
    result: Any = None
    error: str = ""
    traceback: str = ""
    token: CancelToken = field(default_factory=CancelToken)
    on_done: Callable[["JobEntry"], None] | None = None
    runner: Any = None
    cancel_requested: float | None = None  # when Cancel was pressed (monotonic)
    force_stop_offered: bool = False  # the runner could not stop it: "Force stop" is offered
    shown: tuple[Any, ...] = ()  # what the jobs table last showed (see JobsModel._drain)

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or time.monotonic()) - self.started


def run_job_reporting(job: Any, ctx: JobContext) -> _Done:
    """Run ``job`` and turn every way it can end into a :class:`_Done`.

    ``Cancelled`` (a BaseException) and a result whose ``status`` says
    cancelled/failed both count; unknown exceptions are logged with their
    traceback and reported, never re-raised (they must not kill the app).
    """
    try:
        result = job.run(ctx)
    except Cancelled:
        return _Done(JobState.CANCELLED)
    except WorkbenchError as exc:
        return _Done(JobState.FAILED, error=str(exc), traceback=traceback.format_exc())
    except Exception as exc:  # noqa: BLE001 - a worker must never crash the app
        tb = traceback.format_exc()
        log.error("job %r crashed:\n%s", getattr(job, "title", job), tb)
        return _Done(
            JobState.FAILED, error=f"Unexpected error: {type(exc).__name__}: {exc}", traceback=tb
        )
    status = result.get("status") if isinstance(result, dict) else None
    if status == "cancelled":
        return _Done(JobState.CANCELLED, result=result)
    if status == "failed":
        return _Done(JobState.FAILED, result=result, error=str(result.get("error", "Job failed.")))
    return _Done(JobState.COMPLETED, result=result)


def _done_from_handle(handle: Any) -> _Done:
    """Translate an engine JobHandle that has finished into a :class:`_Done`."""
    state = JobState(str(getattr(handle.state, "value", handle.state)))
    failure = getattr(handle, "failure", None)
    return _Done(
        state,
        result=handle.result,
        error=(handle.error or "") if state == JobState.FAILED else "",
        traceback=getattr(failure, "traceback", "") or "",
    )


class _WorkerThread(QThread):
    """Runs one job in a QThread; everything it reports goes to ``sink``.

    Uses the engine's ``InlineExecutor`` (create in this thread's owner,
    execute here) so the job runs under the engine's native-thread caps and
    records an unfinished run the same way the CLI does; falls back to calling
    ``job.run`` when the engine has no executors module.
    """

    def __init__(self, job: Any, token: CancelToken, sink: Callable[[Any], None]) -> None:
        super().__init__()
        self._job = job
        self._token = token
        self._sink = sink
        self.handle: Any = None

    def run(self) -> None:  # executes in the worker thread
        try:
            from workbench.engine import InlineExecutor
        except (ImportError, AttributeError):
            InlineExecutor = None  # noqa: N806
        if InlineExecutor is None or isinstance(self._job, FunctionJob):
            # GUI-local jobs (load, sort, export) return Python objects, not
            # the JSON-safe dicts executors deal in: run them directly.
            self._sink(run_job_reporting(self._job, JobContext(self._sink, self._token)))
            return
        try:
            # set_thread_env=False: the GUI thread calls into C too; only the
            # thread pools of this job are capped, not the process environment.
            executor = InlineExecutor(set_thread_env=False)
            self.handle = executor.create(self._job, self._sink)
            if self._token.cancelled:
                self.handle.cancel()
            executor.execute(self.handle)
            done = _done_from_handle(self.handle)
        except BaseException as exc:  # noqa: BLE001 - never let a worker take the app down
            tb = traceback.format_exc()
            log.error("job runner crashed:\n%s", tb)
            done = _Done(JobState.FAILED, error=f"Unexpected error: {type(exc).__name__}: {exc}", traceback=tb)
        if done.state == JobState.FAILED and done.traceback:
            # WorkbenchErrors are for the user; anything else is a bug worth a traceback in the log.
            log.warning("job %r failed: %s\n%s", getattr(self._job, "title", ""), done.error, done.traceback)
        self._sink(done)


class ThreadRunner:
    """Runs a job in a :class:`QThread` of this process (the default)."""

    name = "thread"

    def __init__(self, job: Any, token: CancelToken, sink: Callable[[Any], None]) -> None:
        self._thread = _WorkerThread(job, token, sink)
        self._token = token

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._token.cancel()
        handle = self._thread.handle
        if handle is not None:
            handle.cancel()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread to end; safe on the GUI thread (no event loop in it)."""
        return self._thread.wait(int(timeout_s * 1000))

    def is_running(self) -> bool:
        return self._thread.isRunning()


class ExecutorRunner:
    """Runs a job through an engine executor's ``submit(job, on_event, on_done)``.

    Used with ``workbench.engine.jobs.process.ProcessExecutor``: the job runs in
    a worker process that can be killed if it hangs in C code.  Callbacks
    arrive on the executor's dispatcher thread and only touch the queue.
    """

    name = "process"

    def __init__(self, executor: Any, job: Any, token: CancelToken, sink: Callable[[Any], None]):
        self._executor = executor
        self._job = job
        self._token = token
        self._sink = sink
        self._handle: Any = None

    def start(self) -> None:
        try:
            self._handle = self._executor.submit(
                self._job, self._sink, lambda handle: self._sink(_done_from_handle(handle))
            )
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable job
            self._sink(_Done(JobState.FAILED, error=f"Could not start the job: {exc}",
                             traceback=traceback.format_exc()))

    def cancel(self) -> None:
        self._token.cancel()
        if self._handle is not None:
            self._handle.cancel()

    def join(self, timeout_s: float) -> bool:
        if self._handle is None or self._handle.done():
            return True
        try:
            self._handle.wait(timeout_s)
        except BaseException:  # noqa: BLE001 - wait re-raises the job's outcome
            pass
        return self._handle.done()

    def is_running(self) -> bool:
        return self._handle is not None and not self._handle.done()


def process_runner_factory(executor: Any) -> "RunnerFactory":
    """A runner factory that sends jobs to ``executor`` (a ProcessExecutor)."""
    return lambda job, token, sink: ExecutorRunner(executor, job, token, sink)


RunnerFactory = Callable[[Any, CancelToken, Callable[[Any], None]], Any]


class JobsModel(QAbstractTableModel):
    """The job queue, its state, and a table model for the jobs panel.

    Signals (all emitted in the GUI thread):
    ``jobEvent(job_id, event)`` for every engine event,
    ``jobStarted(job_id)``, ``jobFinished(job_id)`` once per job.
    """

    jobEvent = Signal(int, object)
    jobStarted = Signal(int)
    jobFinished = Signal(int)
    idleChanged = Signal(bool)
    # A cancelled job still runs FORCE_STOP_AFTER_S later in a runner that
    # cannot interrupt a library call (a thread): the views offer "Force stop".
    forceStopAvailable = Signal(int)

    COLUMNS = ("Job", "State", "Progress", "Elapsed", "")
    POLL_MS = 40
    FORCE_STOP_AFTER_S = 2.0

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[JobEntry] = []
        self._ids = itertools.count(1)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.timeout.connect(self._drain)
        self._runner_factory: RunnerFactory = ThreadRunner
        self._factories: dict[str, RunnerFactory] = {}
        self._lane_limits: dict[str, int] = {}
        # Runners of force-stopped jobs, kept alive until their call returns
        # (a QThread object destroyed while it runs aborts the process).
        self._abandoned: list[Any] = []

    # -- configuration ---------------------------------------------------
    def set_runner_factory(self, factory: RunnerFactory | None, kinds: tuple[str, ...] = ()) -> None:
        """Use ``factory`` (default: QThread) for jobs of ``kinds`` (all when empty)."""
        if kinds:
            for kind in kinds:
                if factory is None:
                    self._factories.pop(kind, None)
                else:
                    self._factories[kind] = factory
        else:
            self._runner_factory = factory or ThreadRunner

    def set_lane_limit(self, lane: str, n: int) -> None:
        """Let up to ``n`` jobs of ``lane`` run at once (default 1).

        Lowering it stops nothing: running jobs finish, queued ones wait.
        """
        self._lane_limits[lane] = max(1, int(n))
        self._schedule()

    def lane_limit(self, lane: str) -> int:
        return self._lane_limits.get(lane, 1)

    # -- queries ---------------------------------------------------------
    def entry(self, job_id: int) -> JobEntry:
        for e in self._entries:
            if e.job_id == job_id:
                return e
        raise KeyError(job_id)

    def entries(self) -> list[JobEntry]:
        return list(self._entries)

    def active(self) -> list[JobEntry]:
        return [e for e in self._entries if not e.state.finished]

    def is_idle(self) -> bool:
        return not self.active()

    def current(self, kind: str | None = None) -> JobEntry | None:
        """The most recently started job still running (optionally of ``kind``)."""
        running = [
            e for e in self._entries
            if e.state in (JobState.RUNNING, JobState.CANCELLING) and (kind is None or e.kind == kind)
        ]
        return running[-1] if running else None

    # -- actions ---------------------------------------------------------
    def submit_job(
        self,
        job: Any,
        *,
        kind: str = "job",
        lane: str = COMPUTE_LANE,
        title: str | None = None,
        on_done: Callable[[JobEntry], None] | None = None,
    ) -> int:
        """Queue ``job``; it starts when its lane is free. Returns the job id.

        (Not named ``submit``: that is a virtual slot of QAbstractItemModel
        that views call with no arguments whenever editing may end; a Python
        method of that name overrides it and breaks.)
        """
        entry = JobEntry(
            job_id=next(self._ids),
            title=title or getattr(job, "title", None) or kind,
            job=job,
            kind=kind,
            lane=lane,
            on_done=on_done,
        )
        was_idle = self.is_idle()
        row = len(self._entries)
        self.beginInsertRows(QModelIndex(), row, row)
        self._entries.append(entry)
        self.endInsertRows()
        if was_idle:
            self.idleChanged.emit(False)
        self._schedule()
        return entry.job_id

    def cancel(self, job_id: int) -> None:
        e = self.entry(job_id)
        if e.state == JobState.QUEUED:
            e.token.cancel()
            self._finish(e, _Done(JobState.CANCELLED))
            self._schedule()
        elif e.state == JobState.RUNNING:
            e.state = JobState.CANCELLING
            e.cancel_requested = time.monotonic()
            # Said at once: a thread stops at the fit's next check, never inside one library call.
            e.message = ("cancelling… (stops at the next iteration; a single library call cannot be "
                         "interrupted in a thread)" if getattr(e.runner, "name", "") == "thread" else "cancelling…")
            e.runner.cancel()
            self._row_changed(e)

    def force_stop(self, job_id: int) -> bool:
        """Stop waiting for a cancelled job its runner cannot interrupt.

        The job is marked cancelled now and its lane is free for the next job;
        the library call it is in finishes in the background and whatever it
        returns is dropped (the run folder says "cancelled").
        """
        e = self.entry(job_id)
        if e.state != JobState.CANCELLING:
            return False
        if e.runner is not None and e.runner.is_running():
            self._abandoned.append(e.runner)
        self._finish(e, _Done(JobState.CANCELLED))
        e.message = "force-stopped (the abandoned library call ends in the background)"
        self._row_changed(e)
        self._schedule()
        return True

    def cancel_current(self) -> bool:
        """Cancel the newest running job (Esc). Returns whether there was one."""
        e = self.current()
        if e is None:
            return False
        self.cancel(e.job_id)
        return True

    def clear_finished(self) -> None:
        keep = [e for e in self._entries if not e.state.finished]
        self.beginResetModel()
        self._entries = keep
        self.endResetModel()

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Cancel everything and wait for the workers (app exit, test teardown)."""
        for e in list(self._entries):
            if not e.state.finished:
                self.cancel(e.job_id)
        deadline = time.monotonic() + timeout_s
        ok = True
        for e in list(self._entries):
            if e.runner is not None:
                ok &= bool(e.runner.join(max(0.0, deadline - time.monotonic())))
        self._drain()
        self._timer.stop()
        return ok

    # -- machinery -------------------------------------------------------
    def _schedule(self) -> None:
        running = Counter(e.lane for e in self._entries if e.state in (JobState.RUNNING, JobState.CANCELLING))
        for e in self._entries:
            if e.state == JobState.QUEUED and running[e.lane] < self.lane_limit(e.lane):
                self._start(e)
                running[e.lane] += 1

    def _start(self, e: JobEntry) -> None:
        job_id = e.job_id

        def sink(item: Any, _job_id: int = job_id) -> None:  # called from the worker
            self._queue.put((_job_id, item))

        factory = self._factories.get(e.kind, self._runner_factory)
        e.runner = factory(e.job, e.token, sink)
        e.state = JobState.RUNNING
        e.started = time.monotonic()
        self._row_changed(e)
        if not self._timer.isActive():
            self._timer.start()
        self.jobStarted.emit(job_id)
        e.runner.start()

    def _drain(self) -> None:
        while True:
            try:
                job_id, item = self._queue.get_nowait()
            except queue.Empty:
                break
            try:
                e = self.entry(job_id)
            except KeyError:
                continue
            if isinstance(item, _Done):
                if e.runner is not None:
                    e.runner.join(5.0)  # the worker has returned; this is immediate
                self._finish(e, item)
                continue
            if e.state.finished:
                continue  # a force-stopped job's late events belong to no view
            if isinstance(item, Progress):
                e.fraction = item.fraction
                if item.message and e.state != JobState.CANCELLING:
                    e.message = item.message
            self.jobEvent.emit(job_id, item)
        now = time.monotonic()
        for e in self._entries:
            if (e.state == JobState.CANCELLING and not e.force_stop_offered and e.cancel_requested is not None
                    and now - e.cancel_requested >= self.FORCE_STOP_AFTER_S
                    and getattr(e.runner, "name", "") == "thread"):
                e.force_stop_offered = True
                e.message = "cancelling — a library call is running and a thread cannot stop it: Force stop?"
                self.forceStopAvailable.emit(e.job_id)
            if e.state in (JobState.RUNNING, JobState.CANCELLING):
                # Repaint a row only when what it shows changed (state text,
                # whole percent, elapsed second): the queue is drained 25 times
                # a second and every repaint is GUI-thread time taken from a fit.
                shown = (e.message, int(round(e.fraction * 100)), int(e.elapsed))
                if shown != e.shown:
                    e.shown = shown
                    self._row_changed(e, columns=(1, 2, 3))
        self._abandoned = [r for r in self._abandoned if r.is_running()]
        self._schedule()
        if self.is_idle() and self._queue.empty() and not self._abandoned:
            self._timer.stop()

    def _finish(self, e: JobEntry, done: _Done) -> None:
        if e.state.finished:
            return
        e.state = done.state
        e.result = done.result
        e.error = done.error
        e.traceback = done.traceback
        e.ended = time.monotonic()
        if done.state == JobState.COMPLETED:
            e.fraction = 1.0
            e.message = ""
        elif done.state == JobState.CANCELLED:
            e.message = "cancelled"
        else:
            e.message = done.error
        self._row_changed(e)
        if e.on_done is not None:
            try:
                e.on_done(e)
            except Exception:  # noqa: BLE001 - a view's bug must not stop the queue
                log.exception("on_done handler of job %s failed", e.title)
        self.jobFinished.emit(e.job_id)
        if e.kind in self.TRANSIENT_KINDS and e in self._entries:
            # Over in milliseconds, its result already on screen: a row per
            # dataset click would only bury the jobs a person follows.
            row = self._entries.index(e)
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._entries[row]
            self.endRemoveRows()
        if self.is_idle():
            self.idleChanged.emit(True)

    def _row_changed(self, e: JobEntry, columns: tuple[int, ...] = ()) -> None:
        row = self._entries.index(e)
        first = min(columns) if columns else 0
        last = max(columns) if columns else len(self.COLUMNS) - 1
        self.dataChanged.emit(self.index(row, first), self.index(row, last))

    # -- QAbstractTableModel -----------------------------------------------
    # Kinds of job whose row leaves the panel as soon as they end.
    TRANSIENT_KINDS = frozenset({"preview"})

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self._entries[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return e.title
            if col == 1:
                return e.state.value + (f" — {e.message}" if e.message and e.state != JobState.COMPLETED else "")
            if col == 2:
                return int(round(e.fraction * 100))
            if col == 3:
                return format_elapsed(e.elapsed) if e.started else ""
        if role == Qt.ItemDataRole.DecorationRole and col == 1:
            return state_icon(e.state.value)
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            # The whole text when the column cuts it ("cancelling — a library call …").
            return e.error or (e.state.value + (f" — {e.message}" if e.message else ""))
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return e.title
        if role == Qt.ItemDataRole.UserRole:
            return e.job_id
        return None


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
