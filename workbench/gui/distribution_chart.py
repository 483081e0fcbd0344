"""One column's distribution: a histogram, bars of its most frequent values, or a message.

A plain widget that paints itself, not a pyqtgraph plot.  The column panel
is redrawn at every column clicked and in the turns a dataset's rows and
profile arrive; a pyqtgraph plot with new ranges re-ticked and re-laid out
its axes and cost 29–40 ms of the GUI thread a draw here (bench/RESULTS.md).
These few bars and ticks paint in about a millisecond, from the palette, so
light and dark themes need nothing more.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

from workbench.gui.plots import SERIES_COLORS, ask_and_save


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values (1, 2 or 5 × 10^k apart) from ``low`` to ``high``, about ``count`` of them."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(1, count - 1) / 1.5  # up to 1.5 x count ticks rather than too few
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    # Multiples k * step, so that 0 is 0 and not 2.8e-17.
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [k * step for k in range(first, last + 1)]


def tick_text(value: float) -> str:
    """Short tick labels: 1.2k, 3.5M, 0.25, 1e-05."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:.3g}G"
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:.4g}"


class DistributionChart(QWidget):
    """A histogram (numeric and date columns), horizontal bars (categories) or a grey message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(160)
        self.kind = "message"  # "message", "histogram" or "bars"
        self.message = ""
        self.x_label = ""
        self._edges = np.zeros(0)
        self._counts = np.zeros(0)
        self._labels: list[str] = []
        save = QAction("Save image (PNG/SVG)…", self)
        save.triggered.connect(lambda: ask_and_save(self, "distribution.png"))
        self.addAction(save)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    # -- content ----------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.kind, self.message = "message", text
        self.update()

    def show_histogram(self, edges: Any, counts: Any, x_label: str = "") -> None:
        """Bins ``edges[i]``–``edges[i + 1]`` holding ``counts[i]`` rows."""
        self.kind, self.message, self.x_label = "histogram", "", x_label
        self._edges = np.asarray(edges, dtype=float)
        self._counts = np.asarray(counts, dtype=float)
        self.update()

    def show_bars(self, labels: Sequence[str], counts: Sequence[float]) -> None:
        """One horizontal bar per label, the first at the top."""
        self.kind, self.message, self.x_label = "bars", "", "rows"
        self._labels = [str(label) for label in labels]
        self._counts = np.asarray(counts, dtype=float)
        self.update()

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()  # now, not when the wrapper is collected

    def _paint(self, painter: QPainter) -> None:
        palette = self.palette()
        box = QRectF(self.rect())
        painter.fillRect(box, palette.color(QPalette.ColorRole.Base))
        if self.kind == "message" or not self._counts.size:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        if self.kind == "histogram":
            self._paint_histogram(painter, box)
        else:
            self._paint_bars(painter, box)

    def _frame(self, painter: QPainter, plot: QRectF) -> None:
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.WindowText), 1))
        painter.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.bottom()))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))

    def _x_axis(self, painter: QPainter, plot: QRectF, low: float, high: float, metrics: QFontMetrics) -> None:
        """Ticks and labels under ``plot`` for values ``low``–``high``, and the axis name."""
        text = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(text)
        h = metrics.height()
        slots = max(2, int(plot.width() // max(60, metrics.horizontalAdvance("000.0k") + 16)))
        for value in nice_ticks(low, high, min(6, slots)):
            x = plot.left() + (value - low) / (high - low) * plot.width() if high > low else plot.left()
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
            painter.drawText(QRectF(x - 40, plot.bottom() + 5, 80, h), Qt.AlignmentFlag.AlignHCenter, tick_text(value))
        if self.x_label:
            painter.drawText(QRectF(plot.left(), plot.bottom() + 6 + h, plot.width(), h),
                             Qt.AlignmentFlag.AlignHCenter, self.x_label)

    def _paint_histogram(self, painter: QPainter, box: QRectF) -> None:
        metrics = QFontMetrics(self.font())
        top = float(self._counts.max()) * 1.05 or 1.0
        y_ticks = nice_ticks(0.0, top, 4)
        left = max(metrics.horizontalAdvance(tick_text(v)) for v in y_ticks) + 14
        plot = box.adjusted(left, metrics.height() + 10, -14, -(2 * metrics.height() + 14))
        if plot.width() < 10 or plot.height() < 10:
            return
        low, high = float(self._edges[0]), float(self._edges[-1])
        span = (high - low) or 1.0
        color = QColor(SERIES_COLORS[0])
        fill = QColor(color)
        fill.setAlpha(0x99)
        painter.setPen(QPen(color, 1))
        for i, count in enumerate(self._counts.tolist()):
            x0 = plot.left() + (self._edges[i] - low) / span * plot.width()
            x1 = plot.left() + (self._edges[i + 1] - low) / span * plot.width()
            y = plot.bottom() - count / top * plot.height()
            bar = QRectF(x0, y, max(1.0, x1 - x0), plot.bottom() - y)
            painter.fillRect(bar, fill)
            painter.drawLine(QPointF(x0, y), QPointF(x1, y))
        self._frame(painter, plot)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        for value in y_ticks:
            y = plot.bottom() - value / top * plot.height()
            painter.drawLine(QPointF(plot.left() - 4, y), QPointF(plot.left(), y))
            painter.drawText(QRectF(0, y - metrics.height() / 2, left - 8, metrics.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, tick_text(value))
        painter.drawText(QRectF(box.left() + 4, box.top() + 4, box.width(), metrics.height()),
                         Qt.AlignmentFlag.AlignLeft, "rows")
        self._x_axis(painter, plot, low, high, metrics)

    def _paint_bars(self, painter: QPainter, box: QRectF) -> None:
        metrics = QFontMetrics(self.font())
        # +2: elidedText elides a label exactly as wide as the room it gets.
        width = min(max(metrics.horizontalAdvance(label) for label in self._labels) + 2, int(box.width() * 0.35))
        plot = box.adjusted(width + 16, 8, -14, -(2 * metrics.height() + 14))
        if plot.width() < 10 or plot.height() < 10:
            return
        top = float(self._counts.max()) * 1.05 or 1.0
        row = plot.height() / len(self._counts)
        color = QColor(SERIES_COLORS[0])
        text = self.palette().color(QPalette.ColorRole.WindowText)
        for i, (label, count) in enumerate(zip(self._labels, self._counts.tolist())):
            y = plot.top() + i * row
            painter.fillRect(QRectF(plot.left(), y + row * 0.15, count / top * plot.width(), row * 0.7), color)
            if row >= metrics.height() * 0.8:  # a label per bar only where it fits
                painter.setPen(text)
                painter.drawText(QRectF(0, y, width + 10, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, width))
        self._frame(painter, plot)
        self._x_axis(painter, plot, 0.0, top, metrics)
