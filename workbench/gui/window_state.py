"""The main window's size and place: saved on close, restored on start, kept on screen."""

from __future__ import annotations

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QApplication, QMainWindow

from workbench.gui import settings as ui_settings


def restore_window_state(window: QMainWindow) -> None:
    """Geometry and dock layout as the window was last closed (QSettings)."""
    s = ui_settings.settings()
    geometry = s.value("window/geometry")
    state = s.value("window/state")
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    if isinstance(state, QByteArray):
        window.restoreState(state)


def save_window_state(window: QMainWindow) -> None:
    s = ui_settings.settings()
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("window/state", window.saveState())


def fit_to_screen(window: QMainWindow) -> None:
    """Never larger than the screen's free area (xvfb's 1280 px cut the right edge off)."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        return
    free = screen.availableGeometry()
    frame_extra = window.frameGeometry().size() - window.geometry().size()
    width = min(window.width(), free.width() - frame_extra.width())
    height = min(window.height(), free.height() - frame_extra.height())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(window.x(), free.left()), free.right() - width)
    y = min(max(window.y(), free.top()), free.bottom() - height)
    if (x, y) != (window.x(), window.y()):
        window.move(x, y)
