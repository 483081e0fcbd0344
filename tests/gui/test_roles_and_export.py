"""Roles/preparation panel and the ONNX export dialog."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from workbench.gui.jobs import JobState
from workbench.gui.main_window import TAB_MODEL


def test_feature_checklist_and_preparation_end_up_in_the_spec(qtbot, window):
    window.tabs.setCurrentIndex(TAB_MODEL)
    roles = window.roles
    roles.target_combo.setCurrentIndex(roles.target_combo.findData("label"))
    names = [roles.features.item(i).text() for i in range(roles.features.count())]
    assert names == ["x1", "x2", "color", "amount"]
    # Untick "amount" like a person: focus its row and press space.
    roles.features.setCurrentRow(names.index("amount"))
    roles.features.setFocus()
    qtbot.keyClick(roles.features, Qt.Key.Key_Space)
    assert "amount" not in window.session.features
    assert roles.feature_count.text().startswith("3 of 4")
    # Preparation: set x2's imputation through the combo delegate.
    index = roles.prep_index("x2", "Impute")
    roles.prep_table.setCurrentIndex(index)  # opens the combo editor (current-changed trigger)
    editor = roles.prep_table.findChild(QComboBox)
    assert editor is not None and editor.findText("median") >= 0
    editor.setCurrentIndex(editor.findText("median"))
    editor.activated.emit(editor.currentIndex())  # the user picked it
    roles.test_size.setValue(0.3)
    roles.cv_folds.setValue(1)  # jumps over the meaningless single fold
    assert roles.cv_folds.value() == 2
    window.model_form.select_algorithm("logistic_regression")
    spec = window.session.build_spec()
    assert spec.target == "label"
    assert "amount" in spec.ignore and "amount" not in spec.features
    assert spec.preparation["x2"].impute == "median"
    assert spec.test_size == pytest.approx(0.3) and spec.cv == 2


def test_task_choice_filters_algorithms(qtbot, window):
    roles, form = window.roles, window.model_form
    roles.target_combo.setCurrentIndex(roles.target_combo.findData("amount"))
    roles.task_combo.setCurrentText("regression")
    keys = {form.algorithm_combo.itemData(i) for i in range(form.algorithm_combo.count())}
    assert "linear_regression" in keys and "logistic_regression" not in keys
    roles.task_combo.setCurrentText("clustering")
    keys = {form.algorithm_combo.itemData(i) for i in range(form.algorithm_combo.count())}
    assert "kmeans" in keys and "ridge" not in keys


def test_device_combo_only_for_gpu_capable_algorithms(window):
    form = window.model_form
    window.roles.target_combo.setCurrentIndex(window.roles.target_combo.findData("label"))
    form.select_algorithm("xgboost")
    assert form.algorithm_combo.currentData() == "xgboost"
    assert not form.device_combo.isHidden()
    form.select_algorithm("logistic_regression")
    assert form.device_combo.isHidden()


def test_export_dialog_writes_onnx_and_shows_parity_from_a_worker_process(qtbot, window):
    from workbench.engine import RunSpec, TrainJob

    job = TrainJob(window.project.root, RunSpec(dataset="customers", algorithm="logistic_regression",
                                                target="label", learning_curve=False))
    job.run()
    window.project.runs_updated()
    record = window.project.run(job.run_id)
    dialog = window.export_run(job.run_id)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    entry = window.jobs.entry(dialog.job_id)
    # An engine job in the app's worker pool, listed in the Jobs panel (issue 18).
    assert entry.runner.name == "process" and entry.job.kind == "export"
    titles = [window.jobs.index(r, 0).data() for r in range(window.jobs.rowCount())]
    assert f"Export {record.label} to ONNX" in titles
    qtbot.waitUntil(lambda: entry.state.finished, timeout=60000)
    assert entry.state == JobState.COMPLETED, entry.error
    assert (record.folder / "model.onnx").exists()
    assert "Wrote" in dialog.result.text()
    assert "agreement" in dialog.result.text().lower() or "parity" in dialog.result.text().lower()
