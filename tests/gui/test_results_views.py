"""Results views, runs table and project tree on runs trained once per module."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from workbench.gui.plots import save_plot
from workbench.gui.project_model import ProjectModel
from workbench.gui.project_tree import ProjectTree
from workbench.gui.results import ResultsView
from workbench.gui.runs_table import RunsTable


@pytest.fixture
def project(trained_project):
    model = ProjectModel()
    model.open(trained_project)
    return model


def run_of(project, algorithm):
    return next(r for r in project.runs() if r.algorithm == algorithm)


@pytest.fixture
def results(qtbot):
    view = ResultsView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    return view


def show(qtbot, results, record):
    """Show a run and draw all of its views (as if every tab had been opened)."""
    results.show_run(record)
    results.finish_drawing()


def test_the_view_in_sight_is_drawn_and_a_plot_tab_is_made_when_picked(qtbot, results, project):
    # A pyqtgraph plot costs 20-40 ms of GUI thread to make: a run's plots are
    # made when their tab is first picked, not all at once when the run shows.
    results.show_run(run_of(project, "xgboost"))
    names = [results.metrics_model.item(r, 0).text() for r in range(results.metrics_model.rowCount())]
    assert "accuracy" in names  # the Metrics tab is in sight: drawn at once
    assert not results.is_built("curves") and not hasattr(results, "roc_plot")
    results.show_tab("curves")  # picking a tab makes and draws it now
    assert results.roc_plot.getPlotItem().listDataItems()
    assert not results.is_built("importance")
    results.show_tab("importance")
    assert results.importance_plot.getPlotItem().items
    # Once made, a tab is drawn in the background for the next run shown.
    results.show_tab("metrics")
    results.show_run(run_of(project, "logistic_regression"))
    assert results.drawing
    qtbot.waitUntil(lambda: not results.drawing, timeout=5000)
    assert results.roc_plot.getPlotItem().listDataItems()


def test_classification_views(qtbot, results, project):
    record = run_of(project, "xgboost")
    show(qtbot, results, record)
    visible = {k for k in results.tab_index if results.is_tab_visible(k)}
    assert {"metrics", "confusion", "curves", "importance", "spec", "log"} <= visible
    assert "regression" not in visible and "clusters" not in visible
    names = [results.metrics_model.item(r, 0).text() for r in range(results.metrics_model.rowCount())]
    assert "accuracy" in names
    assert results.class_model.rowCount() == 2  # per-class precision/recall
    counts = results.confusion.matrix.copy()
    results.show_norm.setChecked(True)
    assert results.confusion.matrix.shape == counts.shape == (2, 2)
    results.show_counts.setChecked(True)
    assert (results.confusion.matrix == counts).all()
    assert results.roc_plot.getPlotItem().listDataItems()
    assert results.importance_plot.getPlotItem().items
    assert "xgboost" in results.subheader.text()


def test_cv_columns_appear_only_with_cross_validation(qtbot, results, project):
    show(qtbot, results, run_of(project, "logistic_regression"))
    assert not results.metrics_table.isColumnHidden(2)
    show(qtbot, results, run_of(project, "xgboost"))
    assert results.metrics_table.isColumnHidden(2)


def test_regression_and_clustering_views(qtbot, results, project):
    show(qtbot, results, run_of(project, "ridge"))
    assert results.is_tab_visible("regression") and not results.is_tab_visible("confusion")
    assert results.scatter_plot.getPlotItem().listDataItems()
    show(qtbot, results, run_of(project, "kmeans"))
    assert results.is_tab_visible("clusters") and not results.is_tab_visible("curves")


def test_plots_save_as_png_and_svg(qtbot, results, project, tmp_path):
    show(qtbot, results, run_of(project, "xgboost"))
    results.show_tab("curves")
    png = save_plot(results.roc_plot, tmp_path / "roc.png")
    svg = save_plot(results.confusion, tmp_path / "confusion.svg")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in svg.read_bytes()[:500]


def test_metrics_table_copies_as_tsv(qtbot, results, project):
    show(qtbot, results, run_of(project, "xgboost"))
    view = results.metrics_table
    view.setFocus()
    view.selectAll()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    lines = text.splitlines()
    assert lines[0].split("\t")[:2] == ["Metric", "Test"]
    assert any(line.startswith("accuracy\t0.") for line in lines)


def test_runs_table_sorts_by_a_metric(qtbot, project):
    table = RunsTable(project)
    qtbot.addWidget(table)
    assert len(table.run_ids()) == 4
    assert "accuracy" in table.metric_columns()
    column = table.column("accuracy")
    table.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    values = [table.model.item(r, column).data(Qt.ItemDataRole.UserRole + 1) for r in range(4)]
    assert values == sorted(values, reverse=True)
    seen = []
    table.runSelected.connect(seen.append)
    table.view.selectRow(0)
    assert seen and seen[-1] == table.run_ids()[0]
    table.only_completed.setChecked(True)
    assert len(table.run_ids()) == 4


def test_tree_lists_runs_with_headline_and_renames(qtbot, project, monkeypatch):
    tree = ProjectTree(project)
    qtbot.addWidget(tree)
    assert tree.runs_root.childCount() == 4
    record = run_of(project, "xgboost")
    item = tree.item_for("run", record.run_id)
    assert item.text(1).startswith("accuracy 0.")
    assert tree.rename_run(record.run_id, "my best model")
    assert tree.item_for("run", record.run_id).text(0) == "my best model"
    assert project.run(record.run_id).label == "my best model"
    tree.rename_run(record.run_id, record.run_id)  # restore for the other tests


def test_tree_delete_asks_first(qtbot, trained_project, tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(trained_project, copy)
    project = ProjectModel()
    project.open(copy)
    tree = ProjectTree(project)
    qtbot.addWidget(tree)
    run_id = run_of(project, "ridge").run_id
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert not tree.delete_run(run_id)
    assert tree.item_for("run", run_id) is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert tree.delete_run(run_id)
    assert tree.item_for("run", run_id) is None
    # An engine error (unknown name) is shown, not raised.
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    assert not tree.rename_dataset("customers", "houses")
    assert shown and "houses" in shown[0]


def test_a_finished_run_waits_for_a_hidden_results_view_to_be_shown(qtbot, trained_project):
    # At the end of a training the person watches the Training tab: the
    # Results view draws nothing until it is looked at (the old code made all
    # nine plots in the turns after the run ended, 30-90 ms each).
    from PySide6.QtWidgets import QLabel, QTabWidget

    from workbench.engine import Project

    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    view = ResultsView()
    tabs.addTab(QLabel("training"), "Training")
    tabs.addTab(view, "Results")
    tabs.show()
    record = next(r for r in Project.open(trained_project).runs() if r.algorithm == "xgboost")
    view.show_run_soon(record)
    qtbot.wait(50)
    assert view.record is None and not hasattr(view, "confusion")
    tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.record is record, timeout=5000)
    assert not hasattr(view, "confusion")  # the Metrics tab is in sight, not the matrix
    view.show_tab("confusion")
    assert view.confusion.matrix.size == 4


def test_a_cancelled_runs_metrics_are_not_called_test_scores(qtbot, results):
    import time
    from types import SimpleNamespace

    from workbench.engine import RunResult

    result = RunResult.from_dict({"status": "cancelled", "metrics": {"rmse": 512.0}, "task": "regression"})
    record = SimpleNamespace(run_id="r1", label="r1", algorithm="xgboost", dataset="diamonds",
                             created=time.time(), status="cancelled", has_model=False, metrics={}, result=result,
                             spec=SimpleNamespace(to_json=lambda: "{}"), events=lambda: [])
    show(qtbot, results, record)
    header = results.metrics_model.horizontalHeaderItem(1).text()
    assert header != "Test" and "Last reported" in header
    assert results.metrics_model.item(0, 0).text() == "rmse"
