"""What a desktop app is expected to have: a theme menu, Help, and a clear word without a display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from workbench.gui import theme

ROOT = Path(__file__).resolve().parents[2]


def _menu(window, title: str):
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return action.menu()
    raise AssertionError(f"no {title} menu")


def _action(menu, text: str):
    for action in menu.actions():
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no {text} in {menu.title()}")


def test_theme_is_chosen_in_the_view_menu_and_remembered(qtbot, window):
    themes = _action(_menu(window, "View"), "Theme").menu()
    _action(themes, "Dark").trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 100
    assert theme.current_theme() == "dark"
    # The plots already made follow the palette.
    plot = window.live_view.loss_plot
    assert plot.backgroundBrush().color().lightness() < 100
    # Next start: the same theme.
    QApplication.setPalette(QPalette())
    theme.apply_theme()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 100
    _action(themes, "Light").trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 150
    assert theme.current_theme() == "light"


def test_help_has_shortcuts_guide_and_versions(qtbot, window, monkeypatch):
    from workbench.gui import help_menu

    help_ = _menu(window, "Help")
    shortcuts = help_menu.show_shortcuts(window)
    qtbot.addWidget(shortcuts)
    text = shortcuts.browser.toPlainText()
    assert "Esc" in text and "Training view" in text and "Ctrl+Return" in text
    guide = help_menu.show_guide(window)
    qtbot.addWidget(guide)
    assert "Load settings into the form" in guide.browser.toPlainText()
    assert {"Keyboard shortcuts", "User guide", "About"} <= {a.text().replace("&", "") for a in help_.actions()}
    shown = {}
    monkeypatch.setattr(help_menu.QMessageBox, "about", lambda _p, _t, text: shown.setdefault("text", text))
    _action(help_, "About").trigger()
    assert "scikit-learn" in shown["text"] and "xgboost" in shown["text"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is Linux's")
def test_every_entry_point_says_the_same_line_without_a_display():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    outputs = []
    for args in (["-m", "workbench"], ["-c", "import sys; from workbench.gui.app import main; sys.exit(main())"],
                 ["-m", "workbench.cli", "gui"]):
        done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode not in (0, 134, -6), done
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: no display found"), done.stderr
        outputs.append(lines[0])
    assert len(set(outputs)) == 1


def test_missing_x11_libraries_are_named_as_debian_packages(monkeypatch):
    import ctypes.util

    from workbench.gui import app

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "xcb-cursor" else f"lib{name}.so")
    reason = app.gui_unavailable_reason()
    assert reason is not None and "apt-get install libxcb-cursor0" in reason and "\n" not in reason
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert app.gui_unavailable_reason() is None
