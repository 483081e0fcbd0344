"""The CPU/memory strip under the live curves: two lines and their newest values.

A plain widget that paints itself, not a pyqtgraph plot: the strip only says
how hard the job works and whether its memory grows, which needs no ticks or
axes, and a pyqtgraph plot re-ticked its axes at every sample (its first
paint of a run cost ~12 ms of GUI thread, one of the longest frames of a
fit).  This one paints two polylines in well under a millisecond, so new
samples only mark it for the next paint.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.gui.live_series import SeriesBuffer
from workbench.gui.plots import SERIES_COLORS

CPU_COLOR = SERIES_COLORS[4]
MEMORY_COLOR = SERIES_COLORS[5]


def nice_ceiling(value: float, step: float) -> float:
    """``value`` rounded up to a multiple of ``step`` (a scale that moves rarely)."""
    return max(step, float(np.ceil(value / step) * step))


class ResourceStrip(QWidget):
    """CPU % and resident memory of the followed job, newest values written beside the lines."""

    PLACEHOLDER = "CPU and memory of the training job appear here while it runs"
    TOO_SHORT = "The run was too short to sample its CPU and memory"
    NOT_FOLLOWED = "CPU and memory are sampled while a run is followed here, not kept with the run"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cpu = SeriesBuffer()
        self.memory = SeriesBuffer()
        self._t0: float | None = None
        self.placeholder = self.PLACEHOLDER  # what the strip says until two samples came
        self.setFixedHeight(72)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("CPU (100 % = one core) and resident memory of the job's process, once a second")

    # -- data -----------------------------------------------------------------------
    def clear(self, placeholder: str = PLACEHOLDER) -> None:
        self.cpu = SeriesBuffer()
        self.memory = SeriesBuffer()
        self._t0 = None
        self.set_placeholder(placeholder)

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    def add_sample(self, t: float, cpu_percent: float, rss_mb: float) -> None:
        if self._t0 is None:
            self._t0 = t
        self.cpu.append(t - self._t0, cpu_percent)
        self.memory.append(t - self._t0, rss_mb)
        self.update()  # painted with the next frame, never now

    @property
    def sample_count(self) -> int:
        return self.cpu.n

    def summary(self) -> str:
        """The newest values as the strip writes them ("" before the first sample)."""
        if not self.cpu.n:
            return ""
        cpu, mem = self.cpu.view()[1][-1], self.memory.view()[1][-1]
        peak = float(np.nanmax(self.memory.view()[1]))
        return f"CPU {cpu:.0f} %   memory {mem:,.0f} MB (peak {peak:,.0f})"

    # -- painting ----------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            # Ended here, not when the wrapper is collected: a frame kept alive
            # (a traceback, a profiler) would keep the painter open.
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        palette = self.palette()
        box = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.fillRect(box, palette.color(QPalette.ColorRole.Base))
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid)))
        painter.drawRect(box)
        metrics = QFontMetrics(self.font())
        text_h = metrics.height()
        if self.cpu.n < 2:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        x_cpu, cpu = self.cpu.view()
        _x_mem, mem = self.memory.view()
        span = max(float(x_cpu[-1]), 1.0)
        plot = box.adjusted(6, text_h + 6, -6, -4)
        # CPU on a scale of whole cores, memory from 0 to a round ceiling.  One
        # pixel, no antialiasing: Qt's fast line path (an antialiased 1.5 px
        # line took ~2 ms a curve to paint across the window's width).
        for values, top, color in ((cpu, nice_ceiling(float(np.nanmax(cpu)), 100.0), CPU_COLOR),
                                   (mem, nice_ceiling(float(np.nanmax(mem)) * 1.1, 100.0), MEMORY_COLOR)):
            painter.setPen(QPen(QColor(color), 1))
            painter.drawPolyline(self._polyline(x_cpu, values, span, top, plot))
        line = box.adjusted(8, 3, -8, 0)
        x = line.left()
        for text, color in ((f"CPU {cpu[-1]:.0f} %", CPU_COLOR),
                            (f"memory {mem[-1]:,.0f} MB (peak {float(np.nanmax(mem)):,.0f})", MEMORY_COLOR)):
            painter.setPen(QColor(color))
            painter.drawText(QRectF(x, line.top(), line.width(), text_h), Qt.AlignmentFlag.AlignLeft, text)
            x += metrics.horizontalAdvance(text) + 18
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QRectF(line.left(), line.top(), line.width(), text_h), Qt.AlignmentFlag.AlignRight,
                         f"0–{span:.0f} s")

    @staticmethod
    def _polyline(x: np.ndarray, y: np.ndarray, span: float, top: float, rect: QRectF) -> QPolygonF:
        n = min(len(x), len(y))
        px = rect.left() + x[:n] / span * rect.width()
        py = rect.bottom() - np.clip(np.nan_to_num(y[:n]), 0, top) / top * rect.height()
        return QPolygonF([QPointF(a, b) for a, b in zip(px.tolist(), py.tolist())])
