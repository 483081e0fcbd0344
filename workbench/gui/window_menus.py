"""The main window's menu bar and toolbar, made from the actions the window owns.

File (new, open, recent, close, quit), Data, Run (train, cancel, export,
report; where training runs and how many jobs at once), View (panels, theme)
and Help.  The window makes the actions and connects them; this module only
lays them out, so the window stays wiring.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu, QToolBar

from workbench.gui import settings as ui_settings
from workbench.gui.help_menu import add_help_menu
from workbench.gui.icons import icon


def build_menus(window: Any) -> None:
    """Fill ``window``'s menu bar and add its toolbar; sets ``recent_menu``,
    ``jobs_at_once_menu`` and ``theme_menu`` on it."""
    bar = window.menuBar()
    menu = bar.addMenu("&File")
    menu.addActions([window.new_action, window.open_action])
    window.recent_menu = menu.addMenu(icon("folder"), "Open &recent")
    window.recent_menu.aboutToShow.connect(lambda: fill_recent(window.recent_menu, window.open_project))
    menu.addAction(window.close_action)
    menu.addSeparator()
    menu.addAction(window.quit_action)
    menu = bar.addMenu("&Data")
    menu.addAction(window.add_action)
    menu = bar.addMenu("&Run")
    menu.addActions([window.train_action, window.cancel_action, window.export_action, window.report_action])
    menu.addSeparator()
    menu.addAction(window.process_action)
    menu.addAction(window.cluster.action)
    window.jobs_at_once_menu = jobs_at_once_menu(menu, window.executor_setting.jobs_at_once_chosen)
    menu = bar.addMenu("&View")
    menu.addAction(window.tree_dock.toggleViewAction())
    menu.addAction(window.jobs_dock.toggleViewAction())
    window.theme_menu = theme_menu(menu)
    add_help_menu(window)

    toolbar = QToolBar("Main")
    toolbar.setObjectName("toolbar-main")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.setMovable(False)
    toolbar.addActions([window.new_action, window.open_action])
    toolbar.addSeparator()
    toolbar.addActions([window.add_action, window.train_action, window.cancel_action, window.export_action])
    window.addToolBar(toolbar)


def fill_recent(menu: QMenu, open_project: Callable[[str], Any]) -> None:
    """The recent projects, newest first (filled each time the menu opens)."""
    menu.clear()
    for path in ui_settings.recent_projects():
        menu.addAction(icon("folder"), path, lambda p=path: open_project(p))
    if menu.isEmpty():
        menu.addAction("(none)").setEnabled(False)


def jobs_at_once_menu(parent: QMenu, chosen: Callable[[int], None]) -> QMenu:
    """1 .. the core count, the saved choice checked; ``chosen(n)`` when one is picked."""
    from workbench.engine import cpu_count

    menu = parent.addMenu("&Jobs at once")
    menu.setToolTipsVisible(True)
    group = QActionGroup(menu)
    current = ui_settings.jobs_at_once()
    group.triggered.connect(lambda action: chosen(int(action.data())))
    for n in range(1, cpu_count() + 1):
        action = menu.addAction(str(n))
        action.setData(n)
        action.setCheckable(True)
        action.setChecked(n == current)
        action.setToolTip(f"Train up to {n} model(s) at once, each on {max(1, cpu_count() // n)} core(s)")
        group.addAction(action)
    return menu


def theme_menu(parent: QMenu) -> QMenu:
    from workbench.gui import theme

    menu = parent.addMenu("&Theme")
    group = QActionGroup(menu)
    for name in theme.THEMES:
        action = menu.addAction(name.capitalize(), lambda n=name: theme.set_theme(n))
        action.setCheckable(True)
        action.setChecked(name == theme.current_theme())
        action.setData(name)
        group.addAction(action)
    return menu
