"""The main window: builds the models and views and wires their signals.

No logic of its own beyond wiring (STYLE.md): views take a model in their
constructor and never import each other; this module connects them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
)

from workbench.gui import settings as ui_settings
from workbench.gui.cluster_dialog import ClusterChoice
from workbench.gui.executor_setting import ExecutorSetting
from workbench.gui.export_dialog import ExportDialog
from workbench.gui.icons import app_icon, icon
from workbench.gui.jobs import JobsModel, JobState
from workbench.gui.jobs_panel import JobsPanel
from workbench.gui.lifecycle import LifecycleActions
from workbench.gui.project_model import ProjectModel, display_label
from workbench.gui.project_tree import ProjectTree
from workbench.gui.run_actions import RunActions
from workbench.gui.session import Session
from workbench.gui.start_page import StartPage
from workbench.gui.widgets import scrolling
from workbench.gui.window_menus import build_menus
from workbench.gui.window_state import fit_to_screen, restore_window_state, save_window_state

TAB_DATA, TAB_MODEL, TAB_TRAINING, TAB_RESULTS, TAB_RUNS = range(5)
# The workspace is built after the window's first paint; a window that is
# never painted (hidden, as in some tests) builds it after this delay.
FIRST_PAINT_FALLBACK_MS = 300


class MainWindow(QMainWindow):
    def __init__(self, project_path: str | Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Training Workbench")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)

        # -- models ------------------------------------------------------------------
        self.jobs = JobsModel(self)
        self.cluster = ClusterChoice(self, fallback_kind=lambda: "process")
        self.executor_setting = ExecutorSetting(self.jobs, self.cluster, self)
        self.cluster.changed.connect(self.executor_setting.apply)
        self.cluster.message.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.executor_setting.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.project = ProjectModel(self)
        self.session = Session(self.project, self.jobs, self)
        self.run_actions = RunActions(self.session, self)
        self.lifecycle = LifecycleActions(self.project, self.jobs, self)

        # -- views -------------------------------------------------------------------
        # Only what the start screen needs is built now; the workspace views
        # (pyqtgraph plots: ~0.7 s of imports and construction) are built right
        # after the first paint, so the window shows fast.
        self.start_page = StartPage()
        self.tree = ProjectTree(self.project)
        self.jobs_panel = JobsPanel(self.jobs)
        self.tabs: QTabWidget | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.setCentralWidget(self.stack)

        self.tree_dock = self._dock("Project", self.tree, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.jobs_dock = self._dock("Jobs", self.jobs_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._build_actions()
        self._wire()
        self.statusBar().showMessage("Ready")
        self.resize(1360, 860)
        # The project panel keeps its names readable however the window is sized.
        self.tree_dock.setMinimumWidth(200)
        self.resizeDocks([self.tree_dock], [240], Qt.Orientation.Horizontal)
        self.resizeDocks([self.jobs_dock], [150], Qt.Orientation.Vertical)
        restore_window_state(self)
        fit_to_screen(self)
        self._update_actions()
        # Shown first, then built: a zero-delay timer alone fires BEFORE the
        # first paint (measured: the window appeared only after the ~1 s
        # workspace build), so the start page's first Paint event triggers it.
        # The process executor is started after that too: its worker's warm
        # imports (scikit-learn, ~2 s of CPU) competed with the window's own
        # start-up on 2 cores (bench/cold_start.py).
        self._closing = False
        self._startup_pending = True
        self._startup_project = project_path
        self.start_page.installEventFilter(self)
        QTimer.singleShot(FIRST_PAINT_FALLBACK_MS, self, self._finish_startup)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is self.start_page and event.type() == QEvent.Type.Paint and self._startup_pending:
            QTimer.singleShot(0, self, self._finish_startup)
        return super().eventFilter(obj, event)

    def _finish_startup(self) -> None:
        """Build the workspace (or open the project given) and start the executor, once."""
        if not self._startup_pending or self._closing:
            return
        self._startup_pending = False
        self.start_page.removeEventFilter(self)
        # Executors first: the project's first profile already goes to a worker.
        self.executor_setting.apply()
        if self._startup_project:
            self.open_project(self._startup_project)
        else:
            self.ensure_workspace()
        self.cluster.restore()
        QTimer.singleShot(0, self, self._settle)  # no project: nothing to wait for

    def _settle(self) -> None:
        from workbench.gui.memory import settle_long_lived_objects

        if not self._closing and self.jobs.is_idle():
            settle_long_lived_objects()

    def ensure_workspace(self) -> None:
        """Build the central tabs (data, model, training, results, runs) once."""
        if self.tabs is not None:
            return
        from workbench.gui.inspector import DatasetInspector
        from workbench.gui.live_view import LiveTrainingView
        from workbench.gui.model_form import ModelForm
        from workbench.gui.results import ResultsView
        from workbench.gui.roles import RolesPanel
        from workbench.gui.runs_table import RunsTable

        self.inspector = DatasetInspector(self.session)
        self.roles = RolesPanel(self.session)
        self.model_form = ModelForm(self.session)
        self.live_view = LiveTrainingView(self.jobs)
        self.results = ResultsView()
        self._add_explain_tabs()
        self.runs_table = RunsTable(self.project)
        model_tab = QSplitter(Qt.Orientation.Horizontal)
        # The roles panel scrolls (it is the tall one); the model form keeps
        # Train in sight and scrolls its parameters itself.
        model_tab.addWidget(scrolling(self.roles))
        model_tab.addWidget(self.model_form)
        model_tab.setChildrenCollapsible(False)
        model_tab.setSizes([520, 480])
        tabs = QTabWidget()
        tabs.setDocumentMode(True)
        tabs.addTab(self.inspector, icon("dataset"), "Data")
        tabs.addTab(model_tab, icon("settings"), "Model")
        tabs.addTab(self.live_view, icon("run"), "Training")
        tabs.addTab(self.results, icon("results"), "Results")
        tabs.addTab(self.runs_table, icon("compare"), "Runs")
        self._add_tuning_tab(tabs)
        self._add_compare_and_predict_tabs(tabs)
        self.stack.addWidget(tabs)
        self.tabs = tabs
        self.runs_table.runSelected.connect(self.show_run)
        self.runs_table.tuneSelected.connect(self.show_tune)
        for view in (self.runs_table, self.results):
            view.loadSettingsRequested.connect(self._load_run_settings)
            view.runAgainRequested.connect(self.run_actions.run_again)
        self.runs_table.lifecycleRequested.connect(self.lifecycle.handle)
        self.model_form.trainStarted.connect(lambda _job: self.tabs.setCurrentIndex(TAB_TRAINING))
        self._esc_cancels(self.live_view)
        self.inspector.status.connect(self.statusBar().showMessage)
        self._update_actions()

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    # -- actions ------------------------------------------------------------------------
    def _action(self, text: str, ico: str | None, slot, shortcut: str | QKeySequence | None = None,
                tip: str = "") -> QAction:
        action = QAction(icon(ico) if ico else QIcon(), text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text.replace("…", ""))
        action.setStatusTip(tip or text.replace("…", ""))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action("&New project…", "new", self.new_project_dialog, QKeySequence.StandardKey.New)
        self.open_action = self._action("&Open project…", "open", self.open_project_dialog,
                                        QKeySequence.StandardKey.Open)
        self.close_action = self._action("&Close project", None, self.close_project)
        self.add_action = self._action("&Add dataset…", "add-dataset", self._add_dataset, "Ctrl+Shift+A")
        self.train_action = self._action("&Train", "train", self._train, None,
                                         "Train with the settings on the Model tab (Ctrl+Return)")
        self.cancel_action = self._action("&Cancel job", "cancel", self.cancel_current_job, None,
                                          "Cancel the newest running job (Esc in the Training view or Jobs panel)")
        self.export_action = self._action("&Export to ONNX…", "export", self._export_selected, None,
                                          "Export the selected run's model to ONNX")
        self.report_action = self._action("Save &report…", "save", self.save_report, None,
                                          "Save the shown run as one self-contained HTML report (opens offline)")
        self.quit_action = self._action("&Quit", None, self.close, QKeySequence.StandardKey.Quit)
        build_menus(self)
        # Esc cancels only where jobs are what the person looks at (the Jobs
        # panel here, the Training view once built); in a form field it keeps
        # Qt's meaning (close a popup, revert an edit) and never touches a job.
        self._esc_cancels(self.jobs_panel)

    def _esc_cancels(self, widget) -> None:
        QShortcut(QKeySequence(Qt.Key.Key_Escape), widget, activated=self.cancel_current_job,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def cancel_current_job(self) -> bool:
        """Cancel the newest running job, asking first when it has run a while."""
        from workbench.gui.cancel_confirm import ask_to_cancel

        current = self.jobs.current()
        return ask_to_cancel(self, self.jobs, current.job_id if current is not None else None)

    # -- wiring ------------------------------------------------------------------------------
    def _wire(self) -> None:
        self.start_page.openRequested.connect(self.open_project)
        self.start_page.newRequested.connect(self.new_project_dialog)
        self.start_page.openDialogRequested.connect(self.open_project_dialog)
        self.tree.datasetActivated.connect(self._dataset_activated)
        self.tree.runActivated.connect(self.show_run)
        self.tree.exportRequested.connect(self.export_run)
        self.tree.loadSettingsRequested.connect(self._load_run_settings)
        self.tree.runAgainRequested.connect(self.run_actions.run_again)
        self.tree.lifecycleRequested.connect(self.lifecycle.handle)
        self.lifecycle.message.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.run_actions.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.run_actions.trainStarted.connect(lambda _job: self.tabs is not None
                                              and self.tabs.setCurrentIndex(TAB_TRAINING))
        self.session.loadFailed.connect(lambda msg: self.statusBar().showMessage(msg, 10000))
        self.jobs.jobStarted.connect(self._job_started)
        self.jobs.jobFinished.connect(self._job_finished)
        self.jobs.idleChanged.connect(lambda _idle: self._update_actions())
        # A new "Jobs at once" waits for the running fits (their workers keep their thread caps).
        self.jobs.idleChanged.connect(lambda idle: idle and not self._closing and not self._startup_pending
                                      and self.executor_setting.apply())
        self.project.projectChanged.connect(self._update_actions)
        self.tree.tree.currentItemChanged.connect(lambda *_: self._update_actions())
        # The start-up's jobs (the project's first dataset, its profile) are
        # over: a quiet moment to take its objects out of the GC's sight.
        self.jobs.idleChanged.connect(lambda idle: idle and not self._startup_pending
                                      and QTimer.singleShot(0, self, self._settle))

    # -- hyperparameter search ---------------------------------------------------------
    def _add_tuning_tab(self, tabs: QTabWidget) -> None:
        from workbench.gui.tuning_tab import TuningTab

        self.tuning_tab = TuningTab(self.session, self.jobs, self.project)
        self.tuning_setup, self.tuning_view = self.tuning_tab.setup, self.tuning_tab.view
        tabs.addTab(self.tuning_tab, icon("settings"), "Tune")
        self.tuning_tab.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.tuning_tab.finished.connect(self.project.runs_updated)
        self.tuning_view.train_best_requested.connect(self._train_best)

    def _add_compare_and_predict_tabs(self, tabs: QTabWidget) -> None:
        from workbench.gui.compare_view import CompareView
        from workbench.gui.predict_view import PredictView

        self.compare_view = CompareView(self.jobs, lambda: self.project.root, self._compare_spec,
                                        self.session.resolved_task)
        self.predict_view = PredictView(self.jobs, self.project)
        tabs.addTab(self.compare_view, icon("compare"), "Compare")
        tabs.addTab(self.predict_view, icon("run"), "Predict")
        from workbench.gui.drilldown import DrillDown

        self.drilldown = DrillDown(self.jobs, self.project, self)
        self.results.confusionCellClicked.connect(
            lambda actual, predicted: self.drilldown.show_cell(self.results.record.run_id, actual, predicted))
        self.results.regressionBoxSelected.connect(
            lambda *box: self.drilldown.show_box(self.results.record.run_id, *box))
        self.compare_view.runOpened.connect(self.show_run)
        self.compare_view.tuneRequested.connect(self._tune_from_run)
        self.compare_view.status.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.compare_view.runsAdded.connect(self.project.runs_updated)
        self.predict_view.status.connect(lambda text: self.statusBar().showMessage(text, 10000))
        for signal in (self.session.taskChanged, self.session.datasetChanged):
            signal.connect(lambda *_: self.compare_view.task_changed())
        self.compare_view.refresh_algorithms()

    def _compare_spec(self) -> Any:
        """The Model tab's spec (data, target, preparation); the algorithm is the compare's."""
        chosen = self.session.algorithm
        self.session.algorithm = chosen or "baseline"  # build_spec insists on one; each row replaces it
        try:
            return self.session.build_spec()
        finally:
            self.session.algorithm = chosen

    def _tune_from_run(self, algorithm: str, run_id: str) -> None:
        """"Tune this": a search of the row's algorithm, starting from its run's settings."""
        result = self.project.run(run_id).result
        self.tabs.setCurrentWidget(self.tuning_tab)
        self.tuning_tab.tune_from(algorithm, result.params if result else {})

    def _train_best(self, params: dict) -> None:
        if self.model_form.param_form is not None:
            self.model_form.param_form.set_values(params)
        self.tabs.setCurrentIndex(TAB_MODEL)
        self.statusBar().showMessage("Best parameters copied to the model form; press Train.", 10000)

    def _load_run_settings(self, run_id: str) -> None:
        self.ensure_workspace()
        if self.run_actions.load_settings(run_id):
            self.tabs.setCurrentIndex(TAB_MODEL)

    def _add_dataset(self) -> None:
        self.ensure_workspace()
        self.tabs.setCurrentIndex(TAB_DATA)
        self.inspector.choose_files()

    def _dataset_activated(self, name: str) -> None:
        self.ensure_workspace()
        self.session.select_dataset(name)
        self.tabs.setCurrentIndex(TAB_DATA)

    def show_run(self, run_id: str) -> None:
        from workbench.engine import WorkbenchError

        try:
            record = self.project.run(run_id)
        except WorkbenchError as exc:
            self.statusBar().showMessage(str(exc), 10000)
            return
        self.ensure_workspace()
        self.results.show_run(record)
        if self.jobs.current("train") is None:
            # Nothing is training: let the Training tab replay this run's curves.
            from workbench.engine import RunResult

            # A run without result.json (interrupted, running) replays as what it is.
            result = record.result or RunResult(status=record.status, algorithm=record.algorithm)
            self.live_view.show_record(display_label(record), result)
        if self.tabs.currentIndex() != TAB_RUNS:
            self.tabs.setCurrentIndex(TAB_RESULTS)
        self._update_actions()

    def show_tune(self, tune_id: str) -> None:
        """Show a finished search in the Tune tab (a search running now keeps the tab)."""
        self.tabs.setCurrentWidget(self.tuning_tab)
        self.tuning_tab.show_search(tune_id)

    def _train(self) -> None:
        self.ensure_workspace()
        self.tabs.setCurrentIndex(TAB_MODEL)
        self.model_form.train()

    def _job_started(self, job_id: int) -> None:
        entry = self.jobs.entry(job_id)
        self.statusBar().showMessage(f"Started: {entry.title}", 5000)
        if entry.kind == "train":
            # The tree lists the new run folder, in its own event-loop turn
            # (not in the one that resets the live view for this job).
            self.project.runs_updated_soon()

    def _job_finished(self, job_id: int) -> None:
        entry = self.jobs.entry(job_id)
        text = f"{entry.title}: {entry.state.value}"
        if entry.state == JobState.FAILED:
            text += f" — {entry.error}"
        self.statusBar().showMessage(text, 15000)
        if entry.kind == "export":
            self.project.runs_updated()
        if entry.kind == "train":
            # The session's on_done has asked for the runs to be re-read (next turn).
            run_id = getattr(entry.job, "run_id", None)
            if run_id and entry.state == JobState.COMPLETED and self.tabs is not None:
                try:
                    # Built after the run, a plot per event-loop turn, not in the
                    # turn that ends the job (~30 ms a pyqtgraph plot).
                    self.results.show_run_soon(self.project.run(run_id))
                except Exception:  # noqa: BLE001 - the tree still lists the run
                    pass

    def _update_actions(self) -> None:
        is_open = self.project.is_open
        self.stack.setCurrentIndex(1 if is_open and self.tabs is not None else 0)
        self.add_action.setEnabled(is_open)
        self.close_action.setEnabled(is_open)
        self.train_action.setEnabled(is_open)
        self.cancel_action.setEnabled(not self.jobs.is_idle())
        record = self.results.record if self.tabs is not None else None
        self.export_action.setEnabled(record is not None and getattr(record, "has_model", False))
        name = self.project.project.name if is_open else ""
        self.setWindowTitle(f"{name} — Training Workbench" if name else "Training Workbench")
        if not is_open:
            self.start_page.refresh()

    # -- project -------------------------------------------------------------------------------
    def open_project(self, path: str | Path) -> bool:
        from workbench.engine import WorkbenchError

        self.ensure_workspace()
        try:
            self.project.open(path)
        except WorkbenchError as exc:
            QMessageBox.warning(self, "Open project", str(exc))
            return False
        ui_settings.add_recent_project(self.project.root)
        self.results.clear()
        self.tabs.setCurrentIndex(TAB_DATA)
        datasets = self.project.datasets()
        default = (self.project.project.defaults or {}).get("dataset") if hasattr(self.project.project, "defaults") \
            else None
        first = default if default in datasets else next(iter(datasets), None)
        if first:
            self.session.select_dataset(first)
            item = self.tree.item_for("dataset", first)
            if item is not None:
                self.tree.tree.setCurrentItem(item)
        self.statusBar().showMessage(f"Opened {self.project.root}", 5000)
        self._update_actions()
        return True

    def open_project_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open project folder", str(Path.home()))
        if path:
            self.open_project(path)

    def new_project_dialog(self) -> None:
        from workbench.engine import WorkbenchError

        path = QFileDialog.getExistingDirectory(self, "Choose an empty folder for the new project", str(Path.home()))
        if not path:
            return
        name, ok = QInputDialog.getText(self, "New project", "Project name:", text=Path(path).name)
        if not ok:
            return
        try:
            self.project.create(path, name or None)
        except WorkbenchError as exc:
            QMessageBox.warning(self, "New project", str(exc))
            return
        ui_settings.add_recent_project(self.project.root)
        self._update_actions()

    def close_project(self) -> None:
        self.project.close()
        if self.tabs is not None:
            self.results.clear()
        self._update_actions()

    # -- explanations, calibration and the report (issue 15) ------------------------------------
    def _add_explain_tabs(self) -> None:
        from workbench.gui.calibration_view import CalibrationPanel
        from workbench.gui.explain_view import ExplainPanel

        # Parented from the start: a parentless panel outlived the window it
        # listens to and crashed the interpreter when garbage-collected (exit 139).
        self.explain_panel = ExplainPanel(self.jobs, self.results)
        self.calibration_panel = CalibrationPanel(self.jobs, self.results)
        self.explain_panel.hide()
        self.calibration_panel.hide()
        self.results.add_run_tab("explain", self.explain_panel, "Explain", "search")
        self.results.add_run_tab("calibration", self.calibration_panel, "Calibration", "target")

    def save_report(self, path: str | None = None) -> int | None:
        """Write the shown run's HTML report (a job); asks where unless ``path`` is given."""
        from PySide6.QtWidgets import QFileDialog

        from workbench.engine import ReportJob

        record = self.results.record if self.tabs is not None else None
        if record is None:
            self.statusBar().showMessage("Select a run first: the report describes one run.", 10000)
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save report", f"{record.run_id}.html", "HTML files (*.html)")
            if not path:
                return None

        def done(entry) -> None:
            text = f"Report saved to {path}" if entry.result else f"Report {entry.state}: {entry.error}"
            # After the generic "job finished" message, which follows on_done.
            QTimer.singleShot(0, self, lambda: self.statusBar().showMessage(text, 15000))

        return self.jobs.submit_job(ReportJob(str(self.project.root), record.run_id, path), kind="report",
                                    on_done=done)

    # -- export ------------------------------------------------------------------------------------
    def _export_selected(self) -> None:
        if self.tabs is not None and self.results.record is not None:
            self.export_run(self.results.record.run_id)

    def export_run(self, run_id: str) -> ExportDialog | None:
        dialog = ExportDialog(str(self.project.root), self.project.run(run_id), self.jobs, self)
        dialog.setModal(False)
        dialog.show()
        return dialog

    # -- window ------------------------------------------------------------------------------------------
    def fit_to_screen(self) -> None:
        fit_to_screen(self)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        running = [e for e in self.jobs.active() if e.kind == "train"]
        if running and QMessageBox.question(
            self, "Quit", "A model is still training. Cancel it and quit?"
        ) != QMessageBox.StandardButton.Yes:
            event.ignore()
            return
        save_window_state(self)
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Cancel jobs and wait for their workers (window close, test teardown)."""
        self._closing = True  # a start-up still pending must not start an executor now
        self.jobs.shutdown(timeout_s=15.0)  # the app's worker pool stays for other windows (app.py stops it)
        self.cluster.shutdown()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() and self.project.is_open:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        self.ensure_workspace()
        self.tabs.setCurrentIndex(TAB_DATA)
        self.inspector.add_files(paths)
        event.acceptProposedAction()
