"""Runs side by side: filter the Runs tab by dataset and target, diff 2+ runs.

``RunFilter`` is the pair of combos above the runs table; ``RunsDiff`` shows
the selected runs' parameters and metrics in one table (rows whose values
differ are highlighted) and overlays their training curves on one plot.
"""

from __future__ import annotations

import json
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.plots import SERIES_COLORS, make_plot

ALL = ""  # combo data of "All datasets" / "All targets"
DIFF_TINT = QColor(255, 200, 60, 90)


class RunFilter(QWidget):
    """Dataset and target combos; ``changed`` when either is chosen."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset_combo = QComboBox()
        self.target_combo = QComboBox()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Dataset:"))
        lay.addWidget(self.dataset_combo)
        lay.addWidget(QLabel("Target:"))
        lay.addWidget(self.target_combo)
        self.dataset_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.target_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.set_choices([])

    def set_choices(self, pairs: list[tuple[str, str]]) -> None:
        """Offer every dataset and target seen in ``pairs``; keep the current picks."""
        for combo, values, everything in (
            (self.dataset_combo, sorted({d for d, _t in pairs if d}), "All datasets"),
            (self.target_combo, sorted({t for _d, t in pairs if t}), "All targets"),
        ):
            keep = combo.currentData() or ALL
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, ALL)
            for value in values:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(keep)))
            combo.blockSignals(False)

    def accepts(self, dataset: str, target: str) -> bool:
        want_d, want_t = self.dataset_combo.currentData() or ALL, self.target_combo.currentData() or ALL
        return (want_d == ALL or dataset == want_d) and (want_t == ALL or target == want_t)


def run_dataset_target(project: Any) -> dict[tuple[str, str], tuple[str, str]]:
    """``(kind, id) -> (dataset, target)`` for the project's runs and searches."""
    from workbench.engine import WorkbenchError, list_tunes

    out: dict[tuple[str, str], tuple[str, str]] = {}
    if not project.is_open:
        return out
    for record in project.runs():
        try:
            spec = record.spec
            out["run", record.run_id] = (spec.dataset, spec.target or "")
        except (WorkbenchError, OSError):
            out["run", record.run_id] = ("", "")
    for tune in list_tunes(project.project):
        try:
            run_spec = tune.spec.get("run_spec", {})
            out["tune", tune.tune_id] = (run_spec.get("dataset", ""), run_spec.get("target") or "")
        except (WorkbenchError, OSError, AttributeError):
            out["tune", tune.tune_id] = ("", "")
    return out


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


class RunsDiff(QWidget):
    """Parameters and metrics of 2+ runs as columns; differing rows highlighted; curves overlaid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.plot = make_plot("Training curves", "iteration", "loss")
        self.plot.addLegend(offset=(-10, 10))
        self.hint = QLabel("Select two or more runs (Ctrl/Shift-click) to compare them side by side.")
        self.hint.setObjectName("hint")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.plot)
        split.setSizes([600, 400])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.hint)
        lay.addWidget(split, 1)
        self.differing: list[str] = []
        self.curve_names: list[str] = []

    def set_runs(self, records: list[Any]) -> None:
        from workbench.engine import RunResult

        results = [r.result or RunResult() for r in records]
        specs = []
        for r in records:
            try:
                specs.append(r.spec.to_dict())
            except Exception:  # a broken spec still gets its column
                specs.append({})
        rows: list[tuple[str, list[Any]]] = []
        for key in ("algorithm", "dataset", "target", "cv", "seed", "test_size"):
            rows.append((key, [s.get(key) for s in specs]))
        # Metrics before parameters: "which is better" is read first.
        metrics = [res.numeric_metrics() for res in results]
        metric_names = sorted({k for m in metrics for k in m})
        rows += [(f"metric {k}", [m.get(k) for m in metrics]) for k in metric_names]
        param_names = sorted({k for res in results for k in res.params})
        rows += [(f"param {k}", [res.params.get(k) for res in results]) for k in param_names]

        self.table.clear()
        self.table.setRowCount(len(rows))
        self.table.setColumnCount(len(records))
        self.table.setHorizontalHeaderLabels([r.run_id for r in records])
        self.table.setVerticalHeaderLabels([name for name, _v in rows])
        self.differing = []
        for i, (name, values) in enumerate(rows):
            texts = [_text(v) for v in values]
            differs = len(set(texts)) > 1
            if differs:
                self.differing.append(name)
            for j, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if differs:
                    item.setBackground(QBrush(DIFF_TINT))
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.hint.setText(f"{len(records)} runs side by side; {len(self.differing)} row(s) differ (highlighted).")
        self._draw_curves(records, results)

    def _draw_curves(self, records: list[Any], results: list[Any]) -> None:
        from workbench.engine import preferred_loss

        item = self.plot.getPlotItem()
        item.clear()
        self.curve_names = []
        for n, (record, result) in enumerate(zip(records, results)):
            # Validation curves when the run has them, else the training ones.
            side = "valid" if result.curves("valid") else "train"
            curves = result.curves(side)
            # The registry's loss when there is one, else the first score by name.
            metric = preferred_loss(curves) or min(curves, default=None)
            if metric is None:
                continue
            xs, ys = curves[metric]
            color = SERIES_COLORS[n % len(SERIES_COLORS)]
            name = f"{record.run_id[-24:]} ({side} {metric})"
            item.plot(list(xs), list(ys), pen=pg.mkPen(color, width=2), name=name)
            self.curve_names.append(name)
        if not self.curve_names:
            item.setTitle("Training curves (none of these runs is iterative)")
        else:
            item.setTitle("Training curves")
