"""The window holds at 1024×700: panels readable, every Results tab in sight, never wider than the screen."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton

from workbench.gui.main_window import TAB_RESULTS, MainWindow
from workbench.gui.project_model import ProjectModel


def _visible_tab_rects(tabs):
    bar = tabs.tabBar()
    return [bar.tabRect(i) for i in range(tabs.count()) if tabs.isTabVisible(i)]


def test_switching_runs_keeps_every_results_tab_visible_at_1024x700(qtbot, trained_project):
    window = MainWindow(trained_project)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitUntil(lambda: window.session.frame is not None, timeout=20000)
    try:
        assert window.height() <= 700 and window.width() <= 1024
        # The project panel does not collapse: run names stay readable.
        assert window.tree_dock.width() >= 200
        project = ProjectModel()
        project.open(trained_project)
        xgb = next(r for r in project.runs() if r.algorithm == "xgboost")
        ridge = next(r for r in project.runs() if r.algorithm == "ridge")
        window.show_run(xgb.run_id)
        window.tabs.setCurrentIndex(TAB_RESULTS)
        window.results.show_tab("confusion")
        qtbot.wait(50)
        window.show_run(ridge.run_id)  # another run while a classification tab shows
        qtbot.wait(50)
        # Showing results does not push the window past the screen (wide views from other tabs included).
        assert window.width() <= 1024 and window.height() <= 700, window.size()
        tabs = window.results.tabs
        bar = tabs.tabBar()
        assert window.results.is_tab_visible("regression")
        rects = _visible_tab_rects(tabs)
        assert all(r.width() > 20 for r in rects)
        assert all(bar.rect().contains(r) for r in rects), (bar.rect(), rects)
        # Side by side, no gaps left by the tabs the classification run had.
        lefts = sorted(r.left() for r in rects)
        rights = sorted(r.right() for r in rects)
        assert all(lefts[i + 1] == rights[i] + 1 for i in range(len(rects) - 1)), rects
        assert not any(b.isVisible() for b in bar.findChildren(QToolButton))  # no scroll arrows
    finally:
        window.shutdown()


def test_the_window_never_opens_wider_than_the_screen(qtbot, project_dir):
    window = MainWindow(project_dir)
    qtbot.addWidget(window)
    free = window.screen().availableGeometry()
    window.resize(free.width() + 400, free.height() + 300)
    window.fit_to_screen()
    assert window.frameGeometry().width() <= free.width()
    assert window.frameGeometry().height() <= free.height()
    window.shutdown()
