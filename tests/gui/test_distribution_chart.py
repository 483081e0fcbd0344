"""The column panel's self-painted chart: ticks, bars on screen, saved images."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage

from workbench.gui.distribution_chart import DistributionChart, nice_ticks, tick_text
from workbench.gui.plots import SERIES_COLORS, save_plot


def test_ticks_are_round_numbers_inside_the_range():
    assert nice_ticks(0.0, 105.0, 6) == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert nice_ticks(2700.0, 6300.0, 5) == [3000.0, 4000.0, 5000.0, 6000.0]
    assert nice_ticks(-0.3, 0.3, 4) == [-0.2, 0.0, 0.2]  # 0 is 0, not 2.8e-17
    assert nice_ticks(5.0, 5.0) == [5.0]
    assert [tick_text(v) for v in (1500, 25_000, 3_500_000, 0.25)] == ["1500", "25k", "3.5M", "0.25"]


def _colored_pixels(chart: DistributionChart) -> int:
    image = chart.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    bar = QColor(SERIES_COLORS[0])
    count = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            c = image.pixelColor(x, y)
            # A bar's fill is the series colour, over the background where translucent.
            if abs(c.hue() - bar.hue()) < 12 and c.saturation() > 60:
                count += 1
    return count


def test_histogram_and_bars_reach_the_screen_and_a_message_replaces_them(qtbot):
    chart = DistributionChart()
    qtbot.addWidget(chart)
    chart.resize(500, 260)
    chart.show()
    qtbot.waitExposed(chart)
    chart.show_histogram(np.linspace(0, 10, 11), np.arange(10) + 1, "x")
    assert _colored_pixels(chart) > 200
    chart.show_bars(["a", "bb", "a label far too long to fit in a third of the chart's width"], [30, 20, 10])
    assert _colored_pixels(chart) > 200
    chart.show_message("Profiling 5,000,000 rows…")
    assert _colored_pixels(chart) == 0 and chart.kind == "message"


def test_the_chart_saves_as_png_and_svg(qtbot, tmp_path):
    chart = DistributionChart()
    qtbot.addWidget(chart)
    chart.resize(400, 200)
    chart.show_histogram([0, 1, 2], [5, 7], "x")
    png = save_plot(chart, tmp_path / "d.png")
    image = QImage(str(png))
    assert image.width() == 800 and image.height() == 400
    svg = save_plot(chart, tmp_path / "d.svg")
    assert "<svg" in svg.read_text()[:400]
