"""The window's job queue: every job goes through an engine executor and one handle.

A job is an engine job (``TrainJob``, ``ExportJob``, ``ProfileJob``, ...) or
a :class:`FunctionJob` wrapping a callable.  A *runner* (job_runners.py) runs
one job: a portable engine job in a worker process by default (the window
sets the executors, see ``gui/workers.py``), a local job in a ``QThread``
through an ``InlineExecutor``.  Runners push what happens into a thread-safe
queue; :class:`JobsModel`, living on the GUI thread, drains that queue from a
timer and emits every signal *in the GUI thread* — so views never see a
cross-thread signal (pytest-qt's ``waitSignal`` warns on those, see
docs/findings.md) and the worker never touches a widget.

Jobs wait in lanes: one running job per lane unless :meth:`JobsModel.set_lane_limit`
allows more.  Training and export share the ``"compute"`` lane because two
all-core fits side by side on a small machine are many times slower than one
after the other (docs/findings.md); the window raises its limit to the "Jobs at
once" setting.  Data loading, profiling and predicting use the ``"data"`` lane
so a dataset can be inspected during a fit.
"""

from __future__ import annotations

import itertools
import logging
import queue
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from workbench.engine import (
    JobState,  # the engine executors' life cycle: one definition for both
    Progress,
    is_portable,
)

from workbench.gui.icons import state_icon
from workbench.gui.job_runners import (  # noqa: F401 - FunctionJob: the local job, imported from here
    Done,
    FunctionJob,
    RunnerFactory,
    ThreadRunner,
    executor_runner_factory,
)

log = logging.getLogger(__name__)

COMPUTE_LANE = "compute"
DATA_LANE = "data"


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
    on_done: Callable[["JobEntry"], None] | None = None
    runner: Any = None
    cancel_requested: float | None = None  # when Cancel was pressed (monotonic)
    shown: tuple[Any, ...] = ()  # what the jobs table last showed (see JobsModel._drain)

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or time.monotonic()) - self.started

    @property
    def value(self) -> Any:
        """What a :class:`FunctionJob`'s callable returned: for its ``on_done`` (None before, and after)."""
        return self.result.get("value") if isinstance(self.result, dict) else None


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

    COLUMNS = ("Job", "State", "Progress", "Elapsed", "")
    POLL_MS = 40
    DRAIN_BUDGET_S = 0.004  # event handling per event-loop turn (see _drain)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[JobEntry] = []
        self._ids = itertools.count(1)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._timer = QTimer(self, objectName="jobs-drain")
        self._timer.setInterval(self.POLL_MS)
        self._timer.timeout.connect(self._drain)
        self._runner_factory: RunnerFactory | None = None
        self._factories: dict[str, RunnerFactory] = {}
        self._lane_factories: dict[str, RunnerFactory] = {}
        self._lane_limits: dict[str, int] = {}

    # -- configuration ---------------------------------------------------
    def set_runner_factory(self, factory: RunnerFactory | None, *, kinds: tuple[str, ...] = (),
                           lanes: tuple[str, ...] = ()) -> None:
        """Run portable jobs of ``kinds`` (or of ``lanes``; all when neither) with ``factory``.

        Local jobs (not portable: a :class:`FunctionJob`) always run in a
        thread; so do portable ones while no factory applies (a jobs model
        without a window, as in some tests).  ``None`` removes a factory.
        """
        for key, table in [(k, self._factories) for k in kinds] + [(lane, self._lane_factories) for lane in lanes]:
            if factory is None:
                table.pop(key, None)
            else:
                table[key] = factory
        if not kinds and not lanes:
            self._runner_factory = factory

    def runner_factory(self, e: JobEntry) -> RunnerFactory:
        """Where ``e`` runs: by its kind, then its lane, then the default; a thread if it is local."""
        if not is_portable(e.job):
            return ThreadRunner
        return (self._factories.get(e.kind) or self._lane_factories.get(e.lane) or self._runner_factory
                or ThreadRunner)

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
            self._finish(e, Done(JobState.CANCELLED))
            self._schedule()
        elif e.state == JobState.RUNNING:
            e.state = JobState.CANCELLING
            e.cancel_requested = time.monotonic()
            # A worker process that does not stop by itself is stopped within
            # about a second; a local job stops at its next check.
            e.message = "cancelling…"
            e.runner.cancel()
            self._row_changed(e)

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

        e.runner = self.runner_factory(e)(e.job, sink)
        e.state = JobState.RUNNING
        e.started = time.monotonic()
        self._row_changed(e)
        if not self._timer.isActive():
            self._timer.start()
        self.jobStarted.emit(job_id)
        e.runner.start()

    def _drain(self) -> None:
        # A turn handles events for at most DRAIN_BUDGET_S, and a job's end
        # (whose listeners refresh the run list, the live view, Results) ends
        # the turn: the rest follows in the next turn, after a paint, instead
        # of a burst of events (a job's first seconds) in one long frame.
        deadline = time.perf_counter() + self.DRAIN_BUDGET_S
        more = False
        while True:
            if time.perf_counter() > deadline:
                more = True
                break
            try:
                job_id, item = self._queue.get_nowait()
            except queue.Empty:
                break
            try:
                e = self.entry(job_id)
            except KeyError:
                continue
            if isinstance(item, Done):
                if e.runner is not None:
                    e.runner.join(5.0)  # the worker has returned; this is immediate
                self._finish(e, item)
                more = not self._queue.empty()
                break
            if e.state.finished:
                continue  # a late event of a job that has ended belongs to no view
            if isinstance(item, Progress):
                e.fraction = item.fraction
                if item.message and e.state != JobState.CANCELLING:
                    e.message = item.message
            self.jobEvent.emit(job_id, item)
        for e in self._entries:
            if e.state in (JobState.RUNNING, JobState.CANCELLING):
                # Repaint a row only when what it shows changed (state text,
                # whole percent, elapsed second): the queue is drained 25 times
                # a second and every repaint is GUI-thread time taken from a fit.
                shown = (e.message, int(round(e.fraction * 100)), int(e.elapsed))
                if shown != e.shown:
                    e.shown = shown
                    self._row_changed(e, columns=(1, 2, 3))
        self._schedule()
        if more:
            QTimer.singleShot(0, self, self._drain)
        elif self.is_idle() and self._queue.empty():
            self._timer.stop()

    def _finish(self, e: JobEntry, done: Done) -> None:
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
        on_done, e.on_done = e.on_done, None  # called once; its closure may hold a frame
        if on_done is not None:
            try:
                on_done(e)
            except Exception:  # noqa: BLE001 - a view's bug must not stop the queue
                log.exception("on_done handler of job %s failed", e.title)
        self.jobFinished.emit(e.job_id)
        if isinstance(e.job, FunctionJob):
            # A local job's value is a live object (a whole frame) that its
            # on_done has taken: the row stays in the panel, the value does
            # not.  Every dataset opened stayed in memory while its "Load"
            # row was listed (800 MB per open of a 5M x 20 frame).
            e.result = None
            e.job.release()
            e.runner = None  # its thread has ended; its handle held the result too
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
    # Kinds of job whose row leaves the panel as soon as they end: a preview,
    # and reading back a file a worker wrote (the second half of a job shown).
    TRANSIENT_KINDS = frozenset({"preview", "read"})

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
            # The whole text when the column cuts it.
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
