"""Explain and Calibration tabs of the Results view, and "Save report…", driven as a person would."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from workbench.gui.calibration_view import CalibrationPanel
from workbench.gui.explain_view import ExplainPanel
from workbench.gui.jobs import JobsModel
from workbench.gui.project_model import ProjectModel
from workbench.gui.results import ResultsView


@pytest.fixture
def views(qtbot, trained_project):
    jobs = JobsModel()
    results = ResultsView()
    explain, calibration = ExplainPanel(jobs), CalibrationPanel(jobs)
    results.add_run_tab("explain", explain, "Explain", "search")
    results.add_run_tab("calibration", calibration, "Calibration", "target")
    qtbot.addWidget(results)
    results.resize(1000, 700)
    results.show()
    project = ProjectModel()
    project.open(trained_project)
    yield project, results, explain, calibration
    jobs.shutdown()


def run_of(project, algorithm):
    return next(r for r in project.runs() if r.algorithm == algorithm)


def test_explain_tab_computes_a_waterfall_per_row_in_a_job(qtbot, views, tmp_path):
    project, results, explain, _ = views
    results.show_run(run_of(project, "xgboost"))
    assert results.is_tab_visible("explain") and results.is_tab_visible("calibration")
    results.show_tab("explain")  # showing the tab starts the job
    qtbot.waitUntil(lambda: explain.data is not None, timeout=60000)
    assert "TreeSHAP" in explain.method_label.text()
    assert explain.row_combo.count() > 1 and explain.feature_combo.count() >= 1
    explain.row_combo.setCurrentIndex(2)
    title = explain.waterfall_plot.getPlotItem().titleLabel.text
    assert f"Row {explain.data['rows'][2]['index']}" in title
    results.grab().save(str(tmp_path / "explain.png"))
    # A clustering run has nothing to explain: the tabs hide.
    results.show_run(run_of(project, "kmeans"))
    assert not results.is_tab_visible("explain") and not results.is_tab_visible("calibration")


def test_calibration_tab_saves_the_threshold_with_the_run(qtbot, views, tmp_path):
    project, results, _, calibration = views
    record = run_of(project, "logistic_regression")
    results.show_run(record)
    results.show_tab("calibration")
    qtbot.waitUntil(lambda: calibration.data is not None, timeout=60000)
    assert "held-out rows" in calibration.summary.text()
    calibration.threshold_box.setValue(0.7)
    assert calibration.line.value() == pytest.approx(0.7)
    qtbot.mouseClick(calibration.save_button, Qt.MouseButton.LeftButton)
    assert json.loads((record.folder / "model.json").read_text())["threshold"] == 0.7
    assert "Saved threshold 0.7" in calibration.status.text()
    results.grab().save(str(tmp_path / "calibration.png"))
    # A regression run has no calibration tab; the metrics show its baseline.
    results.show_run(run_of(project, "ridge"))
    results.show_tab("metrics")
    assert not results.is_tab_visible("calibration")
    assert "training mean" in results.baseline_label.text()


def test_save_report_from_the_window_writes_one_html_file(qtbot, trained_project, tmp_path):
    from workbench.engine import Project
    from workbench.gui.main_window import MainWindow

    window = MainWindow(trained_project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.project.project is not None, timeout=20000)
    run_id = next(r.run_id for r in Project.open(trained_project).runs() if r.algorithm == "ridge")
    window.show_run(run_id)
    assert window.report_action.text() == "Save &report…"
    out = tmp_path / "ridge.html"
    window.save_report(str(out))
    qtbot.waitUntil(lambda: "Report saved" in window.statusBar().currentMessage(), timeout=120000)
    text = out.read_text(encoding="utf-8")
    assert "<section id='dependence'>" in text and "https:" not in text
    window.shutdown()


def test_predict_view_explains_the_selected_row(qtbot, trained_project, tmp_path):
    from workbench.gui.predict_view import PredictView

    jobs = JobsModel()
    project = ProjectModel()
    project.open(trained_project)
    view = PredictView(jobs, project)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    run_id = run_of(project, "xgboost").run_id
    view.set_model_source("run:", run_id)
    view.set_data_source("dataset:", "customers")
    qtbot.mouseClick(view.predict_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and view.explain_button.isEnabled(), timeout=60000)
    view.view.setCurrentIndex(view.model.index(5, 0))
    qtbot.mouseClick(view.explain_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.explain_dialog is not None, timeout=60000)
    row = view.explain_dialog.data["rows"][0]
    assert row["index"] == view.predictions.index[view.model.frame_row(5)]
    assert row["base_value"] + sum(row["contributions"].values()) == pytest.approx(row["raw_output"], abs=1e-4)
    assert view.explain_dialog.data["partial_dependence"] == {}  # a quick per-row answer
    qtbot.wait(300)  # the axes size themselves to their labels on the first paints
    view.explain_dialog.grab().save(str(tmp_path / "row.png"))
    jobs.shutdown()
