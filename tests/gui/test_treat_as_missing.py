"""A profile warning's "Treat as missing" and "Balance classes", clicked as a person would."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from workbench.gui.inspector import WARNINGS_TAB
from workbench.gui.jobs import JobState
from workbench.gui.main_window import TAB_MODEL, MainWindow

SAMPLE = Path(__file__).resolve().parents[2] / "sample_projects" / "diabetes" / "data" / "diabetes.csv"


@pytest.fixture
def damaged_window(qtbot, tmp_path):
    """diabetes.csv with its header line pasted into the data, an imbalanced yes/no column, a duplicate row."""
    from workbench.engine import Project

    df = pd.read_csv(SAMPLE)
    bmi = df["bmi"].astype(str)
    bmi.iloc[30::60] = "bmi"
    df["bmi"] = bmi
    df.insert(0, "rare", np.where(np.arange(len(df)) % 40 == 0, "yes", "no"))
    df = pd.concat([df, df.iloc[:1]], ignore_index=True)  # and a duplicate row
    df.to_csv(tmp_path / "diabetes.csv", index=False)
    project = Project.init(tmp_path / "proj", name="p")
    project.add_dataset(tmp_path / "diabetes.csv")
    window = MainWindow(project.root)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session.profile is not None and not window.session.profiling, timeout=20000)
    yield window
    window.shutdown()


def _row(window, i: int):
    ins = window.inspector
    ins.tabs.setCurrentIndex(WARNINGS_TAB)  # the rows are drawn on their tab
    return ins.warning_list.itemWidget(ins.warning_list.item(i))


def _warning_row(window, words: str):
    ins = window.inspector
    ins.tabs.setCurrentIndex(WARNINGS_TAB)  # the rows are drawn on their tab
    for i in range(ins.warning_list.count()):
        if words in (ins.warning_list.item(i).data(Qt.ItemDataRole.UserRole + 1) or ""):
            return ins.warning_list.itemWidget(ins.warning_list.item(i))
    raise AssertionError(f"no warning with {words!r} in {ins.warning_texts()}")


def type_cell(qtbot, roles, column: str, text: str) -> None:
    """Type into ``column``'s Missing values cell and press Enter, as a person edits the table."""
    from PySide6.QtWidgets import QLineEdit

    table, index = roles.prep_table, roles.prep_index(column, "Missing values")
    table.setCurrentIndex(index.siblingAtColumn(0))  # the column's name: not editable
    table.setCurrentIndex(index)  # a cell that becomes current opens its editor
    qtbot.waitUntil(lambda: table.state() == table.State.EditingState, timeout=2000)
    editor = table.indexWidget(index)  # the open editor
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next turn of the event loop
    qtbot.waitUntil(lambda: roles.prep_table.state() != roles.prep_table.State.EditingState, timeout=2000)


def _model_tab_cell(window, column: str) -> str:
    """The Missing values cell of ``column`` as the Model tab shows it (then back to the Data tab)."""
    from workbench.gui.main_window import TAB_DATA

    roles = window.roles
    window.tabs.setCurrentIndex(TAB_MODEL)
    text = roles.prep_model.itemFromIndex(roles.prep_index(column, "Missing values")).text()
    window.tabs.setCurrentIndex(TAB_DATA)
    return text


def test_treat_as_missing_sets_the_columns_preparation_and_the_run_records_it(qtbot, damaged_window):
    window, s = damaged_window, damaged_window.session
    assert s.target == "progression"  # the last column, guessed
    row = _warning_row(window, "'bmi' is numbers read as text")
    button = row.missing_button
    assert button.text() == "Treat as missing"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert s.preparation["bmi"].missing_values == ["bmi"]
    assert button.text() == "Undo treat as missing"
    roles = window.roles
    assert _model_tab_cell(window, "bmi") == "bmi"  # the Model tab's preparation table shows it

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # undo
    assert "bmi" not in s.preparation and button.text() == "Treat as missing"
    assert _model_tab_cell(window, "bmi") == ""
    # Ignoring another warning rebuilds the rows: the new button works, the old rows are gone quietly.
    ignored = next(w for w in (_row(window, i) for i in range(window.inspector.warning_list.count()))
                   if w is not None and w.ignore_button is not None and w is not row)
    qtbot.mouseClick(ignored.ignore_button, Qt.MouseButton.LeftButton)
    button = _warning_row(window, "'bmi' is numbers read as text").missing_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert s.preparation["bmi"].missing_values == ["bmi"] and button.text() == "Undo treat as missing"

    # A value typed into the table is read like --prep; a bad one is said under it.
    window.tabs.setCurrentIndex(TAB_MODEL)
    type_cell(qtbot, roles, "bp", "[1, ")
    assert roles.prep_error.isVisible() and "not a valid JSON list" in roles.prep_error.text()
    assert "bp" not in s.preparation
    type_cell(qtbot, roles, "bp", "0")
    assert not roles.prep_error.isVisible() and s.preparation["bp"].missing_values == [0]

    window.model_form.select_algorithm("ridge")
    job_id = window.model_form.train()
    assert job_id is not None, window.model_form.error.text()
    qtbot.waitUntil(window.jobs.is_idle, timeout=60000)
    entry = [e for e in window.jobs.entries() if e.kind == "train"][-1]
    assert entry.state == JobState.COMPLETED, entry.error
    folder = window.project.root / "runs" / entry.job.run_id
    spec = json.loads((folder / "spec.json").read_text())
    assert spec["preparation"]["bmi"]["missing_values"] == ["bmi"]
    # and the form keeps it for the dataset, in the project folder
    s.save_form_now()
    forms = json.loads((window.project.root / "forms.json").read_text())
    assert forms["diabetes"]["preparation"]["bmi"]["missing_values"] == ["bmi"]


def test_balance_classes_where_the_algorithm_weighs_classes(qtbot, damaged_window):
    window, s = damaged_window, damaged_window.session
    window.tabs.setCurrentIndex(TAB_MODEL)
    window.roles.target_combo.setCurrentIndex(window.roles.target_combo.findData("rare"))
    qtbot.waitUntil(lambda: s.profile is not None and not s.profiling, timeout=20000)
    window.model_form.select_algorithm("knn")
    row = _warning_row(window, "is imbalanced")
    assert not row.balance_button.isEnabled()  # k-nearest neighbours has no class weights
    window.model_form.select_algorithm("logistic_regression")
    assert row.balance_button.isEnabled()
    qtbot.mouseClick(row.balance_button, Qt.MouseButton.LeftButton)
    assert s.params["class_weight"] == "balanced"
    assert window.model_form.param_form.changed_values()["class_weight"] == "balanced"
    # The button says it is done, and a second click undoes it (it used to stay "Balance classes").
    assert row.balance_button.text() == "Undo balance classes"
    qtbot.mouseClick(row.balance_button, Qt.MouseButton.LeftButton)
    assert "class_weight" not in s.params
    assert "class_weight" not in window.model_form.param_form.changed_values()
    assert row.balance_button.text() == "Balance classes"
