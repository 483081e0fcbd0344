"""Load the hand-drawn SVG line icons and tint them for the current palette.

The icons in ``resources/icons`` stroke with ``currentColor``; Qt's SVG
renderer does not know that keyword, so we substitute a colour from the
palette (text colour by default) before rendering.  That keeps one icon set
readable in light and dark themes.
"""

from __future__ import annotations

import functools
from importlib import resources as importlib_resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

# Colours that carry meaning (state of a run/job); chosen to read on both
# light and dark backgrounds.
STATE_COLORS = {
    "completed": "#2e9d57",
    "failed": "#d64545",
    "cancelled": "#8a8f98",
    "interrupted": "#d68a1c",
    "damaged": "#d64545",
    "running": "#2f7fd6",
    "cancelling": "#d68a1c",
    "queued": "#8a8f98",
    "warning": "#d68a1c",
}


def icons_dir() -> Path:
    """Folder holding the SVG icons, installed (package data) or in a checkout."""
    try:
        root = importlib_resources.files("workbench.resources")
        path = Path(str(root)) / "icons"
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    # Running from a source checkout: resources/ sits next to workbench/.
    return Path(__file__).resolve().parents[2] / "resources" / "icons"


@functools.lru_cache(maxsize=None)
def _svg_text(name: str) -> str:
    path = icons_dir() / f"{name}.svg"
    if not path.exists():
        return ""
    return path.read_text(encoding="utf-8")


def _default_color() -> str:
    app = QGuiApplication.instance()
    if app is None:
        return "#555555"
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()


def pixmap(name: str, size: int = 20, color: str | None = None) -> QPixmap:
    """Render icon ``name`` at ``size`` px, stroked in ``color`` (palette text colour)."""
    text = _svg_text(name).replace("currentColor", color or _default_color())
    ratio = 2.0  # render at 2x so icons stay crisp on high-dpi screens
    pm = QPixmap(QSize(int(size * ratio), int(size * ratio)))
    pm.fill(Qt.GlobalColor.transparent)
    if text:
        renderer = QSvgRenderer(QByteArray(text.encode("utf-8")))
        painter = QPainter(pm)
        renderer.render(painter, QRectF(0, 0, size * ratio, size * ratio))
        painter.end()
    pm.setDevicePixelRatio(ratio)
    return pm


@functools.lru_cache(maxsize=None)
def _cached_icon(name: str, color: str | None, palette_key: str) -> QIcon:
    icon = QIcon()
    for size in (16, 20, 24, 32):
        icon.addPixmap(pixmap(name, size, color))
    if color is None:
        # A dimmed variant for disabled actions/buttons.
        disabled = QGuiApplication.palette().color(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText
        )
        for size in (16, 20, 24, 32):
            icon.addPixmap(pixmap(name, size, disabled.name()), QIcon.Mode.Disabled)
    return icon


def icon(name: str, color: str | None = None) -> QIcon:
    """A QIcon for ``name`` (file stem in resources/icons), palette-tinted by default."""
    return _cached_icon(name, color, _default_color())


def state_icon(state: str) -> QIcon:
    """Coloured icon for a run or job state (completed, failed, running...)."""
    name = {"cancelling": "cancelled"}.get(state, state)
    if not _svg_text(name):
        name = "queued"
    return icon(name, STATE_COLORS.get(state))


def app_icon() -> QIcon:
    path = icons_dir() / "app.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def color(name: str) -> QColor:
    return QColor(STATE_COLORS.get(name, name))
