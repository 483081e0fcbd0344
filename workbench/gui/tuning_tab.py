"""The Tune tab: the search settings beside the trials of the search.

It searches the Model tab's algorithm on the Model tab's spec (a ``TuneJob``
through the jobs model), streams the trials into the view, and shows a
finished search picked in the Runs table.  "Train best" is the window's to
wire (it fills the model form).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QSplitter, QWidget

from workbench.gui.jobs import JobState
from workbench.gui.tuning_view import TuningSetupWidget, TuningView


class TuningTab(QSplitter):
    """Signals: ``message(str)`` for the status bar; ``finished()`` when a search ended."""

    message = Signal(str)
    finished = Signal()

    def __init__(self, session: Any, jobs: Any, project: Any, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.session, self.jobs, self.project = session, jobs, project
        self.setup = TuningSetupWidget()
        self.view = TuningView()
        self.job_id: int | None = None
        self.addWidget(self.setup)
        self.addWidget(self.view)
        self.setSizes([420, 700])
        session.algorithmChanged.connect(self.algorithm_changed)
        session.taskChanged.connect(lambda _t: self.algorithm_changed(session.algorithm))
        self.setup.start_requested.connect(self.start)
        jobs.jobEvent.connect(self._event)
        self.algorithm_changed(session.algorithm)

    def algorithm_changed(self, key: str) -> None:
        from workbench.engine import WorkbenchError, get_algorithm

        task = self.session.resolved_task()
        self.setup.setEnabled(bool(key) and task != "clustering")
        if key and task != "clustering":  # searches need a score to optimise
            try:
                self.setup.set_algorithm(get_algorithm(key), task)
            except WorkbenchError as exc:
                self.message.emit(str(exc))

    def start(self, settings: dict) -> int | None:
        """Search the Model tab's algorithm with ``settings`` (TuneJob keywords)."""
        from workbench.engine import TuneJob, WorkbenchError

        try:
            spec = self.session.build_spec()
            job = TuneJob(str(self.project.root), spec, **settings)
        except WorkbenchError as exc:
            QMessageBox.warning(self, "Tune", str(exc))
            return None
        self.view.clear()
        self.job_id = self.jobs.submit_job(job, kind="tune", title=getattr(job, "title", "Tune"), on_done=self._done)
        return self.job_id

    def tune_from(self, algorithm: str, params: dict[str, Any]) -> None:
        """A search of ``algorithm`` starting from ``params`` (a run's settings): the setup's own checks first."""
        self.session.set_algorithm(algorithm, params)
        self.setup.request_start()  # emits start_requested when its settings are valid

    def show_search(self, tune_id: str) -> None:
        """Show a finished search (a search running now keeps the view)."""
        from workbench.engine import WorkbenchError, load_tune

        if self.jobs.current("tune") is not None:
            self.message.emit("A search is running; its trials stay on the Tune tab.")
            return
        try:
            result = load_tune(self.project.project, tune_id).result
        except WorkbenchError as exc:
            self.message.emit(str(exc))
            return
        self.view.clear()
        if result:
            self.view.set_result(result)

    def _event(self, job_id: int, event: Any) -> None:
        if job_id == self.job_id:
            self.view.add_event(event)

    def _done(self, entry: Any) -> None:
        if entry.state == JobState.COMPLETED and isinstance(entry.result, dict):
            self.view.set_result(entry.result)
        self.finished.emit()
