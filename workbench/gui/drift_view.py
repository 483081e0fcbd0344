"""Drift of new data against a run's training data: per-feature bars and histograms.

Takes a drift report (``workbench.engine.drift_for_run``) and shows:

* a verdict line and the thresholds it used;
* one bar per feature with its PSI, red where the feature drifted, with the
  usual PSI bands (0.1, 0.25) drawn across;
* a table of the per-feature statistics and verdicts;
* for the selected feature (a table row or a bar), the training and new
  distributions overlaid (shares per bin, or per category).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

DRIFT_COLOR = (214, 69, 65)
OK_COLOR = (120, 144, 156)
REFERENCE_COLOR = (66, 133, 244, 150)
NEW_COLOR = (244, 160, 0, 150)
COLUMNS = ("Feature", "Kind", "Test", "Statistic", "p-value", "PSI", "Verdict")


def _num(v: Any) -> str:
    return "–" if v is None else f"{v:.3g}"


class DriftView(QWidget):
    """The drift report of one data file against one run."""

    def __init__(self, report: dict[str, Any], title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.features = report["features"]
        self.setWindowTitle(title or "Drift")
        drifted = [f["name"] for f in self.features if f["drifted"]]
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setText(
            (f"<b style='color:#d64541'>Drift in {len(drifted)} of {len(self.features)} features:</b> "
             + ", ".join(map(str, drifted)) if drifted else "<b>No drift</b> in any feature")
            + f" — {report['rows']:,} new rows against {report.get('reference_rows', 0):,} training rows."
        )
        t = report.get("thresholds") or {}
        self.thresholds = QLabel(
            f"A feature drifts when its test's p-value &lt; {t.get('p_value', 0):.3g} "
            f"(α {t.get('alpha')} / features), or above {t.get('large_sample_rows')} values its distance "
            f"&gt; {t.get('distance')}, or PSI &gt; {t.get('psi_major')} (on ≥ {t.get('psi_min_rows')} values), "
            f"or &gt; {t.get('out_of_range_share', 0):.0%} of values fall outside the training range "
            f"or are unseen categories, or the missing rate moved by ≥ {t.get('missing_rate_change', 0):.0%}."
        )
        self.thresholds.setWordWrap(True)
        self.thresholds.setStyleSheet("color: palette(mid);")

        self.bars = pg.PlotWidget()
        self.bars.setBackground(None)
        self.bars.setMenuEnabled(False)
        self.bars.setMouseEnabled(x=False, y=False)
        self.bars.setLabel("left", "PSI")
        self.bars.setTitle("Population stability index per feature (red: drifted)")
        self._draw_bars()

        self.table = QTableWidget(len(self.features), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, f in enumerate(self.features):
            verdict = "drift: " + "; ".join(f.get("reasons") or []) if f["drifted"] else "ok"
            cells = [str(f["name"]), f["kind"], f["test"] or "–", _num(f["statistic"]), _num(f["p_value"]),
                     _num(f["psi"]), verdict]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if f["drifted"]:
                    item.setForeground(pg.mkColor(DRIFT_COLOR))
                self.table.setItem(row, col, item)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.histogram = pg.PlotWidget()
        self.histogram.setBackground(None)
        self.histogram.setMenuEnabled(False)
        self.histogram.setLabel("left", "% of rows")
        self.histogram.addLegend(offset=(-10, 10))

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.verdict)
        top_layout.addWidget(self.thresholds)
        plots = QHBoxLayout()
        plots.addWidget(self.bars, 1)
        plots.addWidget(self.histogram, 1)
        top_layout.addLayout(plots, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        first = next((i for i, f in enumerate(self.features) if f["drifted"]), 0)
        if self.features:
            self.table.selectRow(first)

    # -- plots ------------------------------------------------------------------
    def _draw_bars(self) -> None:
        x = np.arange(len(self.features), dtype=float)
        heights = np.array([f["psi"] or 0.0 for f in self.features], dtype=float)
        brushes = [pg.mkBrush(DRIFT_COLOR if f["drifted"] else OK_COLOR) for f in self.features]
        self.bar_item = pg.BarGraphItem(x=x, height=heights, width=0.7, brushes=brushes, pen=None)
        self.bars.addItem(self.bar_item)
        for level, style in ((0.1, Qt.PenStyle.DotLine), (0.25, Qt.PenStyle.DashLine)):
            self.bars.addItem(pg.InfiniteLine(pos=level, angle=0, pen=pg.mkPen((150, 150, 150), style=style)))
        axis = self.bars.getAxis("bottom")
        axis.setTicks([[(i, str(f["name"])[:14]) for i, f in enumerate(self.features)]])
        self.bars.setYRange(0, max(0.3, float(heights.max()) * 1.1 if len(heights) else 0.3))
        self.bar_item.setToolTip("Click a bar to see that feature's distributions")
        self.bars.scene().sigMouseClicked.connect(self._bar_clicked)

    def _bar_clicked(self, event: Any) -> None:
        point = self.bars.getPlotItem().vb.mapSceneToView(event.scenePos())
        index = int(round(point.x()))
        if 0 <= index < len(self.features):
            self.table.selectRow(index)

    def _selection_changed(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if rows:
            self.show_feature(min(rows))

    def show_feature(self, index: int) -> None:
        """Overlay the training and new distributions of feature ``index``."""
        f = self.features[index]
        self.current = index
        plot = self.histogram
        plot.clear()
        plot.setTitle(f"{f['name']}: training vs new" + (" — drifted" if f["drifted"] else ""))
        hist = f.get("histogram")
        axis = plot.getAxis("bottom")
        if not hist:
            axis.setTicks(None)
            return
        ref, new = 100 * np.asarray(hist["reference"]), 100 * np.asarray(hist["new"])
        if "edges" in hist:
            edges = np.asarray(hist["edges"])
            centers, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
            axis.setTicks(None)
            plot.addItem(pg.BarGraphItem(x=centers, height=ref, width=width, brush=pg.mkBrush(REFERENCE_COLOR),
                                         pen=None, name="training"))
            plot.addItem(pg.BarGraphItem(x=centers, height=new, width=width, brush=pg.mkBrush(NEW_COLOR),
                                         pen=None, name="new data"))
        else:
            x = np.arange(len(ref), dtype=float)
            plot.addItem(pg.BarGraphItem(x=x - 0.2, height=ref, width=0.4, brush=pg.mkBrush(REFERENCE_COLOR),
                                         pen=None, name="training"))
            plot.addItem(pg.BarGraphItem(x=x + 0.2, height=new, width=0.4, brush=pg.mkBrush(NEW_COLOR),
                                         pen=None, name="new data"))
            axis.setTicks([[(i, str(c)[:14]) for i, c in enumerate(hist["categories"])]])
        plot.autoRange()
