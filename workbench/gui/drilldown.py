"""From an evaluation plot to the rows behind it.

A click on a confusion-matrix cell, or a box drawn over the predicted-vs-
actual plot, lists those held-out rows (original columns, prediction,
probabilities) in a window.  The model re-predicts the run's held-out rows
in a worker process (``HeldOutPredictionsJob``, to a Parquet file), once per
run; a short local job reads the file, and the frame is kept for the next
click.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QLabel, QTableView, QVBoxLayout, QWidget

from workbench.engine import JobState
from workbench.gui.jobs import DATA_LANE, FunctionJob
from workbench.gui.table_model import DataFrameModel
from workbench.gui.widgets import lay_out_at_once, number_rows


def connect_cell_clicks(heatmap: Any, callback: Callable[[int, int], None]) -> None:
    """Call ``callback(row, column)`` when a cell of ``heatmap`` is clicked.

    The handler holds the heatmap weakly: a reference cycle through a Qt
    object is freed by the garbage collector at a random moment, and PySide
    crashed when that happened beside a worker thread.
    """
    ref = weakref.ref(heatmap)

    def clicked(event: Any) -> None:
        heatmap = ref()
        if heatmap is None:
            return
        m = heatmap.matrix
        if m.ndim != 2 or m.size == 0 or event.button() != Qt.MouseButton.LeftButton:
            return
        point = heatmap.plot.vb.mapSceneToView(event.scenePos())
        r, c = int(np.floor(point.y())), int(np.floor(point.x()))
        if 0 <= r < m.shape[0] and 0 <= c < m.shape[1]:
            callback(r, c)

    heatmap.scene().sigMouseClicked.connect(clicked)


def add_selection_box(plot: Any, x: np.ndarray, y: np.ndarray,
                      callback: Callable[[float, float, float, float], None]) -> Any:
    """A box over the scatter's middle; moving or resizing it calls ``callback(x0, x1, y0, y1)``."""
    if x.size == 0:
        return None
    x0, x1 = np.nanpercentile(x, [25, 75])
    y0, y1 = np.nanpercentile(y, [25, 75])
    roi = pg.RectROI([x0, y0], [max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)], pen=pg.mkPen("#d9480f", width=2))
    roi.setToolTip("Drag or resize the box: the rows inside it are listed")
    roi.addScaleHandle([0, 0], [1, 1])
    plot.getPlotItem().addItem(roi)

    def changed(box: Any) -> None:  # the ROI passes itself: no reference cycle through the closure
        (px, py), (w, h) = box.pos(), box.size()
        callback(float(px), float(px + w), float(py), float(py + h))

    roi.sigRegionChangeFinished.connect(changed)
    return roi


class RowsDialog(QDialog):
    """A table of rows (virtual: big selections cost nothing to show)."""

    def __init__(self, title: str, frame: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.model = DataFrameModel(frame, self)
        view = number_rows(QTableView())
        view.setModel(self.model)
        lay_out_at_once(view)
        view.setSortingEnabled(True)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"{title}: {len(frame):,} row(s)"))
        lay.addWidget(view)
        self.resize(900, 420)


KEEP_TABLES = 3  # runs whose held-out rows stay loaded for the next drill-down


class DrillDown(QObject):
    """Turns "these cells / this box of run R" into a RowsDialog, via a job."""

    def __init__(self, jobs: Any, project: Any, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.jobs = jobs
        self.project = project
        self.parent_widget = parent_widget
        # Run id -> its held-out predictions, the most recently used last.  A
        # test split of 1M rows is ~80 MB: only the last few runs looked at are kept.
        self._tables: OrderedDict[str, Any] = OrderedDict()
        self.dialog: RowsDialog | None = None

    def show_cell(self, run_id: str, actual: str, predicted: str) -> None:
        from workbench.engine import cell_rows

        self._with_table(run_id, lambda table, target: self._show(
            f"Actual {actual}, predicted {predicted}", cell_rows(table, target, actual, predicted)))

    def show_box(self, run_id: str, x0: float, x1: float, y0: float, y1: float) -> None:
        from workbench.engine import box_rows

        self._with_table(run_id, lambda table, target: self._show(
            f"Actual {x0:.4g}…{x1:.4g}, predicted {y0:.4g}…{y1:.4g}",
            box_rows(table, target, (x0, x1), (y0, y1))))

    def _with_table(self, run_id: str, then: Callable[[Any, str], None]) -> None:
        record = self.project.run(run_id)
        target = record.spec.target
        if run_id in self._tables:
            self._tables.move_to_end(run_id)
            then(self._tables[run_id], target)
            return
        import tempfile
        from pathlib import Path

        from workbench.engine import HeldOutPredictionsJob

        folder = tempfile.mkdtemp(prefix="workbench-rows-")
        output = str(Path(folder) / "rows.parquet")

        def read(ctx: Any) -> Any:
            import shutil

            import pandas as pd

            try:
                return pd.read_parquet(output)
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        def done(entry: Any) -> None:
            if entry.state == JobState.COMPLETED:
                self._tables[run_id] = entry.value
                while len(self._tables) > KEEP_TABLES:
                    self._tables.popitem(last=False)
                then(entry.value, target)
            elif entry.error:
                self._show(f"Cannot list the rows: {entry.error}", None)

        def predicted(entry: Any) -> None:
            if entry.state == JobState.COMPLETED:
                self.jobs.submit_job(FunctionJob(f"Read the test rows of {run_id}", read), kind="read",
                                     lane=DATA_LANE, on_done=done)
            else:
                done(entry)

        self.jobs.submit_job(HeldOutPredictionsJob(str(self.project.root), run_id, output), kind="rows",
                             lane=DATA_LANE, on_done=predicted)

    def _show(self, title: str, frame: Any) -> None:
        import pandas as pd

        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        # A window of its own, owned by Python (no Qt parent): a parented
        # dialog outlived its deleted parent in PySide's exit clean-up and
        # crashed the interpreter at exit (gdb: destroyQCoreApplication).
        self.dialog = RowsDialog(title, frame if frame is not None else pd.DataFrame())
        self.dialog.show()
