"""The Runs tab as a leaderboard: runs and search bests, ranked, sortable, filterable."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from workbench.engine import Project, RunSpec, TrainJob
from workbench.gui.project_model import ProjectModel
from workbench.gui.runs_table import SORT_ROLE, RunsTable

from .conftest import behind_another_tab, copy_sample


@pytest.fixture(scope="module")
def board_project(tmp_path_factory):
    """Wine copy with 2 runs (one with 3-fold CV), 1 search and 1 interrupted run."""
    from workbench.engine.tuning.job import TuneJob

    root = copy_sample("wine", tmp_path_factory.mktemp("board"))
    project = Project.open(root)
    base = dict(dataset="wine", target="cultivar", learning_curve=False)
    TrainJob(project.root, RunSpec(algorithm="logistic_regression", cv=3, **base)).run()
    TrainJob(project.root, RunSpec(algorithm="decision_tree", params={"max_depth": 1}, **base)).run()
    TuneJob(project.root, RunSpec(algorithm="decision_tree", **base), strategy="random", n_trials=2, cv=2).run()
    # A run whose process died before it wrote a result: no result.json, no lock.
    first = project.runs()[0]
    dead = project.runs_dir / "20000101-000000-knn-dead"
    dead.mkdir()
    shutil.copy(first.folder / "spec.json", dead / "spec.json")
    return root


@pytest.fixture
def table(qtbot, board_project):
    model = ProjectModel()
    model.open(board_project)
    view = RunsTable(model)
    qtbot.addWidget(view)
    view.resize(1400, 400)
    view.show()
    return view


def column_values(table, name):
    column = table.column(name)
    return [table.model.item(r, column).data(SORT_ROLE) for r in range(table.model.rowCount())]


def click_header(qtbot, table, name):
    header = table.view.horizontalHeader()
    column = table.column(name)
    table.view.scrollTo(table.model.index(0, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_runs_and_search_best_are_ranked_by_the_headline_metric(table):
    kinds = [kind for kind, _ in table.row_keys()]
    assert sorted(kinds) == ["run", "run", "run", "tune"]
    assert table.rank_metric == "accuracy"
    assert table.metric_columns()[0] == "accuracy"
    ranks = column_values(table, "Rank")
    assert ranks[:3] == [1.0, 2.0, 3.0] and ranks[3] == float("inf")  # the dead run: listed, unranked
    accuracy = column_values(table, "accuracy")[:3]
    assert accuracy == sorted(accuracy, reverse=True)
    # The CV column: mean ± std for the run with CV and the search; empty for the rest.
    cv_column = table.column("CV accuracy")
    cv_text = {table.row_keys()[r]: table.model.item(r, cv_column).text() for r in range(4)}
    with_cv = [key for key, text in cv_text.items() if "±" in text]
    assert len(with_cv) == 2 and any(kind == "tune" for kind, _ in with_cv)
    row_of_tree = next(r for r, (k, _) in enumerate(table.row_keys()) if k == "run"
                       and table.model.item(r, table.column("Algorithm")).text() == "decision_tree")
    assert table.model.item(row_of_tree, table.column("Key parameters")).text() == "max_depth=1"


def test_metric_columns_sort_numerically_best_first(qtbot, table):
    click_header(qtbot, table, "log_loss")  # lower is better: first click ascending
    values = [v for v in column_values(table, "log_loss") if v != float("inf")]
    assert len(values) == 3 and values == sorted(values)
    assert column_values(table, "log_loss")[-1] == float("inf")  # missing last
    click_header(qtbot, table, "accuracy")  # higher is better: first click descending
    values = [v for v in column_values(table, "accuracy") if v != float("-inf")]
    assert values == sorted(values, reverse=True) and len(values) == 3
    click_header(qtbot, table, "accuracy")
    values = [v for v in column_values(table, "accuracy") if v != float("-inf")]
    assert values == sorted(values)


def test_rank_by_another_metric_follows_its_direction(table):
    table.set_metric("log_loss")
    assert table.rank_metric == "log_loss" and table.metric_columns()[0] == "log_loss"
    assert "lower" in table.direction_hint.text()
    ranked = [v for v, rank in zip(column_values(table, "log_loss"), column_values(table, "Rank"))
              if rank != float("inf")]
    assert ranked == sorted(ranked) and len(ranked) == 3


def test_completed_only_hides_the_unfinished_run(table):
    assert len(table.run_ids()) == 3
    table.only_completed.setChecked(True)
    assert len(table.run_ids()) == 2
    assert [k for k, _ in table.row_keys()].count("tune") == 1


def test_selecting_rows_and_copying_as_tsv(qtbot, table):
    runs, tunes = [], []
    table.runSelected.connect(runs.append)
    table.tuneSelected.connect(tunes.append)
    keys = table.row_keys()
    table.view.selectRow(next(r for r, (k, _) in enumerate(keys) if k == "tune"))
    table.view.selectRow(next(r for r, (k, _) in enumerate(keys) if k == "run"))
    assert tunes == [next(i for k, i in keys if k == "tune")]
    assert runs and runs[-1] in table.run_ids()
    table.view.setFocus()
    table.view.selectAll()
    qtbot.keyClick(table.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t")[:4] == ["Rank", "Kind", "Run", "accuracy"]
    assert len(lines) == 1 + len(keys)


def test_search_row_opens_the_tune_tab(qtbot, board_project):
    from workbench.gui.main_window import MainWindow

    window = MainWindow(board_project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.tabs is not None and window.project.is_open, timeout=20000)
    table = window.runs_table
    row = next(r for r, (k, _) in enumerate(table.row_keys()) if k == "tune")
    table.view.selectRow(row)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Tune"
    assert len(window.tuning_view.trials) == 2
    tune_id = table.row_keys()[row][1]
    result = json.loads((board_project / "tunes" / tune_id / "result.json").read_text())
    assert window.tuning_view.metric_name == result["metric"]
    window.shutdown()


def test_a_runs_table_on_a_hidden_tab_rebuilds_when_shown_not_at_every_job(qtbot, board_project, tmp_path):
    # Every job's start and end changes the runs; the table rebuilt itself
    # each time (read the board, re-measure its header) on the GUI thread
    # while the person watched the fit on the Training tab.
    root = shutil.copytree(board_project, tmp_path / "board")
    model = ProjectModel()
    model.open(root)
    table = RunsTable(model)
    tabs = behind_another_tab(qtbot, table)
    rebuilds = []
    original = table._board
    table._board = lambda: (rebuilds.append(1), original())[1]
    TrainJob(root, RunSpec(dataset="wine", target="cultivar", algorithm="decision_tree",
                           params={"max_depth": 2}, learning_curve=False)).run()
    for _ in range(3):  # a job's start, its end, a rename...
        model.runs_updated()
    assert rebuilds == [], "a hidden runs table rebuilt itself"
    tabs.setCurrentWidget(table)
    qtbot.waitUntil(lambda: len(rebuilds) == 1, timeout=2000)
    assert len(table.run_ids()) == 4  # the new run is listed (with the two before and the dead one)
    model.runs_updated()  # shown: rebuilt at once
    assert len(rebuilds) == 2


def test_a_jobs_start_and_end_refresh_the_run_list_once_and_after_the_frame(qtbot, board_project):
    # A job's start asked for a refresh twice (the session and the window),
    # and its end refreshed the tree inside the turn that ended the job: one
    # long frame made of several short ones.
    model = ProjectModel()
    model.open(board_project)
    seen = []
    model.runsChanged.connect(lambda: seen.append(1))
    for _ in range(3):
        model.runs_updated_soon()
    assert seen == [], "the run list was re-read in the same turn"
    qtbot.waitUntil(lambda: seen == [1], timeout=2000)
    qtbot.wait(2 * model.RUNS_REFRESH_DELAY_MS)
    assert seen == [1]


def test_the_project_tree_and_the_cli_list_a_run_by_the_same_metric():
    # Each kept its own rule: for a run cancelled mid-fit the tree showed its
    # first number (a training loss), `workbench runs` a validation loss.
    from types import SimpleNamespace

    from workbench.cli.support import headline_metric
    from workbench.gui.project_tree import headline

    live = {"train_logloss": 0.5, "valid_logloss": 0.6}
    assert headline(SimpleNamespace(task=None, headline=None, metrics=live)) == "valid_logloss 0.6"
    assert headline_metric(None, live) == "valid_logloss 0.6"
    done = SimpleNamespace(task="regression", headline="r2", metrics={"rmse": 2.0, "r2": 0.81})  # a run's overview
    assert headline(done) == "r2 0.81" and headline_metric("regression", done.metrics) == "r2 0.81"
