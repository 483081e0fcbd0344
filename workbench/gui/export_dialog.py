"""Export a run's model to ONNX in a worker process and show the parity report."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from workbench.gui.icons import icon
from workbench.gui.jobs import COMPUTE_LANE, JobEntry, JobsModel, JobState
from workbench.gui.widgets import ErrorLabel, ProgressBar


def parity_text(parity: dict[str, Any] | None) -> str:
    if not parity:
        return "No parity check (the held-out rows were not available)."
    lines = [parity.get("message", "")]
    for key, label in (("rows", "Rows checked"), ("label_agreement", "Label agreement"),
                       ("label_mismatches", "Label mismatches"), ("tie_disagreements", "Tie disagreements"),
                       ("max_abs_diff", "Max abs. difference"), ("within_tolerance", "Within tolerance")):
        if key in parity and parity[key] is not None:
            value = parity[key]
            if key == "label_agreement" and isinstance(value, float):
                value = f"{value:.4%}"
            elif isinstance(value, float):
                value = f"{value:.3g}"
            lines.append(f"{label}: {value}")
    return "\n".join(line for line in lines if line)


class ExportDialog(QDialog):
    """Runs the export as an ``ExportJob`` (in the jobs panel, cancellable, in a worker process)."""

    def __init__(self, project_root: str, record: Any, jobs: JobsModel, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export to ONNX")
        self.setWindowIcon(icon("export"))
        self.project_root = project_root
        self.record = record
        self.jobs = jobs
        self.job_id: int | None = None
        self.report: dict[str, Any] | None = None
        info = QFormLayout()
        info.addRow("Run:", QLabel(record.label))
        info.addRow("Algorithm:", QLabel(record.algorithm))
        info.addRow("Output:", QLabel(str(record.folder / "model.onnx")))
        self.progress = ProgressBar()  # paints with the next frame, not inside setValue
        self.progress.hide()
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.error = ErrorLabel()
        self.export_button = QPushButton(icon("export"), "Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(info)
        layout.addWidget(self.progress)
        layout.addWidget(self.result)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, 260)
        jobs.jobEvent.connect(self._event)

    def start(self) -> None:
        from workbench.engine import ExportJob

        job = ExportJob(self.project_root, self.record.run_id)
        self.export_button.setEnabled(False)
        self.error.clear_message()
        self.progress.show()
        self.progress.setValue(0)
        self.job_id = self.jobs.submit_job(job, kind="export", lane=COMPUTE_LANE,
                                           title=f"Export {self.record.label} to ONNX", on_done=self._done)

    def _event(self, job_id: int, event: Any) -> None:
        if job_id == self.job_id and getattr(event, "kind", "") == "progress":
            self.progress.setValue(int(event.fraction * 100))
            self.progress.setFormat(event.message + "  %p%" if event.message else "%p%")

    def _done(self, entry: JobEntry) -> None:
        self.export_button.setEnabled(True)
        self.progress.hide()
        if entry.state == JobState.COMPLETED:
            self.report = entry.result or {}
            size = self.report.get("bytes", 0)
            self.result.setText(
                f"Wrote {self.report.get('path')} ({size / 1024:.0f} KiB) in {self.report.get('seconds', 0):.1f} s.\n\n"
                + parity_text(self.report.get("parity"))
            )
        elif entry.state == JobState.FAILED:
            self.error.show_message(entry.error)
        else:
            self.error.show_message("Export cancelled.")
