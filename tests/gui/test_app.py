"""Start-up, the start screen, sample and recent projects, error handling."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench.gui import errors, settings as ui_settings
from workbench.gui.main_window import MainWindow

from .conftest import SAMPLES, click_item, copy_sample


@pytest.fixture
def empty_window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def test_window_without_project_shows_start_page_fast(qtbot):
    start = time.perf_counter()
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    elapsed = time.perf_counter() - start
    try:
        assert w.stack.currentWidget() is w.start_page
        assert elapsed < 2.0  # target < 1 s; generous for loaded CI machines
        assert not w.add_action.isEnabled() and not w.train_action.isEnabled()
    finally:
        w.shutdown()


def test_sample_projects_are_one_click_away(qtbot, tmp_path, monkeypatch):
    project = copy_sample("penguins_species", tmp_path)
    monkeypatch.setenv("WORKBENCH_SAMPLES", str(tmp_path))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    try:
        samples = w.start_page.samples
        assert samples.count() == 1
        item = samples.item(0)
        assert "penguin" in item.text().lower()
        click_item(qtbot, samples, item)
        qtbot.waitUntil(lambda: w.session.frame is not None, timeout=20000)
        assert w.stack.currentWidget() is w.tabs
        # The project's default target is preselected.
        assert w.session.target == "species"
        assert w.session.resolved_task() == "classification"
        # A sample opens as the user's own copy: the bundled one stays untouched.
        copy = ui_settings.working_copy_of_sample(project)
        assert copy != project and (copy / "workbench.toml").exists()
        assert ui_settings.recent_projects() == [str(copy.resolve())]
        assert "Penguins" in w.windowTitle()
    finally:
        w.shutdown()


def test_bundled_samples_are_found_next_to_the_package(monkeypatch):
    monkeypatch.delenv("WORKBENCH_SAMPLES")
    found = ui_settings.sample_projects()
    if SAMPLES.is_dir():
        assert {p.name for p in found} == {p.name for p in SAMPLES.iterdir() if (p / "workbench.toml").exists()}


def test_reopening_shows_the_same_project(qtbot, project_dir):
    first = MainWindow(project_dir)
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.session.frame is not None, timeout=20000)
    first.tree.rename_dataset("houses", "homes")
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    try:
        recent = second.start_page.recent
        assert recent.count() == 1
        click_item(qtbot, recent, recent.item(0))
        qtbot.waitUntil(lambda: second.session.frame is not None, timeout=20000)
        assert set(second.project.datasets()) == {"customers", "homes"}
    finally:
        second.shutdown()


def test_opening_a_folder_that_is_no_project_says_so(empty_window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    assert not empty_window.open_project(tmp_path)
    assert shown and "not a workbench project" in shown[0]
    assert empty_window.stack.currentWidget() is empty_window.start_page


def test_unexpected_exception_is_shown_not_fatal(qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(errors, "_show", lambda title, text, details: shown.append((text, details)))
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        errors.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert "boom" in shown[0][0] and "Traceback" in shown[0][1]
    assert QApplication.instance() is not None


def test_python_m_workbench_is_the_gui_entry_point():
    code = "import workbench.__main__ as m, workbench.gui.app as a; assert m.main is a.main"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_new_project_from_the_window(qtbot, empty_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    target = tmp_path / "fresh"
    target.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(target))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Fresh one", True))
    qtbot.mouseClick(empty_window.start_page.new_button, Qt.MouseButton.LeftButton)
    assert (target / "workbench.toml").exists()
    assert empty_window.project.project.name == "Fresh one"
    assert empty_window.add_action.isEnabled()


def test_cyclic_garbage_collection_runs_only_on_the_gui_thread(qapp):
    """A collection in a job's thread froze the window for good (Qt lock vs GIL)."""
    import gc

    from workbench.gui.app import create_application

    app = create_application()
    assert not gc.isenabled()  # no allocation in a worker thread can trigger one
    assert app._workbench_gc.timer.isActive()  # the GUI thread collects on a timer


def test_start_up_objects_are_frozen_once_so_later_collections_stay_short():
    # ~60,000 objects of the window's start-up sat in the young generations
    # until the collector's first generation-1 pass, in the middle of the
    # first fit: 40-120 ms of the GUI thread (issue 19).  Run in a fresh
    # interpreter: freezing is process-wide.
    code = (
        "import gc, time\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from workbench.gui.memory import settle_long_lived_objects\n"
        "import pyqtgraph, pandas, workbench.gui.main_window\n"
        "app = QApplication([])\n"
        "before = gc.get_freeze_count()\n"
        "assert settle_long_lived_objects() and not settle_long_lived_objects()\n"
        "assert gc.get_freeze_count() - before > 50_000, gc.get_freeze_count()\n"
        "t = time.perf_counter(); gc.collect(); took = time.perf_counter() - t\n"
        "print(round(took * 1000, 1))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout.split()[-1]) < 40  # a full collection after it (150-200 ms before on this VM)


def test_the_window_settles_its_objects_when_its_start_up_jobs_are_over(qtbot, project_dir, monkeypatch):
    import gc

    from workbench.gui import memory

    frozen = []
    monkeypatch.setattr(memory, "_settled", False)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))  # not this test process's objects
    window = MainWindow(project_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session.profile is not None and window.jobs.is_idle(), timeout=20000)
    qtbot.waitUntil(lambda: frozen == [True], timeout=5000)
    window.session.select_dataset("houses")  # later idle moments: no second freeze
    qtbot.waitUntil(lambda: window.session.profile is not None and window.jobs.is_idle(), timeout=20000)
    qtbot.wait(100)
    assert frozen == [True]
    window.shutdown()


def test_the_window_keeps_numpy_arrays_off_huge_pages(qapp):
    """Huge-page faults made the GUI thread's turns 10-40x slower during a big fit (issue 19)."""
    from workbench.engine.jobs.pages import numpy_uses_huge_pages
    from workbench.gui.app import create_application

    if numpy_uses_huge_pages() is None:
        pytest.skip("the kernel cannot say here (no transparent huge pages, or not Linux)")
    create_application()
    assert numpy_uses_huge_pages() is False
