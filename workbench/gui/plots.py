"""pyqtgraph helpers shared by the views: themed plots, saving, heatmaps, bars.

Colours come from the application palette (no hard-coded black on white) so
plots read in light and dark themes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QFileDialog, QWidget

# A colour-blind-friendly cycle (Okabe-Ito) for curves and bars.
SERIES_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")

pg.setConfigOptions(antialias=True)


def palette_color(role: QPalette.ColorRole) -> QColor:
    return QGuiApplication.palette().color(role)


def style_plot(plot: pg.PlotWidget | pg.PlotItem, title: str = "", x: str = "", y: str = "") -> pg.PlotItem:
    """Apply palette colours, labels and a light grid to a plot."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    text = palette_color(QPalette.ColorRole.WindowText)
    if isinstance(plot, pg.PlotWidget):
        plot.setBackground(palette_color(QPalette.ColorRole.Base))
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
        axis.enableAutoSIPrefix(False)  # "(x0.001)" on unitless scores only confuses
    if title:
        item.setTitle(title, color=text.name(), size="10pt")
    if x:
        item.setLabel("bottom", x, color=text.name())
    if y:
        item.setLabel("left", y, color=text.name())
    item.showGrid(x=True, y=True, alpha=0.15)
    return item


def make_plot(title: str = "", x: str = "", y: str = "", parent: QWidget | None = None) -> pg.PlotWidget:
    """A palette-styled PlotWidget with "Save image…" in its context menu."""
    widget = pg.PlotWidget(parent=parent)
    style_plot(widget, title, x, y)
    add_save_action(widget)
    widget.setMinimumHeight(160)
    return widget


def add_legend(plot: pg.PlotWidget | pg.PlotItem, corner: str = "top-right") -> pg.LegendItem:
    """A palette-coloured legend in ``corner`` (top-right, bottom-right, ...)."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    dy = 10 if corner.startswith("top") else -10
    dx = -10 if corner.endswith("right") else 10
    legend = item.addLegend(offset=(dx, dy))
    legend.setLabelTextColor(palette_color(QPalette.ColorRole.WindowText))
    bg = QColor(palette_color(QPalette.ColorRole.Base))
    bg.setAlpha(200)
    legend.setBrush(pg.mkBrush(bg))
    return legend


def save_plot(widget: pg.PlotWidget | pg.GraphicsLayoutWidget, path: str | Path) -> Path:
    """Save the plot to ``path``: SVG (vector) when the suffix is .svg, else PNG."""
    from pyqtgraph import exporters
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    path = Path(path)
    if path.suffix.lower() == ".svg":
        # Qt's own SVG generator: pyqtgraph's SVGExporter trips over the
        # path syntax of recent Qt versions on some items (heatmaps).
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(widget.size())
        generator.setViewBox(widget.rect())
        generator.setTitle(path.stem)
        painter = QPainter(generator)
        if isinstance(widget, (pg.PlotWidget, pg.GraphicsLayoutWidget)):
            widget.render(painter)  # QGraphicsView.render: the scene
        else:
            widget.render(painter, QPoint())  # a self-painted chart
        painter.end()
        return path
    if not isinstance(widget, (pg.PlotWidget, pg.GraphicsLayoutWidget)):
        # A self-painted chart: rendered at twice its size, as the exporter does.
        from PySide6.QtGui import QImage

        image = QImage(widget.size() * 2, QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(2.0)
        widget.render(image)
        image.save(str(path))
        return path
    scene_item = widget.getPlotItem() if isinstance(widget, pg.PlotWidget) else widget.scene()
    exporter = exporters.ImageExporter(scene_item)
    exporter.parameters()["width"] = max(800, int(widget.width() * 2))
    exporter.export(str(path))
    return path


def ask_and_save(widget: QWidget, default_name: str = "plot.png") -> Path | None:
    path, _ = QFileDialog.getSaveFileName(
        widget, "Save plot", default_name, "PNG image (*.png);;SVG image (*.svg)"
    )
    if not path:
        return None
    return save_plot(widget, path)


def add_save_action(widget: pg.PlotWidget | pg.GraphicsLayoutWidget, name: str = "plot") -> None:
    """Add "Save image…" to the right-click menu (next to pyqtgraph's own Export)."""
    vb = widget.getPlotItem().getViewBox() if isinstance(widget, pg.PlotWidget) else None
    if vb is not None and vb.menu is not None:
        action = QAction("Save image (PNG/SVG)…", vb.menu)
        action.triggered.connect(lambda: ask_and_save(widget, f"{name}.png"))
        vb.menu.addAction(action)


def bar_chart(
    plot: pg.PlotWidget, labels: Sequence[str], values: Sequence[float], *, horizontal: bool = False,
    color: str = SERIES_COLORS[0],
) -> pg.BarGraphItem:
    """Replace ``plot``'s content by one bar per label (category axis ticks)."""
    item = plot.getPlotItem()
    item.clear()
    reset_ticks(item)
    pos = np.arange(len(values))
    vals = np.asarray(values, dtype=float)
    if horizontal:
        bars = pg.BarGraphItem(x0=0, y=pos, height=0.7, width=vals, brush=color, pen=None)
        axis = item.getAxis("left")
    else:
        bars = pg.BarGraphItem(x=pos, height=vals, width=0.7, brush=color, pen=None)
        axis = item.getAxis("bottom")
    item.addItem(bars)
    axis.setTicks([[(i, _short(str(label))) for i, label in enumerate(labels)]])
    item.enableAutoRange()
    return bars


def reset_ticks(item: pg.PlotItem) -> None:
    """Back to automatic ticks on both axes (after a message or a bar chart)."""
    for name in ("bottom", "left"):
        item.getAxis(name).setTicks(None)


def _short(text: str, n: int = 18) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class Heatmap(pg.GraphicsLayoutWidget):
    """A labelled matrix (correlations, confusion matrix) with a colour bar."""

    def __init__(self, parent: QWidget | None = None, *, cmap: str = "CET-D1A", annotate: bool = True):
        super().__init__(parent=parent)
        self.setBackground(palette_color(QPalette.ColorRole.Base))
        self.plot = self.addPlot()
        style_plot(self.plot)
        self.plot.showGrid(x=False, y=False)
        self.plot.setAspectLocked(False)
        self.plot.invertY(True)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self._cmap_name = cmap
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get(cmap), interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self._texts: list[pg.TextItem] = []
        self._annotate = annotate
        self.matrix = np.zeros((0, 0))
        self.message = pg.TextItem("", color=palette_color(QPalette.ColorRole.PlaceholderText), anchor=(0.5, 0.5))
        self.message.setPos(0.5, 0.5)
        self.message.hide()
        self.plot.addItem(self.message, ignoreBounds=True)

    def show_message(self, message: str) -> None:
        """No matrix, a centred grey message instead ("Profiling…")."""
        self.set_matrix(np.zeros((0, 0)), [])
        self.message.setText(message)
        self.message.show()
        self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)

    def set_matrix(
        self, matrix: Any, row_labels: Sequence[str], col_labels: Sequence[str] | None = None, *,
        levels: tuple[float, float] | None = None, fmt: str = "{:.2f}", cmap: str | None = None,
        x_label: str = "", y_label: str = "",
    ) -> None:
        m = np.asarray(matrix, dtype=float)
        self.matrix = m
        self.message.hide()
        for t in self._texts:
            self.plot.removeItem(t)
        self._texts = []
        if m.ndim != 2 or m.size == 0:
            self.image.clear()
            for name in ("bottom", "left"):
                self.plot.getAxis(name).setTicks([[]])
            return
        col_labels = list(col_labels if col_labels is not None else row_labels)
        if cmap and cmap != self._cmap_name:
            self.colorbar.setColorMap(pg.colormap.get(cmap))
            self._cmap_name = cmap
        finite = m[np.isfinite(m)]
        if levels is None:
            levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            if levels[0] == levels[1]:
                levels = (levels[0] - 1, levels[1] + 1)
        self.image.setImage(np.nan_to_num(m, nan=levels[0]), levels=levels)
        self.image.setRect(0, 0, m.shape[1], m.shape[0])
        self.colorbar.setLevels(levels)
        self.plot.getAxis("bottom").setTicks([[(i + 0.5, _short(str(c), 12)) for i, c in enumerate(col_labels)]])
        self.plot.getAxis("left").setTicks([[(i + 0.5, _short(str(r), 16)) for i, r in enumerate(row_labels)]])
        text = palette_color(QPalette.ColorRole.WindowText).name()
        self.plot.setLabel("bottom", x_label, color=text)
        self.plot.setLabel("left", y_label, color=text)
        # One text item per cell: 400 of them cost ~250 ms of GUI thread.
        if self._annotate and m.size <= 144:
            lo, hi = levels
            for (r, c), v in np.ndenumerate(m):
                if not np.isfinite(v):
                    continue
                # Text colour that contrasts with the cell: dark on light cells.
                frac = (v - lo) / (hi - lo) if hi > lo else 0.5
                color = self.colorbar.colorMap().map(min(max(frac, 0.0), 1.0), mode="qcolor")
                light = color.lightnessF() > 0.55
                item = pg.TextItem(fmt.format(v), color="#111" if light else "#fff", anchor=(0.5, 0.5))
                item.setPos(c + 0.5, r + 0.5)
                self.plot.addItem(item)
                self._texts.append(item)
        self.plot.setRange(xRange=(0, m.shape[1]), yRange=(0, m.shape[0]), padding=0.02)


def show_message(plot: pg.PlotWidget, message: str) -> pg.TextItem:
    """Show a centred grey message on ``plot`` without removing its items."""
    item = plot.getPlotItem()
    text = pg.TextItem(message, color=palette_color(QPalette.ColorRole.PlaceholderText), anchor=(0.5, 0.5))
    item.addItem(text, ignoreBounds=True)
    text.setPos(0.5, 0.5)
    item.setRange(xRange=(0, 1), yRange=(0, 1))
    for name in ("bottom", "left"):
        item.getAxis(name).setTicks([[]])
    return text


def empty_message(plot: pg.PlotWidget, message: str) -> pg.TextItem:
    """Clear ``plot`` and show a centred grey message instead of data."""
    plot.getPlotItem().clear()
    return show_message(plot, message)
