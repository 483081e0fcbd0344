"""Fixtures for the GUI tests: offscreen Qt, private QSettings, small projects."""

from __future__ import annotations

import os

# Before anything imports Qt: no display on CI machines, one BLAS/OpenMP thread
# per fit (the machines have 2 cores and run several suites at once).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from workbench.engine import Project  # noqa: E402


@pytest.fixture(autouse=True)
def gc_on_the_gui_thread(qapp):
    """As the app does (gui/app.py): no cyclic GC in worker threads.

    A collection in a job's thread freed a previous test's QMenu there and
    deadlocked the suite (Qt lock vs GIL).  Each test's garbage is freed
    here, on the GUI thread, once its workers are gone.
    """
    import gc

    from workbench.gui.app import collect_garbage_on_gui_thread

    collect_garbage_on_gui_thread(qapp)
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory, monkeypatch):
    """Point QSettings (recent projects, geometry) at a temporary folder."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    # No sample projects from the checkout unless a test asks for them.
    monkeypatch.setenv("WORKBENCH_SAMPLES", str(folder / "no-samples"))
    # Working copies of samples go to a private data folder, never the user's.
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(folder / "data"))
    yield folder


@pytest.fixture(autouse=True, scope="package")
def app_worker_processes():
    """The app's worker pool, as one app has it: made by the first window, shared
    by the later ones (their warm-up imports cost seconds); stopped after the
    GUI tests so that no worker outlives them."""
    yield
    from workbench.gui.workers import worker_pool

    worker_pool().shutdown()


def classification_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], n)
    amount = rng.gamma(2.0, 10.0, n)
    label = np.where(x1 + 0.6 * x2 + (color == "red") + rng.normal(0, 0.3, n) > 0.4, "yes", "no")
    df = pd.DataFrame({"x1": x1, "x2": x2, "color": color, "amount": amount, "label": label})
    df.loc[::23, "x2"] = np.nan
    return df


def regression_frame(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rng.uniform(0, 5, n)
    price = 3 * a + b**2 + rng.normal(0, 0.5, n)
    return pd.DataFrame({"a": a, "b": b, "price": price})


@pytest.fixture
def project_dir(tmp_path) -> Path:
    """A small project with a classification and a regression dataset."""
    src = tmp_path / "src"
    src.mkdir()
    classification_frame().to_csv(src / "customers.csv", index=False)
    regression_frame().to_csv(src / "houses.csv", index=False)
    root = tmp_path / "project"
    project = Project.init(root, name="demo")
    project.add_dataset(src / "customers.csv")
    project.add_dataset(src / "houses.csv")
    return root


SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def copy_sample(name: str, dest_parent: Path) -> Path:
    """Copy bundled sample project ``name`` (never train inside the checkout)."""
    src = SAMPLES / name
    dest = dest_parent / name
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    return dest


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory) -> Path:
    """A project with finished runs of each task, trained once per module
    through the engine (the GUI tests of the views need results, not training)."""
    from workbench.engine import RunSpec, TrainJob

    root = tmp_path_factory.mktemp("trained")
    src = root / "src"
    src.mkdir()
    classification_frame().to_csv(src / "customers.csv", index=False)
    regression_frame().to_csv(src / "houses.csv", index=False)
    project = Project.init(root / "project", name="trained")
    project.add_dataset(src / "customers.csv")
    project.add_dataset(src / "houses.csv")
    specs = [
        RunSpec(dataset="customers", algorithm="xgboost", target="label", params={"n_estimators": 20}),
        RunSpec(dataset="customers", algorithm="logistic_regression", target="label", cv=3),
        RunSpec(dataset="houses", algorithm="ridge", target="price"),
        RunSpec(dataset="customers", algorithm="kmeans", task="clustering", params={"n_clusters": 3},
                ignore=["label"]),
    ]
    for spec in specs:
        TrainJob(project.root, spec).run()
    return project.root


@pytest.fixture
def window(qtbot, project_dir):
    """The main window on the small project, its dataset loaded."""
    from workbench.gui.main_window import MainWindow

    w = MainWindow(project_dir)
    qtbot.addWidget(w)
    w.show()
    # Loaded and profiled (the profile follows the table in a second job).
    qtbot.waitUntil(lambda: w.session.frame is not None and not w.session.profiling and w.inspector.settled,
                    timeout=20000)
    yield w
    w.shutdown()


def wait_idle(qtbot, jobs, timeout: int = 60000) -> None:
    qtbot.waitUntil(jobs.is_idle, timeout=timeout)


def click_item(qtbot, view, item) -> None:
    """Click ``item`` of a list or tree view where a person would: its centre."""
    from PySide6.QtCore import Qt

    rect = view.visualItemRect(item)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_tab(qtbot, tabs, index: int) -> None:
    """Click tab ``index`` of a QTabWidget where a person would: its label."""
    from PySide6.QtCore import Qt

    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentIndex() == index


def behind_another_tab(qtbot, widget):
    """``widget`` on the second tab of a shown QTabWidget, the first one current (a view the person is not looking at)."""
    from PySide6.QtWidgets import QLabel, QTabWidget

    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("another view"), "Other")
    tabs.addTab(widget, "This")
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs


class PaintCounter:
    """Counts the paint events ``widget`` receives (an event filter on it)."""

    def __init__(self, widget) -> None:
        from PySide6.QtCore import QEvent, QObject

        counter = self

        class _Filter(QObject):
            def eventFilter(self, _obj, event):  # noqa: N802 - Qt API
                if event.type() == QEvent.Type.Paint:
                    counter.n += 1
                return False

        self.n = 0
        self._filter = _Filter(widget)
        widget.installEventFilter(self._filter)
