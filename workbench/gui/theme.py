"""View ▸ Theme: System, Light or Dark, remembered in the UI settings.

Fusion draws every widget from the palette, and the plots take their colours
from the palette when they are made (plots.py), so a theme is one palette.
"System" is the platform's own palette (Fusion's standard one where the
platform says nothing).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from workbench.gui import settings as ui_settings

THEMES = ("system", "light", "dark")
SETTING = "theme"


def current_theme() -> str:
    value = str(ui_settings.settings().value(SETTING, "system"))
    return value if value in THEMES else "system"


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    disabled = QColor(128, 128, 128)
    for role, color in (
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, QColor(40, 40, 43)),
        (QPalette.ColorRole.ToolTipBase, window), (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.BrightText, QColor(255, 90, 90)),
        (QPalette.ColorRole.Link, QColor(90, 160, 255)), (QPalette.ColorRole.Highlight, QColor(42, 110, 200)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150)),
        (QPalette.ColorRole.Mid, QColor(70, 70, 74)), (QPalette.ColorRole.Dark, QColor(25, 25, 27)),
        (QPalette.ColorRole.Light, QColor(75, 75, 80)),
    ):
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def palette_for(theme: str) -> QPalette:
    app = QApplication.instance()
    if theme == "dark":
        return _dark_palette()
    if theme == "light":
        from PySide6.QtWidgets import QStyleFactory

        style = QStyleFactory.create("Fusion")
        return style.standardPalette() if style is not None else QPalette()
    return app.style().standardPalette()


def apply_theme(theme: str | None = None) -> str:
    """Apply ``theme`` (default: the remembered one) to the application."""
    theme = theme if theme in THEMES else current_theme()
    app = QApplication.instance()
    if app is not None:
        app.setPalette(palette_for(theme))
    return theme


def set_theme(theme: str) -> None:
    """Remember and apply ``theme``, recolouring the plots already made."""
    ui_settings.settings().setValue(SETTING, theme)
    apply_theme(theme)
    recolor_plots()


def recolor_plots() -> None:
    """Give every existing plot the palette's background and text colours."""
    import sys

    if "pyqtgraph" not in sys.modules:
        return  # no plot made yet: they take the palette when made
    import pyqtgraph as pg

    palette = QApplication.instance().palette()
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.WindowText)
    for top in QApplication.topLevelWidgets():
        for plot in top.findChildren(pg.PlotWidget):
            plot.setBackground(base)
            item = plot.getPlotItem()
            for name in ("left", "bottom"):
                axis = item.getAxis(name)
                axis.setPen(pg.mkPen(text))
                axis.setTextPen(pg.mkPen(text))
                if axis.labelText:
                    axis.setLabel(axis.labelText, color=text.name())
            if item.titleLabel.text:
                item.setTitle(item.titleLabel.text, color=text.name(), size="10pt")
            if item.legend is not None:
                item.legend.setLabelTextColor(text)
