"""Why the model predicts what it does: a waterfall per row, global
contributions and partial dependence / ICE curves of one run.

The numbers come from the engine's ``ExplainJob`` (exact TreeSHAP for
XGBoost, sampled Shapley values otherwise; the panel names the method), run
through the jobs model so the window never waits and the job can be
cancelled from the Jobs panel.  A run's cached explanation (explain.json)
shows at once; otherwise the job starts the first time the panel is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.computed_panel import ComputedWhenShown
from workbench.gui.icons import icon
from workbench.gui.plots import SERIES_COLORS, bar_chart, empty_message, make_plot, reset_ticks

EXPLAIN_ROWS = 20
POSITIVE, NEGATIVE = "#d62728", "#1f77b4"


def project_root_of(record: Any) -> Path:
    """runs/<id>/ -> the project folder."""
    return Path(record.folder).parent.parent


def draw_waterfall(plot: pg.PlotWidget, row: dict[str, Any], limit: int = 12) -> None:
    """Base value, then each contribution (largest first) as a step, ending at the raw output."""
    item = plot.getPlotItem()
    item.clear()
    reset_ticks(item)
    items = sorted(row["contributions"].items(), key=lambda kv: -abs(kv[1]))
    head, tail = items[:limit], items[limit:]
    if tail:
        head.append((f"{len(tail)} other features", float(sum(v for _, v in tail))))
    start = float(row["base_value"])
    x0, widths, brushes, labels = [], [], [], []
    for name, v in head:
        x0.append(start if v >= 0 else start + v)
        widths.append(abs(v))
        brushes.append(pg.mkBrush(POSITIVE if v >= 0 else NEGATIVE))
        value = (row.get("values") or {}).get(name)
        labels.append(f"{name} = {value}" if value not in (None, "") else name)
        start += v
    ys = np.arange(len(head))[::-1].astype(float)
    item.addItem(pg.BarGraphItem(x0=x0, y=ys, height=0.7, width=widths, brushes=brushes, pen=None))
    item.getAxis("left").setTicks([[(y, label) for y, label in zip(ys, labels)]])
    item.addItem(pg.InfiniteLine(pos=row["base_value"], angle=90, pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine)))
    item.addItem(pg.InfiniteLine(pos=row["raw_output"], angle=90, pen=pg.mkPen("#000", style=Qt.PenStyle.DashLine)))
    cls = f" (class {row['class']})" if "class" in row else ""
    item.setTitle(f"Row {row.get('index')}: prediction {row.get('prediction')}{cls} — "
                  f"base {row['base_value']:.4g} → output {row['raw_output']:.4g}")
    item.enableAutoRange()


def draw_dependence(plot: pg.PlotWidget, name: str, curve: dict[str, Any]) -> None:
    """The average curve (thick) over its ICE lines (thin); a line per class for multiclass."""
    item = plot.getPlotItem()
    item.clear()
    reset_ticks(item)
    categorical = curve.get("kind") == "categorical"
    grid = curve["grid"]
    xs = np.arange(len(grid), dtype=float) if categorical else np.asarray(grid, dtype=float)
    average = curve["average"]
    if average and isinstance(average[0], list):
        for i, (label, ys) in enumerate(zip(curve.get("classes") or [], average)):
            item.plot(xs, np.asarray(ys, float), pen=pg.mkPen(SERIES_COLORS[i % len(SERIES_COLORS)], width=2),
                      name=str(label), symbol="o" if categorical else None)
    else:
        for line in curve.get("ice") or []:
            item.plot(xs, np.asarray(line, float), pen=pg.mkPen((31, 119, 180, 50)))
        item.plot(xs, np.asarray(average, float), pen=pg.mkPen("#000", width=3),
                  symbol="o" if categorical else None)
    if categorical:
        item.getAxis("bottom").setTicks([[(float(i), str(g)) for i, g in enumerate(grid)]])
    item.setTitle(f"Partial dependence of {name} on {curve.get('rows')} rows ({curve.get('output')})")
    item.setLabel("bottom", name)
    item.enableAutoRange()


class ExplainPanel(ComputedWhenShown, QWidget):
    """Contributions and partial dependence of one run (see module doc)."""

    job_kind = "explain"

    def __init__(self, jobs: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.init_computed(jobs)

        self.method_label = QLabel("Select a run")
        self.method_label.setWordWrap(True)
        self.explain_button = QPushButton(icon("run"), "Explain again")
        self.explain_button.setToolTip("Recompute the contributions and partial dependence (a cancellable job)")
        self.explain_button.clicked.connect(self.start)
        self.row_combo = QComboBox()
        self.row_combo.setToolTip("The held-out row whose prediction the waterfall explains")
        self.row_combo.currentIndexChanged.connect(self._draw_row)
        self.feature_combo = QComboBox()
        self.feature_combo.setToolTip("The feature whose partial dependence and ICE curves are shown")
        self.feature_combo.currentIndexChanged.connect(self._draw_feature)

        self.waterfall_plot = make_plot("Contributions of one row", "model output", "")
        self.global_plot = make_plot("Mean |contribution|", "mean |contribution|", "")
        self.dependence_plot = make_plot("Partial dependence", "", "model output")

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Row:"))
        bar.addWidget(self.row_combo, 1)
        bar.addWidget(QLabel("Feature:"))
        bar.addWidget(self.feature_combo, 1)
        bar.addWidget(self.explain_button)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.waterfall_plot)
        top.addWidget(self.global_plot)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.dependence_plot)
        layout = QVBoxLayout(self)
        layout.addWidget(self.method_label)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

    # -- the run -----------------------------------------------------------------------
    @staticmethod
    def applies_to(result: Any) -> bool:
        """Whether a run (its ``RunResult``) has predictions to explain."""
        return result.status == "completed" and result.task in ("classification", "regression")

    def show_run(self, record: Any) -> None:
        from workbench.engine import read_cached_explanation

        self.record = record
        self.data = None
        cached = read_cached_explanation(record.folder) if record is not None else None
        if cached is not None:
            self.show_data(cached)
        else:
            self._clear("No explanation yet: it is computed when this tab is shown (a job you can cancel).")
            self.start_if_visible()

    def make_job(self) -> Any:
        from workbench.engine import ExplainJob

        # "Explain again" on a shown explanation recomputes instead of reading the cache.
        return ExplainJob(project_root_of(self.record), self.record.run_id, rows=EXPLAIN_ROWS,
                          use_cache=self.data is None)

    def job_started(self) -> None:
        self.method_label.setText("Explaining… (Jobs panel: progress and Cancel)")
        self.explain_button.setEnabled(False)

    def job_finished(self) -> None:
        self.explain_button.setEnabled(True)

    def show_failure(self, text: str) -> None:
        self.method_label.setText(f"Explanation {text}")

    # -- drawing -----------------------------------------------------------------------
    def _clear(self, message: str) -> None:
        self.method_label.setText(message)
        for combo in (self.row_combo, self.feature_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        for plot in (self.waterfall_plot, self.global_plot, self.dependence_plot):
            # Not empty_message: hiding the ticks leaves the axes too narrow for them later.
            plot.getPlotItem().clear()

    def show_data(self, data: dict[str, Any]) -> None:
        self.data = data
        sample = data.get("sample") or {}
        bits = [f"Method: {data['method_text']}", f"output explained: {data['output']}",
                f"{sample.get('explained_rows')} rows explained"]
        if sample.get("permutations"):
            bits.append(f"{sample['permutations']} permutations over {sample.get('background_rows')} background rows")
        bits.append(f"partial dependence on {sample.get('pdp_rows')} sampled rows")
        bits += list(data.get("notes") or [])
        self.method_label.setText(" · ".join(str(b) for b in bits))
        self.row_combo.blockSignals(True)
        self.row_combo.clear()
        for row in data["rows"]:
            self.row_combo.addItem(f"row {row.get('index')} → {row.get('prediction')}")
        self.row_combo.blockSignals(False)
        self.feature_combo.blockSignals(True)
        self.feature_combo.clear()
        self.feature_combo.addItems(list(data.get("partial_dependence") or {}))
        self.feature_combo.blockSignals(False)
        top = data["global"][:20][::-1]
        bar_chart(self.global_plot, [g["feature"] for g in top], [g["mean_abs"] for g in top], horizontal=True)
        self.global_plot.getPlotItem().setTitle(f"Mean |contribution| over {sample.get('global_rows')} rows")
        self._draw_row()
        self._draw_feature()

    def _draw_row(self) -> None:
        if not self.data or not self.data["rows"]:
            return
        i = max(0, self.row_combo.currentIndex())
        draw_waterfall(self.waterfall_plot, self.data["rows"][i])

    def _draw_feature(self) -> None:
        curves = (self.data or {}).get("partial_dependence") or {}
        name = self.feature_combo.currentText()
        if name in curves:
            draw_dependence(self.dependence_plot, name, curves[name])
        else:
            empty_message(self.dependence_plot, "No partial dependence (over the time budget)")


class RowExplanationDialog(QDialog):
    """The waterfall of rows explained on demand (the Predict view's "Explain row")."""

    def __init__(self, data: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Why this prediction")
        self.data = data
        self.plot = make_plot("", "model output", "")
        label = QLabel(f"Method: {data['method_text']} · output explained: {data['output']}")
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.plot, 1)
        self.resize(720, 420)
        draw_waterfall(self.plot, data["rows"][0])
