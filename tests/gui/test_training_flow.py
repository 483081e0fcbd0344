"""The whole path a person takes: target, algorithm, parameters, train, results."""

from __future__ import annotations

from PySide6.QtCore import Qt

from workbench.gui.jobs import JobState
from workbench.gui.main_window import TAB_MODEL, TAB_RESULTS, TAB_TRAINING
from .conftest import click_item


def choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered"
    combo.setCurrentIndex(index)


def setup_model(qtbot, window, algorithm: str, target: str | None = "label"):
    window.tabs.setCurrentIndex(TAB_MODEL)
    choose(window.roles.target_combo, target)
    qtbot.waitUntil(lambda: window.model_form.algorithm_combo.findData(algorithm) >= 0, timeout=5000)
    choose(window.model_form.algorithm_combo, algorithm)
    return window.model_form


def type_into(qtbot, line_edit, text: str) -> None:
    line_edit.selectAll()
    qtbot.keyClick(line_edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(line_edit, text)


def test_train_with_live_curves_then_results(qtbot, window):
    form = setup_model(qtbot, window, "gradient_boosting")
    assert window.session.resolved_task() == "classification"
    fields = form.param_form.fields
    rate = fields["learning_rate"]
    type_into(qtbot, rate.editor, "5")
    assert rate.error.isVisible() and "learning_rate" in rate.error.text()
    assert not form.train_button.isEnabled()
    type_into(qtbot, rate.editor, "0.2")
    assert not rate.error.isVisible()
    assert form.train_button.isEnabled()
    fields["n_estimators"].editor.setValue(40)

    qtbot.keyClick(form, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.jobs.current("train") is not None or not window.jobs.is_idle(), timeout=5000)
    assert window.tabs.currentIndex() == TAB_TRAINING
    qtbot.waitUntil(window.jobs.is_idle, timeout=60000)
    entry = [e for e in window.jobs.entries() if e.kind == "train"][-1]
    assert entry.state == JobState.COMPLETED, entry.error
    live = window.live_view
    assert live.point_count() >= 40
    assert any(plot == "loss" for plot, _s, _m in live.buffers)
    # Without early stopping the fit holds out no validation curve: a best
    # marker only where a validation loss was reported.
    assert live.best_lines[0].isVisible() == (live.best_step() is not None)

    record = window.project.run(entry.job.run_id)
    assert record.status == "completed"
    params = record.spec.params
    assert (params["learning_rate"], params["n_estimators"]) == (0.2, 40)
    # The tree lists the run with its headline metric (a moment after the job's end: its own turn).
    qtbot.waitUntil(lambda: (window.tree.item_for("run", record.run_id) is not None
                             and window.tree.item_for("run", record.run_id).text(1).startswith("accuracy")),
                    timeout=2000)
    item = window.tree.item_for("run", record.run_id)

    # Open the run's results like a person: click it in the tree.
    click_item(qtbot, window.tree.tree, item)
    assert window.tabs.currentIndex() == TAB_RESULTS
    results = window.results
    assert results.metrics_model.rowCount() > 3
    for key in ("confusion", "curves", "importance", "spec", "log"):
        assert results.is_tab_visible(key), key
        results.show_tab(key)
    assert not results.is_tab_visible("regression")
    assert results.confusion.matrix.sum() == record.result.test_rows
    results.show_norm.setChecked(True)
    assert abs(results.confusion.matrix.sum(axis=1) - 1).max() < 1e-6
    assert '"gradient_boosting"' in results.spec_text.toPlainText()
    assert "iter" in results.log_text.toPlainText()


def test_cancel_a_long_run_records_it_cancelled(qtbot, window):
    form = setup_model(qtbot, window, "gradient_boosting")
    form.param_form.fields["n_estimators"].editor.setValue(20000)
    job_id = form.train()
    assert job_id is not None
    live = window.live_view
    qtbot.waitUntil(lambda: live.point_count() > 0, timeout=60000)
    qtbot.mouseClick(live.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.jobs.entry(job_id).state.finished, timeout=30000)
    entry = window.jobs.entry(job_id)
    assert entry.state == JobState.CANCELLED
    assert window.project.run(entry.job.run_id).status == "cancelled"
    assert "cancelled" in live.title.text()


def test_escape_in_the_training_view_cancels_the_current_job(qtbot, window):
    form = setup_model(qtbot, window, "gradient_boosting")
    form.param_form.fields["n_estimators"].editor.setValue(20000)
    job_id = form.train()
    qtbot.waitUntil(lambda: window.jobs.entry(job_id).state == JobState.RUNNING, timeout=10000)
    window.live_view.setFocus()
    qtbot.keyClick(window.live_view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.jobs.entry(job_id).state.finished, timeout=30000)
    assert window.jobs.entry(job_id).state == JobState.CANCELLED


def test_regression_run_shows_residual_views(qtbot, window):
    window.session.select_dataset("houses")
    qtbot.waitUntil(lambda: window.session.dataset == "houses" and window.session.frame is not None, timeout=20000)
    form = setup_model(qtbot, window, "ridge", target="price")
    assert window.session.resolved_task() == "regression"
    job_id = form.train()
    qtbot.waitUntil(window.jobs.is_idle, timeout=60000)
    entry = window.jobs.entry(job_id)
    assert entry.state == JobState.COMPLETED, entry.error
    window.show_run(entry.job.run_id)
    results = window.results
    assert results.is_tab_visible("regression")
    assert not results.is_tab_visible("confusion")
    results.show_tab("regression")
    assert results.scatter_plot.getPlotItem().listDataItems()
    # One step, no per-iteration curves: the live view says so instead of staying blank.
    assert window.live_view.point_count() == 0


def test_clustering_without_target(qtbot, window):
    form = setup_model(qtbot, window, "kmeans", target=None)
    assert window.session.resolved_task() == "clustering"
    form.param_form.fields["n_clusters"].editor.setValue(3)
    job_id = form.train()
    qtbot.waitUntil(window.jobs.is_idle, timeout=60000)
    entry = window.jobs.entry(job_id)
    assert entry.state == JobState.COMPLETED, entry.error
    window.show_run(entry.job.run_id)
    assert window.results.is_tab_visible("clusters")


def test_spec_error_appears_under_the_train_button(qtbot, window):
    form = setup_model(qtbot, window, "logistic_regression")
    window.roles.task_combo.setCurrentText("classification")
    choose(window.roles.target_combo, None)
    assert form.train() is None
    assert form.error.isVisible()
    assert "target" in form.error.text().lower()


def test_training_in_a_separate_process_streams_and_cancels(qtbot, window):
    form = setup_model(qtbot, window, "gradient_boosting")
    form.param_form.fields["n_estimators"].editor.setValue(20000)
    job_id = form.train()
    live = window.live_view
    qtbot.waitUntil(lambda: live.point_count() > 0, timeout=60000)
    window.jobs.cancel(job_id)
    qtbot.waitUntil(lambda: window.jobs.entry(job_id).state.finished, timeout=30000)
    entry = window.jobs.entry(job_id)
    assert entry.state == JobState.CANCELLED
    assert entry.runner.name == "process"  # fits always run in a worker process
    assert window.project.run(entry.job.run_id).status == "cancelled"


def test_tune_tab_runs_a_search_and_copies_the_best_params(qtbot, window):
    form = setup_model(qtbot, window, "logistic_regression")
    settings = window.tuning_setup.settings()
    settings.update(strategy="random", n_trials=3, cv=0)
    job_id = window.tuning_tab.start(settings)
    assert job_id is not None
    qtbot.waitUntil(lambda: window.jobs.entry(job_id).state.finished, timeout=60000)
    assert window.jobs.entry(job_id).state == JobState.COMPLETED, window.jobs.entry(job_id).error
    best = window.tuning_view.best_params()
    assert best
    window.tuning_view.train_best_requested.emit(best)
    assert window.tabs.currentIndex() == TAB_MODEL
    assert {k: form.param_form.values()[k] for k in best} == best
