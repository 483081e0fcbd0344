"""The Compare and Predict tabs, driven as a person would."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import QPointF, Qt

from workbench.gui.jobs import JobState
from workbench.gui.main_window import TAB_MODEL, TAB_RESULTS

from .conftest import wait_idle

SHOTS = os.environ.get("WORKBENCH_SCREENSHOTS")  # a folder: save screenshots there


@pytest.fixture(autouse=True)
def collect_garbage_while_idle(qtbot):
    """Free each test's Qt garbage now, with no worker running.

    Left to a later, random collection, it was freed beside a fitting worker
    thread of another test and the process crashed (PySide, GC of wrappers).
    """
    yield
    import gc

    qtbot.wait(50)
    gc.collect()


def _shot(widget, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / name))


def _choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered"
    combo.setCurrentIndex(index)


def _train(window, dataset: str, algorithm: str, target: str) -> str:
    """A finished run (trained through the engine), listed in the window; its id."""
    from workbench.engine import RunSpec, TrainJob

    job = TrainJob(window.project.root, RunSpec(dataset=dataset, algorithm=algorithm, target=target,
                                                learning_curve=False))
    job.run()
    window.project.runs_updated()
    return job.run_id


def test_compare_fills_a_ranked_table_and_opens_a_run(qtbot, window):
    window.tabs.setCurrentIndex(TAB_MODEL)
    _choose(window.roles.target_combo, "label")
    view = window.compare_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.algorithm_list.count() > 5, timeout=5000)
    view.set_checked(["logistic_regression", "naive_bayes"])
    view.cv_spin.setValue(3)
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.job_id is not None
    assert view.cancel_button.isEnabled()
    wait_idle(qtbot, window.jobs, timeout=120000)
    entry = [e for e in window.jobs.entries() if e.kind == "compare"][-1]
    assert entry.state == JobState.COMPLETED, entry.error
    assert sorted(view.row_algorithms()) == ["baseline", "logistic_regression", "naive_bayes"]
    assert view.row_algorithms()[-1] == "baseline"
    assert view.table.item(0, 4).text() == "best"
    assert view.table.item(2, 4).text() == "worse"
    _shot(window, "compare_tab.png")

    # The runs are ordinary runs; a double-click opens one in Results.
    run_id = view.table.item(0, 0).data(Qt.ItemDataRole.UserRole)
    assert window.project.run(run_id).status == "completed"
    rect = view.table.visualItemRect(view.table.item(0, 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.open_button.isEnabled() and view.tune_button.isEnabled()
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentIndex() == TAB_RESULTS
    assert window.results.record.run_id == run_id

    # "Tune this" starts a search of the row's algorithm from its run's settings.
    window.tabs.setCurrentWidget(view)
    view.table.selectRow(0)
    qtbot.mouseClick(view.tune_button, Qt.MouseButton.LeftButton)
    tunes = [e for e in window.jobs.entries() if e.kind == "tune"]
    assert len(tunes) == 1, window.tuning_setup.error.text()
    assert window.session.algorithm == view.row_algorithms()[0]
    assert tunes[0].job.spec.algorithm == view.row_algorithms()[0]
    window.jobs.cancel(tunes[0].job_id)
    wait_idle(qtbot, window.jobs, timeout=60000)


def test_the_hidden_compare_list_is_filled_when_its_tab_is_opened(qtbot, window):
    # Every dataset click and target change emptied and refilled the hidden
    # list (12 ms of the click's turn); now it follows the task when opened.
    view = window.compare_view
    window.tabs.setCurrentIndex(TAB_MODEL)
    fills = []
    real = view.refresh_algorithms
    view.refresh_algorithms = lambda: (fills.append(True), real())[1]

    def keys():
        return [view.algorithm_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(view.algorithm_list.count())]

    _choose(window.roles.target_combo, "amount")  # a regression now
    qtbot.wait(50)
    assert fills == []
    window.tabs.setCurrentWidget(view)
    assert len(fills) == 1
    assert "ridge" in keys() and "logistic_regression" not in keys()
    # Hidden again: a start (or the checked list) still uses the current task.
    window.tabs.setCurrentIndex(TAB_MODEL)
    _choose(window.roles.target_combo, "label")
    assert len(fills) == 1
    assert "logistic_regression" in view.checked() and len(fills) == 2


def test_the_hidden_predict_pickers_are_filled_when_their_tab_is_opened(qtbot, window, monkeypatch):
    # Every run's start and end refilled the hidden Predict tab's model list,
    # reading every run of the project (~50 ms at 200 runs).
    view = window.predict_view
    fills = []
    real = view.refresh
    monkeypatch.setattr(view, "refresh", lambda: (fills.append(True), real())[1])
    run_id = _train(window, "customers", "logistic_regression", "label")  # runsChanged, the tab hidden
    qtbot.wait(50)
    assert fills == []
    window.tabs.setCurrentWidget(view)
    assert len(fills) == 1
    assert view.model_combo.findData("run:" + run_id) >= 0  # the new run is offered


def test_compare_cancel_keeps_finished_rows(qtbot, window):
    window.tabs.setCurrentIndex(TAB_MODEL)
    _choose(window.roles.target_combo, "label")
    view = window.compare_view
    view.refresh_algorithms()
    view.set_checked(["random_forest", "extra_trees", "gradient_boosting"])
    view.start()
    qtbot.waitUntil(lambda: len(view.rows) >= 1, timeout=60000)  # the baseline is in
    view.cancel()
    wait_idle(qtbot, window.jobs, timeout=60000)
    assert "baseline" in view.row_algorithms()
    assert "kept" in view.summary.text()


def test_predict_tab_marks_problem_rows_and_tries_single_rows(qtbot, window, tmp_path):
    run_id = _train(window, "customers", "logistic_regression", "label")
    data = pd.read_csv(window.project.root / "data" / "customers.csv").head(30).drop(columns=["label"])
    data["x1"] = data["x1"].astype(object)
    data.loc[3, "x1"] = "oops"
    data["batch"] = "b7"
    data.to_csv(tmp_path / "new.csv", index=False)

    view = window.predict_view
    window.tabs.setCurrentWidget(view)
    _choose(view.model_combo, "run:" + run_id)
    view.set_data_source("file:", str(tmp_path / "new.csv"))
    qtbot.mouseClick(view.predict_button, Qt.MouseButton.LeftButton)
    predict = window.jobs.entry(view.job_id)
    assert predict.runner.name == "process" and predict.job.kind == "predict"  # in the data worker (issue 18)
    qtbot.waitUntil(lambda: view.model.rowCount() == 30, timeout=30000)
    assert predict.state == JobState.COMPLETED
    text = view.notes.text()
    assert "'x1' should hold numbers but has 'oops'" in text
    assert "Ignored 1 column(s) the model does not use: batch." in text
    headers = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(view.model.columnCount())]
    assert {"prediction", "proba_yes", "proba_no"} <= set(headers)
    assert view.model.is_problem(3)
    assert view.model.data(view.model.index(3, headers.index("x1"))) == "oops"  # as the file said
    assert view.model.data(view.model.index(3, 0), Qt.ItemDataRole.BackgroundRole) is not None

    # Try one row: prefilled with typical values; a change updates the prediction.
    form = view.try_row
    assert set(form.fields) == {"x1", "x2", "color", "amount"}
    qtbot.waitUntil(lambda: form.result_label.text().startswith("Prediction:"), timeout=10000)
    form.set_value("x1", "3")
    qtbot.waitUntil(lambda: form.result_label.text().startswith("Prediction: yes\nyes:"), timeout=10000)
    form.set_value("x1", "-4")
    qtbot.waitUntil(lambda: form.result_label.text().startswith("Prediction: no"), timeout=10000)
    _shot(window, "predict_tab.png")

    saved = tmp_path / "out.csv"
    view.save(str(saved))
    wait_idle(qtbot, window.jobs)
    assert len(pd.read_csv(saved)) == 30


def test_confusion_cell_click_lists_its_test_rows(qtbot, window):
    window.show_run(_train(window, "customers", "naive_bayes", "label"))
    results = window.results
    results.show_tab("confusion")
    qtbot.waitUntil(lambda: results.confusion.matrix.size == 4, timeout=10000)
    counts = results.result.evaluation.confusion.counts
    labels = results.result.evaluation.confusion.labels
    # Click the centre of cell (actual row 0, predicted column 1) as a person would.
    heat = results.confusion
    qtbot.waitUntil(lambda: heat.isVisible(), timeout=5000)
    scene_pos = heat.plot.vb.mapViewToScene(QPointF(1.5, 0.5))
    view_pos = heat.mapFromScene(scene_pos)
    qtbot.mouseClick(heat.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
    qtbot.waitUntil(lambda: window.drilldown.dialog is not None and window.drilldown.dialog.isVisible(),
                    timeout=30000)
    dialog = window.drilldown.dialog
    assert dialog.model.rowCount() == counts[0][1]
    frame = dialog.model.frame()
    assert {"x1", "color", "label", "prediction", "proba_yes"} <= set(frame.columns)
    assert set(frame["label"].astype(str)) <= {str(labels[0])}
    assert set(frame["prediction"].astype(str)) <= {str(labels[1])}
    _shot(dialog, "confusion_drilldown.png")
    dialog.close()


def test_regression_box_lists_rows_inside(qtbot, window):
    window.show_run(_train(window, "houses", "ridge", "price"))
    results = window.results
    results.show_tab("regression")
    qtbot.waitUntil(lambda: getattr(results, "selection_box", None) is not None, timeout=10000)
    box = results.selection_box
    box.setPos((0.0, 0.0))
    box.setSize((10.0, 10.0))
    box.sigRegionChangeFinished.emit(box)  # what a drag's release sends
    qtbot.waitUntil(lambda: window.drilldown.dialog is not None, timeout=30000)
    frame = window.drilldown.dialog.model.frame()
    assert len(frame) > 0
    assert frame["price"].between(0, 10).all() and frame["prediction"].between(0, 10).all()
    window.drilldown.dialog.close()


def test_only_the_last_runs_drilled_into_keep_their_rows_loaded(qtbot, trained_project, monkeypatch):
    # Each run's held-out rows were kept for the window's life: a 1M-row
    # dataset's test split is ~80 MB a run clicked through.
    import gc
    import weakref

    from workbench.gui import drilldown
    from workbench.gui.main_window import MainWindow

    monkeypatch.setattr(drilldown, "KEEP_TABLES", 2)
    window = MainWindow(trained_project)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: len(window.project.runs()) >= 4, timeout=20000)
    runs = [r for r in window.project.runs() if r.spec.algorithm in ("xgboost", "logistic_regression")]
    runs.append(next(r for r in window.project.runs() if r.spec.algorithm == "ridge"))
    kept = {}
    for record in runs:
        dialogs = window.drilldown.dialog
        if record.spec.algorithm == "ridge":
            window.drilldown.show_box(record.run_id, -1e9, 1e9, -1e9, 1e9)
        else:
            window.drilldown.show_cell(record.run_id, "yes", "yes")
        qtbot.waitUntil(lambda d=dialogs: window.drilldown.dialog is not d and window.drilldown.dialog is not None,
                        timeout=30000)
        kept[record.run_id] = weakref.ref(window.drilldown._tables[record.run_id])
        window.drilldown.dialog.close()
    gc.collect()
    first, *later = [r.run_id for r in runs]
    assert kept[first]() is None and all(kept[r]() is not None for r in later)
    # Looking at a kept run again needs no job.
    submitted = len(window.jobs.entries())
    window.drilldown.show_cell(later[0], "yes", "no")
    assert len(window.jobs.entries()) == submitted
    window.shutdown()
