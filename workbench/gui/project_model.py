"""The open project as a Qt model: the engine's Project plus change signals.

Everything about the work lives in the project folder (the engine's
``Project``); this object only tells views when to re-read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal


class ProjectModel(QObject):
    """Holds the open ``workbench.engine.Project`` (or none).

    Signals: ``projectChanged`` (opened/closed), ``datasetsChanged``,
    ``runsChanged``.  Methods raise the engine's ``WorkbenchError`` with a
    message for the user; callers show it where the user acted.
    """

    projectChanged = Signal()
    # Emitted while the old project is still open, before it is replaced or
    # closed: the session writes the form's settings into it.
    aboutToChange = Signal()
    datasetsChanged = Signal()
    runsChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Any = None
        self._runs_pending = False

    # -- lifecycle -----------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.project is not None

    @property
    def root(self) -> Path | None:
        return Path(self.project.root) if self.project is not None else None

    def open(self, path: str | Path) -> None:
        from workbench.engine import Project

        project = Project.open(Path(path))
        if self.project is not None:
            self.aboutToChange.emit()
        self.project = project
        self.projectChanged.emit()
        self.datasetsChanged.emit()
        self.runsChanged.emit()

    def create(self, path: str | Path, name: str | None = None) -> None:
        from workbench.engine import Project

        project = Project.init(Path(path), name=name)
        if self.project is not None:
            self.aboutToChange.emit()
        self.project = project
        self.projectChanged.emit()
        self.datasetsChanged.emit()
        self.runsChanged.emit()

    def close(self) -> None:
        if self.project is not None:
            self.aboutToChange.emit()
        self.project = None
        self.projectChanged.emit()
        self.datasetsChanged.emit()
        self.runsChanged.emit()

    # -- reading ---------------------------------------------------------------
    def datasets(self) -> dict[str, Any]:
        return dict(self.project.datasets) if self.project is not None else {}

    def runs(self) -> list[Any]:
        if self.project is None:
            return []
        return list(self.project.runs())

    def run(self, run_id: str) -> Any:
        return self.project.run(run_id)

    # -- changing (each emits the matching signal) -----------------------------
    def dataset_added(self) -> None:
        """Call after a worker added a dataset to the project."""
        self._reload()
        self.datasetsChanged.emit()

    def remove_dataset(self, name: str) -> None:
        self.project.remove_dataset(name)
        self.datasetsChanged.emit()

    def rename_dataset(self, old: str, new: str) -> None:
        self.project.rename_dataset(old, new)
        self.datasetsChanged.emit()

    def delete_run(self, run_id: str) -> None:
        self.project.delete_run(run_id)
        self.runsChanged.emit()

    def rename_run(self, run_id: str, label: str) -> None:
        self.project.rename_run(run_id, label)
        self.runsChanged.emit()

    def runs_updated(self) -> None:
        self.runsChanged.emit()

    # A few frames: the paint of the job's start goes first.  Not 50 ms, the
    # live view's tick, which starts in the same turn: the two fired together
    # and made one turn of both (bench/gui_responsiveness.py).
    RUNS_REFRESH_DELAY_MS = 75

    def runs_updated_soon(self) -> None:
        """``runsChanged`` a moment later, once however often this is called before it.

        For a job's start and end: the views re-read the runs in a turn of
        their own, after the window has painted what the job's start or end
        changed, not in the same frame (one long frame made of short ones).
        """
        if not self._runs_pending:
            self._runs_pending = True
            QTimer.singleShot(self.RUNS_REFRESH_DELAY_MS, self, self._emit_runs_changed)

    def _emit_runs_changed(self) -> None:
        self._runs_pending = False
        self.runsChanged.emit()

    def _reload(self) -> None:
        # A worker thread used its own Project object to add a dataset; read
        # the manifest again so this one sees it.
        if self.project is not None:
            from workbench.engine import Project

            self.project = Project.open(Path(self.project.root))


def run_dataset(record: Any) -> str:
    """The dataset a run trained on ("" when its spec cannot be read)."""
    dataset = getattr(record, "dataset", None)
    if dataset is not None:
        return str(dataset)
    try:
        return str(record.spec.dataset)
    except Exception:  # noqa: BLE001 - a damaged run still gets a name
        return ""


def display_label(record: Any) -> str:
    """The user's label of a run, or "algorithm · dataset · HH:MM" (today) / "… · date".

    The dataset is in the name: two XGBoost runs at 13:39 on diamonds and on
    titanic must not both read "xgboost 13:39".
    """
    if record.label != record.run_id:
        return record.label
    from datetime import datetime

    created = datetime.fromtimestamp(record.created)
    when = f"{created:%H:%M}" if created.date() == datetime.now().date() else f"{created:%Y-%m-%d}"
    return " · ".join(part for part in (record.algorithm, run_dataset(record), when) if part)
