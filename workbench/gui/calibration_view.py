"""A binary classifier's calibration and decision threshold.

Left: the reliability diagram (observed positive rate against the mean
predicted probability per bin, each point labelled with its row count).
Right: precision, recall, F1 and, when costs are given, the total cost of the
held-out rows against the threshold; drag the vertical line or type a value,
then "Save threshold" stores it with the run (``predict``, the ONNX metadata
and ``serve`` use it from then on).  The curves come from the engine's
``BinaryDiagnosticsJob`` through the jobs model (cancellable).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.computed_panel import ComputedWhenShown
from workbench.gui.explain_view import project_root_of
from workbench.gui.icons import icon
from workbench.gui.plots import SERIES_COLORS, add_legend, make_plot, reset_ticks


class CalibrationPanel(ComputedWhenShown, QWidget):
    """Reliability diagram and threshold curves of one binary classification run."""

    job_kind = "diagnose"

    def __init__(self, jobs: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.init_computed(jobs)

        self.summary = QLabel("Select a binary classification run")
        self.summary.setWordWrap(True)
        self.cost_fp = QDoubleSpinBox(minimum=0.0, maximum=1e9, decimals=2, value=0.0)
        self.cost_fp.setToolTip("Cost of one false positive (0 = not used)")
        self.cost_fn = QDoubleSpinBox(minimum=0.0, maximum=1e9, decimals=2, value=0.0)
        self.cost_fn.setToolTip("Cost of one false negative (0 = not used)")
        self.recompute_button = QPushButton(icon("run"), "Recompute")
        self.recompute_button.setToolTip("Recompute the curves with these costs (a cancellable job)")
        self.recompute_button.clicked.connect(self.start)
        self.threshold_box = QDoubleSpinBox(minimum=0.01, maximum=0.99, decimals=2, singleStep=0.01, value=0.5)
        self.threshold_box.valueChanged.connect(self._threshold_typed)
        self.save_button = QPushButton(icon("save"), "Save threshold")
        self.save_button.setToolTip("Predict, the ONNX metadata and serve will use P(positive) ≥ this value")
        self.save_button.clicked.connect(self.save_threshold)
        self.clear_button = QPushButton("Use 0.5")
        self.clear_button.setToolTip("Remove the saved threshold (the model's own rule)")
        self.clear_button.clicked.connect(lambda: self.save_threshold(clear=True))
        self.status = QLabel()
        self.status.setObjectName("hint")

        self.reliability_plot = make_plot("Reliability diagram (labels: rows per bin)",
                                          "mean predicted probability", "observed positive rate")
        self.threshold_plot = make_plot("Precision, recall, F1 against the threshold",
                                        "threshold on P(positive)", "")
        add_legend(self.threshold_plot, "bottom-left")
        self.line = pg.InfiniteLine(pos=0.5, angle=90, movable=True, pen=pg.mkPen("#000", width=2))
        self.line.sigPositionChanged.connect(self._line_moved)

        bar = QHBoxLayout()
        for text, widget in (("Cost of a false positive:", self.cost_fp), ("of a false negative:", self.cost_fn)):
            bar.addWidget(QLabel(text))
            bar.addWidget(widget)
        bar.addWidget(self.recompute_button)
        bar.addStretch(1)
        bar.addWidget(QLabel("Threshold:"))
        bar.addWidget(self.threshold_box)
        bar.addWidget(self.save_button)
        bar.addWidget(self.clear_button)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.reliability_plot)
        split.addWidget(self.threshold_plot)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    @staticmethod
    def applies_to(result: Any) -> bool:
        """Whether a run (its ``RunResult``) has a calibration to show: a completed binary classifier."""
        return result.status == "completed" and result.is_binary_classifier

    def show_run(self, record: Any) -> None:
        self.record = record
        self.data = None
        self.status.setText("")
        for plot in (self.reliability_plot, self.threshold_plot):
            # Not empty_message: hiding the ticks leaves the axes too narrow for them later.
            plot.getPlotItem().clear()
        self.summary.setText("Computed when this tab is shown (a job you can cancel).")
        self.start_if_visible()

    def make_job(self) -> Any:
        from workbench.engine import BinaryDiagnosticsJob

        return BinaryDiagnosticsJob(project_root_of(self.record), self.record.run_id,
                                    cost_fp=self.cost_fp.value() or None, cost_fn=self.cost_fn.value() or None)

    def job_started(self) -> None:
        self.summary.setText("Computing calibration and threshold curves…")

    def show_failure(self, text: str) -> None:
        self.summary.setText(f"Calibration {text}")

    def show_data(self, data: dict[str, Any]) -> None:
        self.data = data
        cal, curve = data["calibration"], data["threshold"]
        chosen = data.get("chosen_threshold")
        best = curve.get("best_f1_threshold")
        text = (f"Positive class '{data['positive_class']}', {cal['rows']} held-out rows · Brier {cal['brier']:.4g} · "
                f"calibration error {cal['ece']:.4g} · best F1 at {best:.2f}")
        if "min_cost_threshold" in curve:
            text += f" · least cost at {curve['min_cost_threshold']:.2f}"
        text += f" · saved threshold: {chosen if chosen is not None else 'none (0.5)'}"
        self.summary.setText(text)
        self._draw_reliability(cal)
        self._draw_threshold(curve)
        self.threshold_box.setValue(float(chosen if chosen is not None else best or 0.5))

    def _draw_reliability(self, cal: dict[str, Any]) -> None:
        item = self.reliability_plot.getPlotItem()
        item.clear()
        reset_ticks(item)  # empty_message hid them
        item.plot([0, 1], [0, 1], pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine))
        bins = [b for b in cal["bins"] if b["count"]]
        xs = [b["mean_predicted"] for b in bins]
        ys = [b["fraction_positive"] for b in bins]
        item.plot(xs, ys, pen=pg.mkPen(SERIES_COLORS[0], width=2), symbol="o", symbolSize=7)
        for b in bins:
            label = pg.TextItem(str(b["count"]), anchor=(0, 1), color="#444")
            label.setPos(b["mean_predicted"], b["fraction_positive"])
            item.addItem(label)
        item.setRange(xRange=(0, 1), yRange=(0, 1.05))

    def _draw_threshold(self, curve: dict[str, Any]) -> None:
        item = self.threshold_plot.getPlotItem()
        item.clear()
        reset_ticks(item)
        ts = np.asarray(curve["thresholds"], float)
        for i, key in enumerate(("precision", "recall", "f1")):
            ys = np.asarray([np.nan if v is None else v for v in curve[key]], float)
            item.plot(ts, ys, pen=pg.mkPen(SERIES_COLORS[i], width=2), name=key, connect="finite")
        if curve.get("cost"):
            cost = np.asarray(curve["cost"], float)
            top = cost.max() or 1.0
            item.plot(ts, cost / top, pen=pg.mkPen("#d62728", width=2, style=Qt.PenStyle.DashLine),
                      name=f"cost (÷ {top:.4g})")
        item.addItem(self.line)
        item.setRange(xRange=(0, 1), yRange=(0, 1.05))

    # -- the threshold -----------------------------------------------------------------
    def _line_moved(self) -> None:
        value = float(np.clip(round(self.line.value(), 2), 0.01, 0.99))
        if abs(self.threshold_box.value() - value) > 1e-9:
            self.threshold_box.setValue(value)

    def _threshold_typed(self, value: float) -> None:
        if abs(self.line.value() - value) > 1e-9:
            self.line.setValue(value)
        curve = (self.data or {}).get("threshold")
        if curve:
            i = int(np.argmin(np.abs(np.asarray(curve["thresholds"]) - value)))
            parts = [f"{k} {curve[k][i]:.3f}" for k in ("precision", "recall", "f1") if curve[k][i] is not None]
            if curve.get("cost"):
                parts.append(f"cost {curve['cost'][i]:.4g}")
            self.status.setText(f"At {value:.2f}: " + ", ".join(parts))

    def save_threshold(self, clear: bool = False) -> dict[str, Any] | None:
        """Write the threshold into the run (model.json, result.json, model.onnx metadata)."""
        from workbench.engine import WorkbenchError, set_threshold

        if self.record is None:
            return None
        value = None if clear else round(self.threshold_box.value(), 4)
        try:
            saved = set_threshold(project_root_of(self.record), self.record.run_id, value)
        except WorkbenchError as exc:
            self.status.setText(f"Not saved: {exc}")
            return None
        where = ", ".join(saved["written"])
        self.status.setText(f"Saved threshold {value if value is not None else 'cleared (0.5)'} → {where}; "
                            "predict, the ONNX metadata and serve use it now.")
        if self.data is not None:
            self.data["chosen_threshold"] = value
            text = self.summary.text().rsplit(" · saved threshold:", 1)[0]
            self.summary.setText(f"{text} · saved threshold: {value if value is not None else 'none (0.5)'}")
        return saved
