"""The Predict tab: a run's model (or any .onnx file) on a data file or dataset.

Predicting is a ``PredictJob`` in a worker process: it writes the
predictions to a Parquet file of this view and says what was wrong with the
input; a short local job then reads the file for the virtual table (rows
whose input had a problem tinted, the problem in the tooltip) and opens the
model for the "Try one row" form beside it, which predicts single rows as
you type.  Saving runs as a job too.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.engine import JobState
from workbench.gui.jobs import DATA_LANE, FunctionJob
from workbench.gui.table_model import BACKGROUND, TOOLTIP, DataFrameModel
from workbench.gui.try_row import TryRowForm
from workbench.gui.widgets import lay_out_at_once, number_rows

PROBLEM_TINT = QColor(255, 170, 0, 70)
# Combo item data: "<kind>:<value>" (a tuple would come back from Qt as a list).
RUN_ITEM, ONNX_ITEM, DATASET_ITEM, FILE_ITEM = "run:", "onnx:", "dataset:", "file:"


def _split(data: str) -> tuple[str, str]:
    kind, _, value = data.partition(":")
    return kind + ":", value


class PredictionsModel(DataFrameModel):
    """The predictions frame; rows whose input had a problem are tinted."""

    def __init__(self, parent=None) -> None:
        super().__init__(None, parent)
        self.problem_rows = np.zeros(0, dtype=bool)
        self.problem_text = ""

    def set_predictions(self, frame: Any, problem_rows: np.ndarray, problem_text: str) -> None:
        self.problem_rows = np.asarray(problem_rows, dtype=bool)
        self.problem_text = problem_text
        self.set_frame(frame)

    def is_problem(self, row: int) -> bool:
        r = self.frame_row(row)
        return bool(r < len(self.problem_rows) and self.problem_rows[r])

    CELL_ROLES = DataFrameModel.CELL_ROLES | {TOOLTIP}

    def cell_data(self, row: int, column: int, role: int, text: str | None = None) -> Any:
        if int(role) in (BACKGROUND, TOOLTIP) and self.is_problem(row):
            return PROBLEM_TINT if int(role) == BACKGROUND else self.problem_text
        return super().cell_data(row, column, role, text)


def _predict_job(source: str, data: str, project_root: str, output: str) -> Any:
    """The engine job that predicts ``data`` with ``source`` into ``output`` (in a worker process)."""
    from workbench.engine import PredictJob

    kind, value = _split(source)
    dkind, dvalue = _split(data)
    model = {"model_path": value} if kind == ONNX_ITEM else {"project_root": project_root, "run_id": value}
    rows = {"data_path": dvalue} if dkind == FILE_ITEM else {"dataset": dvalue, "project_root": project_root}
    return PredictJob(output, **{**model, **rows}, strict=False, mark_problems=True, drift=True)


def _open_predictions(source: str, project_root: str, output: str) -> dict[str, Any]:
    """Local job: the predictions file as a frame, and the model for "Try one row"."""
    import pandas as pd

    from workbench.engine import open_predictor, row_defaults

    frame = pd.read_parquet(output)
    kind, value = _split(source)
    predictor = open_predictor(value) if kind == ONNX_ITEM else open_predictor(project_root, value)
    choices = {}
    for f in predictor.features:
        if f.kind != "numeric" and f.name in frame.columns:
            choices[f.name] = frame[f.name].dropna().value_counts().index[:50].tolist()
    return {"frame": frame, "predictor": predictor, "defaults": row_defaults(frame, predictor.features),
            "choices": choices}


class PredictView(QWidget):
    """Pick a model and data, predict, look, save; try single rows."""

    status = Signal(str)

    def __init__(self, jobs: Any, project: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.project = project
        self.job_id: int | None = None
        self.predictions: Any = None  # the frame shown (input columns + prediction + proba_*)
        self.predictions_path: str | None = None  # the Parquet file it was read from
        # Predictions files live here until the view goes (a new prediction replaces the last).
        self._folder = tempfile.TemporaryDirectory(prefix="workbench-predictions-")
        self._file_numbers = itertools.count(1)

        self.model_combo = QComboBox()
        self.model_combo.setMinimumContentsLength(28)
        self.onnx_button = QPushButton(".onnx file…")
        self.data_combo = QComboBox()
        self.data_combo.setMinimumContentsLength(28)
        self.file_button = QPushButton("Data file…")
        self.predict_button = QPushButton("Predict")
        self.save_button = QPushButton("Save as CSV…")
        self.save_button.setEnabled(False)
        # -- why this prediction (issue 15, explain helper): the selected row's waterfall.
        self.explain_button = QPushButton("Explain row…")
        self.explain_button.setToolTip("Feature contributions to the selected row's prediction (a run's model)")
        self.explain_button.setEnabled(False)
        self.explain_dialog: Any = None
        self.drift_button = QPushButton("Drift…")
        self.drift_button.setToolTip("This data against the model's training data, feature by feature")
        self.drift_button.setEnabled(False)
        self.drift_report: dict[str, Any] | None = None
        self.notes = QLabel("Pick a run (or an exported .onnx model) and a dataset (or a data file).")
        self.notes.setWordWrap(True)

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.model_combo, 1)
        row.addWidget(self.onnx_button)
        form.addRow("Model:", row)
        row = QHBoxLayout()
        row.addWidget(self.data_combo, 1)
        row.addWidget(self.file_button)
        form.addRow("Data:", row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.predict_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.explain_button)
        buttons.addWidget(self.drift_button)
        buttons.addStretch(1)

        self.model = PredictionsModel(self)
        self.view = number_rows(QTableView())
        self.view.setModel(self.model)
        lay_out_at_once(self.view)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicatorShown(True)
        self.try_row = TryRowForm()
        try_box = QGroupBox("Try one row")
        QVBoxLayout(try_box).addWidget(self.try_row)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.view)
        split.addWidget(try_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([800, 320])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.notes)
        lay.addWidget(split, 1)

        self.onnx_button.clicked.connect(self._choose_onnx)
        self.file_button.clicked.connect(self._choose_file)
        self.predict_button.clicked.connect(self.predict)
        self.save_button.clicked.connect(self._choose_save)
        self.explain_button.clicked.connect(self.explain_row)
        self.drift_button.clicked.connect(self.show_drift)
        self._stale = False  # runs or datasets changed while the tab was hidden
        project.projectChanged.connect(self._choices_changed)
        project.runsChanged.connect(self._choices_changed)
        project.datasetsChanged.connect(self._choices_changed)
        self.refresh()

    # -- choices ------------------------------------------------------------------------
    def _choices_changed(self) -> None:
        """Refill the pickers now if the tab is shown, else when it is opened.

        Every run's start and end refilled this hidden tab's model list, which
        reads every run of the project: ~50 ms of the GUI thread at 200 runs.
        """
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._fresh()
        super().showEvent(event)

    def _fresh(self) -> None:
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Runs with a saved model and the project's datasets (extra picks kept)."""
        self._stale = False
        keep_model, keep_data = self.model_combo.currentData(), self.data_combo.currentData()
        self.model_combo.clear()
        self.data_combo.clear()
        if self.project.is_open:
            for record in reversed(self.project.runs()):
                if record.status == "completed" and record.has_model:
                    self.model_combo.addItem(f"{record.run_id}  ({record.algorithm})", RUN_ITEM + record.run_id)
            for name in self.project.datasets():
                self.data_combo.addItem(name, DATASET_ITEM + name)
        for combo, keep in ((self.model_combo, keep_model), (self.data_combo, keep_data)):
            if keep and combo.findData(keep) < 0:
                combo.insertItem(0, Path(_split(keep)[1]).name, keep)
            if keep:
                combo.setCurrentIndex(combo.findData(keep))

    def set_model_source(self, kind: str, value: str) -> None:
        """Choose a run (``RUN_ITEM, run_id``) or an ONNX file (``ONNX_ITEM, path``)."""
        self._fresh()
        data = kind + value
        if self.model_combo.findData(data) < 0:
            self.model_combo.insertItem(0, Path(value).name if kind == ONNX_ITEM else value, data)
        self.model_combo.setCurrentIndex(self.model_combo.findData(data))

    def set_data_source(self, kind: str, value: str) -> None:
        """Choose a dataset (``DATASET_ITEM, name``) or a file (``FILE_ITEM, path``)."""
        self._fresh()
        data = kind + value
        if self.data_combo.findData(data) < 0:
            self.data_combo.insertItem(0, Path(value).name if kind == FILE_ITEM else value, data)
        self.data_combo.setCurrentIndex(self.data_combo.findData(data))

    def _choose_onnx(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "ONNX model", "", "ONNX models (*.onnx)")
        if path:
            self.set_model_source(ONNX_ITEM, path)

    def _choose_file(self) -> None:
        from workbench.engine import SUPPORTED_EXTENSIONS

        patterns = " ".join(f"*{e}" for e in SUPPORTED_EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(self, "Data to predict", "", f"Data files ({patterns})")
        if path:
            self.set_data_source(FILE_ITEM, path)

    # -- predicting -----------------------------------------------------------------------
    def predict(self) -> int | None:
        self._fresh()
        source, data = self.model_combo.currentData(), self.data_combo.currentData()
        if not source or not data:
            self.notes.setText("Pick a model and data first.")
            return None
        root = str(self.project.root) if self.project.is_open else ""
        output = str(Path(self._folder.name) / f"predictions-{next(self._file_numbers)}.parquet")
        try:
            job = _predict_job(source, data, root, output)
        except Exception as exc:  # noqa: BLE001 - a WorkbenchError: say it where the person acted
            self.notes.setText(f"Cannot predict: {exc}")
            return None
        self.predict_button.setEnabled(False)
        self.notes.setText("Predicting…")
        self.job_id = self.jobs.submit_job(job, kind="predict", lane=DATA_LANE,
                                           on_done=lambda entry: self._predicted(entry, source, root))
        return self.job_id

    def _predicted(self, entry: Any, source: str, root: str) -> None:
        if entry.state != JobState.COMPLETED:
            self._done(entry, {})
            return
        summary = entry.result
        job = FunctionJob(f"Read {summary['rows']:,} predictions",
                          lambda ctx: _open_predictions(source, root, summary["output"]))
        self.job_id = self.jobs.submit_job(job, kind="read", lane=DATA_LANE,
                                           on_done=lambda read: self._done(read, summary))

    def _done(self, entry: Any, summary: dict[str, Any]) -> None:
        self.predict_button.setEnabled(True)
        self.job_id = None
        if entry.state != JobState.COMPLETED:
            self.notes.setText(f"Cannot predict: {entry.error}" if entry.error else "Prediction cancelled.")
            return
        result = entry.value
        frame = result["frame"]
        previous, self.predictions_path = self.predictions_path, summary["output"]
        if previous and previous != self.predictions_path:
            Path(previous).unlink(missing_ok=True)
        self.predictions = frame
        problem_rows = np.zeros(len(frame), dtype=bool)
        problem_rows[np.asarray(summary.get("problem_rows") or [], dtype=int)] = True
        lines = [f"{len(frame):,} predictions."]
        if summary["bad"]:
            lines.append(summary["bad"] + " Those values were treated as missing.")
        lines += summary["notes"]
        problems = int(problem_rows.sum())
        self.drift_report = summary.get("drift")
        self.drift_button.setEnabled(self.drift_report is not None)
        if self.drift_report is not None:
            from workbench.gui.lifecycle import drift_note

            lines.append(drift_note(self.drift_report))
        if problems:
            lines.append(f"{problems:,} row(s) had an input problem (tinted; hover for details).")
        self.notes.setText(" ".join(lines))
        self.model.set_predictions(frame, problem_rows, summary["bad"] or "A feature value is missing here (imputed).")
        self.save_button.setEnabled(True)
        self.explain_button.setEnabled(_split(self.model_combo.currentData() or "")[0] == RUN_ITEM)
        self.try_row.set_model(result["predictor"], result["defaults"], result["choices"])
        self.status.emit(lines[0])

    def explain_row(self) -> int | None:
        """Explain the selected prediction (first row if none) in a job; shows a waterfall."""
        from workbench.engine import ExplainJob
        from workbench.gui.explain_view import RowExplanationDialog

        kind, run_id = _split(self.model_combo.currentData() or "")
        if self.predictions_path is None or kind != RUN_ITEM or not self.project.is_open:
            return None
        current = self.view.currentIndex()
        position = self.model.frame_row(current.row() if current.isValid() else 0)
        # The row of the predictions file (extra columns are ignored), in a worker process.
        job = ExplainJob(str(self.project.root), run_id, self.predictions_path, rows=1, row_offset=position,
                         dependence=False)

        def done(entry: Any) -> None:
            if entry.state != JobState.COMPLETED:
                self.notes.setText(f"Cannot explain: {entry.error}" if entry.error else "Explanation cancelled.")
                return
            self.explain_dialog = RowExplanationDialog(entry.result, self)
            self.explain_dialog.show()

        return self.jobs.submit_job(job, kind="explain", on_done=done)

    def show_drift(self) -> Any:
        """Open the drift view of the last prediction's data."""
        from workbench.gui.drift_view import DriftView

        if self.drift_report is None:
            return None
        self.drift_view = DriftView(self.drift_report, "Drift of the predicted data")
        self.drift_view.resize(1100, 700)
        self.drift_view.show()
        return self.drift_view

    # -- saving -------------------------------------------------------------------------
    def _choose_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save predictions", "predictions.csv", "CSV (*.csv)")
        if path:
            self.save(path)

    def save(self, path: str, on_saved: Callable[[], None] | None = None) -> int | None:
        """Write the predictions as CSV in a job (a big table takes seconds)."""
        if self.predictions is None:
            return None
        from workbench.engine import atomic_write_text

        frame = self.predictions

        def done(entry: Any) -> None:
            ok = entry.state == JobState.COMPLETED
            self.notes.setText(f"Saved {len(frame):,} predictions to {path}." if ok else f"Not saved: {entry.error}")
            if on_saved:
                on_saved()

        job = FunctionJob(f"Save {Path(path).name}", lambda ctx: atomic_write_text(path, frame.to_csv(index=False)))
        return self.jobs.submit_job(job, kind="save", lane=DATA_LANE, on_done=done)
