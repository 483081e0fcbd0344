"""Any run can be put back into the form or trained again; its name says which dataset."""

from __future__ import annotations

from PySide6.QtCore import Qt

from workbench.gui.jobs import JobState
from workbench.gui.main_window import TAB_MODEL

from .conftest import click_item, wait_idle


def _train_logistic(qtbot, window) -> str:
    window.tabs.setCurrentIndex(TAB_MODEL)
    window.roles.target_combo.setCurrentIndex(window.roles.target_combo.findData("label"))
    window.model_form.select_algorithm("logistic_regression")
    window.model_form.param_form.fields["C"].set_value(0.5)
    window.model_form.param_form.changed.emit()
    window.roles.seed.setValue(11)
    job_id = window.model_form.train()
    assert job_id is not None, window.model_form.error.text()
    wait_idle(qtbot, window.jobs)
    entry = window.jobs.entry(job_id)
    assert entry.state == JobState.COMPLETED, entry.error
    # The tree lists the finished run a moment after the job's end, in a turn of its own.
    qtbot.waitUntil(lambda: window.tree.item_for("run", entry.job.run_id) is not None, timeout=2000)
    return entry.job.run_id


def test_run_names_carry_the_dataset(qtbot, window):
    run_id = _train_logistic(qtbot, window)
    item = window.tree.item_for("run", run_id)
    assert item.text(0).startswith("logistic_regression · customers · ")
    # The Results tab shows the finished run when the person looks at it
    # (a hidden Results view draws nothing at the end of a run).
    window.tabs.setCurrentWidget(window.results)
    qtbot.waitUntil(lambda: window.results.header.text() == item.text(0), timeout=5000)


def test_load_settings_and_run_again_from_results(qtbot, window):
    run_id = _train_logistic(qtbot, window)
    # The person moves on: another algorithm, another seed, another dataset.
    window.model_form.select_algorithm("random_forest")
    window.roles.seed.setValue(3)
    click_item(qtbot, window.tree.tree, window.tree.item_for("dataset", "houses"))
    qtbot.waitUntil(lambda: window.session.dataset == "houses" and window.session.frame is not None, timeout=20000)

    # Back to the run: its settings come back into the form, on its dataset.
    click_item(qtbot, window.tree.tree, window.tree.item_for("run", run_id))
    assert window.results.record.run_id == run_id
    qtbot.mouseClick(window.results.load_settings_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.dataset == "customers" and window.session.frame is not None
                    and window.model_form.algorithm_combo.currentData() == "logistic_regression", timeout=20000)
    assert window.tabs.currentIndex() == TAB_MODEL
    assert window.roles.target_combo.currentData() == "label"
    assert window.roles.seed.value() == 11
    assert window.model_form.param_form.fields["C"].value() == 0.5

    # Run again: the same spec trains once more, as a new run.
    qtbot.mouseClick(window.results.run_again_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window.jobs)
    runs = [r for r in window.project.runs() if r.run_id != run_id]
    assert len(runs) == 1 and runs[0].status == "completed"
    old, new = window.project.run(run_id).spec, runs[0].spec
    assert (new.dataset, new.algorithm, new.params, new.seed) == (old.dataset, old.algorithm, old.params, old.seed)
