"""After training, on a run: serve it, check new data for drift, retrain on new data.

The project tree's and the Runs tab's menus add the three actions with
:func:`add_lifecycle_actions`; each emits ``(action, run id)`` and
:class:`LifecycleActions` carries it out through the jobs machinery:

* "Serve…" asks for the address (and a token, a request log), then runs a
  ``ServeJob``: the jobs panel shows "Serving at http://…" and Cancel stops
  the service like any job;
* "Check drift on new data…" asks for a file, compares it with the run's
  training rows in a job, and opens a :class:`DriftView`;
* "Retrain on new data…" asks for a dataset of the project or a file, runs
  a ``RetrainJob`` and says which model won on the new held-out rows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QWidget,
)

from workbench.gui.icons import icon
from workbench.gui.jobs import JobEntry, JobState

SERVE_TEXT = "Serve…"
DRIFT_TEXT = "Check drift on new data…"
RETRAIN_TEXT = "Retrain on new data…"
DATA_FILTER = "Data files (*.csv *.tsv *.txt *.parquet *.xlsx *.xls *.jsonl *.json);;All files (*)"


def add_lifecycle_actions(menu: QMenu, run_id: str, signal: Any, *, enabled: bool = True) -> None:
    """Add the three actions to ``menu``; each emits ``signal(action, run_id)``."""
    for action, text, icon_name in (("serve", SERVE_TEXT, "run"), ("drift", DRIFT_TEXT, "compare"),
                                    ("retrain", RETRAIN_TEXT, "train")):
        item = menu.addAction(icon(icon_name), text, lambda a=action: signal.emit(a, run_id))
        item.setEnabled(enabled)


def free_port(host: str) -> int:
    """A port nothing listens on now (the service binds it moments later)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ServeDialog(QDialog):
    """Where to serve: host, port, optional token and request log."""

    def __init__(self, run_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Serve {run_id}")
        self.host = QLineEdit("127.0.0.1")
        self.host.setToolTip("127.0.0.1: only this computer can reach the service")
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setValue(8080)
        self.port.setToolTip("0 picks any free port")
        self.token = QLineEdit()
        self.token.setPlaceholderText("optional: requests then need 'Authorization: Bearer <token>'")
        self.log = QLineEdit()
        self.log.setPlaceholderText("optional: a .jsonl file of every prediction, for drift checks")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Serve")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Address", self.host)
        form.addRow("Port", self.port)
        form.addRow("Token", self.token)
        form.addRow("Request log", self.log)
        form.addRow(buttons)

    def options(self) -> Any:
        from workbench.engine import ServeOptions

        return ServeOptions(host=self.host.text().strip() or "127.0.0.1", port=self.port.value(),
                            token=self.token.text().strip() or None, log_path=self.log.text().strip() or None)


class RetrainDialog(QDialog):
    """Which new data: a dataset of the project or a file; optionally appended to the old data."""

    def __init__(self, run_id: str, datasets: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Retrain {run_id} on new data")
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.addItems(datasets)
        self.source.setCurrentText("")
        self.source.lineEdit().setPlaceholderText("a dataset of the project, or a file")
        browse = QPushButton("File…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(browse)
        self.append = QCheckBox("Append the new rows to the run's data")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Retrain")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("New data", row)
        form.addRow("", self.append)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "New data", "", DATA_FILTER)
        if path:
            self.source.setCurrentText(path)


class LifecycleActions(QObject):
    """Carries out the lifecycle actions. ``message(text)`` goes to the status bar."""

    message = Signal(str)
    driftShown = Signal(object)  # the DriftView opened
    retrained = Signal(dict)  # the retrain report

    def __init__(self, project: Any, jobs: Any, parent_widget: QWidget | None = None) -> None:
        super().__init__(parent_widget)
        self.project = project
        self.jobs = jobs
        self.parent_widget = parent_widget
        self.views: list[QWidget] = []

    def handle(self, action: str, run_id: str) -> int | None:
        return {"serve": self.serve, "drift": self.check_drift, "retrain": self.retrain}[action](run_id)

    # -- serve --------------------------------------------------------------------
    def serve(self, run_id: str, options: Any = None) -> int | None:
        from workbench.engine import ServeJob

        if options is None:
            dialog = ServeDialog(run_id, self.parent_widget)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            options = dialog.options()
        if not options.port:
            options.port = free_port(options.host)  # the address goes in the job's title
        job = ServeJob(str(self.project.root), run_id, options)
        url = f"http://{options.host}:{options.port}"
        # A lane of its own: a running service must not hold up training.
        return self.jobs.submit_job(job, kind="serve", lane=f"serve-{url}",
                                    title=f"Serving {url} — {run_id}", on_done=self._serve_done)

    def _serve_done(self, entry: JobEntry) -> None:
        if entry.state == JobState.FAILED:
            self.message.emit(f"Serving stopped: {entry.error}")
        else:
            self.message.emit("Serving stopped.")

    # -- drift -------------------------------------------------------------------
    def check_drift(self, run_id: str, path: str | None = None) -> int | None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.parent_widget, "New data to compare with the training data",
                                                  "", DATA_FILTER)
            if not path:
                return None
        from workbench.engine import DriftJob

        job = DriftJob(path, project_root=str(self.project.root), run_id=run_id)
        return self.jobs.submit_job(job, kind="drift", title=job.title,
                                    on_done=lambda e: self._drift_done(e, job.title))

    def _drift_done(self, entry: JobEntry, title: str) -> None:
        if entry.state != JobState.COMPLETED:
            if entry.state == JobState.FAILED:
                self.message.emit(f"Drift check failed: {entry.error}")
            return
        from workbench.gui.drift_view import DriftView

        view = DriftView(entry.result, title)
        view.resize(1100, 700)
        view.show()
        self.views.append(view)
        self.driftShown.emit(view)

    # -- retrain -----------------------------------------------------------------
    def retrain(self, run_id: str, source: str | None = None, append: bool = False) -> int | None:
        from workbench.engine import RetrainJob

        if source is None:
            dialog = RetrainDialog(run_id, sorted(self.project.datasets()), self.parent_widget)
            if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.source.currentText().strip():
                return None
            source, append = dialog.source.currentText().strip(), dialog.append.isChecked()
        job = RetrainJob(str(self.project.root), run_id, source, append=append)
        self.project.runs_updated()
        return self.jobs.submit_job(job, kind="train", title=job.title, on_done=self._retrain_done)

    def _retrain_done(self, entry: JobEntry) -> None:
        self.project.runs_updated()
        if entry.state == JobState.FAILED:
            self.message.emit(f"Retraining failed: {entry.error}")
            return
        if entry.state != JobState.COMPLETED:
            return
        report = entry.result
        self.message.emit(retrain_summary(report))
        self.retrained.emit(report)


def retrain_summary(report: dict[str, Any]) -> str:
    """One line: both scores and the winner."""
    c = report["comparison"]
    old, new = c["old"].get(c["metric"]), c["new"].get(c["metric"])
    verdict = {"new": "the new model wins", "old": "the old model wins", "tie": "a tie"}[c["winner"]]
    fmt = lambda v: "–" if v is None else f"{v:.4g}"  # noqa: E731
    return (f"Retrained as {report['run_id']}: {c['metric']} old {fmt(old)}, new {fmt(new)} on "
            f"{c['rows']:,} new held-out rows — {verdict}.")



def drift_note(report: dict[str, Any]) -> str:
    """One sentence for a status line."""
    drifted = [str(f["name"]) for f in report["features"] if f["drifted"]]
    if not drifted:
        return "No drift against the training data."
    return f"Drift against the training data in {', '.join(drifted)} (see Drift…)."
