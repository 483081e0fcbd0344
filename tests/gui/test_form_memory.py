"""The Model tab remembers its settings per dataset, in the project folder."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from workbench.gui.main_window import TAB_MODEL, MainWindow

from .conftest import click_item


def _open_dataset(qtbot, window, name: str) -> None:
    item = window.tree.item_for("dataset", name)
    click_item(qtbot, window.tree.tree, item)
    qtbot.waitUntil(lambda: window.session.dataset == name and window.session.frame is not None
                    and not window.session.profiling, timeout=20000)


def _set_up_customers(qtbot, window) -> None:
    roles, form = window.roles, window.model_form
    window.tabs.setCurrentIndex(TAB_MODEL)
    roles.target_combo.setCurrentIndex(roles.target_combo.findData("label"))
    form.select_algorithm("random_forest")
    form.param_form.fields["n_estimators"].set_value(37)
    form.param_form.changed.emit()
    roles.cv_folds.setValue(5)
    roles.seed.setValue(7)
    feature = roles.features.findItems("amount", Qt.MatchFlag.MatchExactly)[0]
    feature.setCheckState(Qt.CheckState.Unchecked)
    # Per-column preparation through the table's combo editor, as a person picks it.
    roles.prep_table.setCurrentIndex(roles.prep_index("x2", "Impute"))
    editor = roles.prep_table.findChild(QComboBox)
    editor.setCurrentIndex(editor.findText("median"))
    editor.activated.emit(editor.currentIndex())


def test_settings_stay_with_their_dataset_and_survive_reopening(qtbot, window, project_dir):
    s = window.session
    assert s.dataset == "customers"
    _set_up_customers(qtbot, window)
    assert s.cv == 5 and s.params == {"n_estimators": 37}

    _open_dataset(qtbot, window, "houses")
    # Nothing of customers' form leaks into houses: a fresh split, its own target.
    assert window.roles.cv_folds.value() == 0 and s.cv == 0
    assert window.roles.seed.value() == 0
    assert s.target == "price"
    assert s.algorithm != "random_forest" or s.params == {}

    _open_dataset(qtbot, window, "customers")
    window.tabs.setCurrentIndex(TAB_MODEL)  # where a person looks for them
    assert window.roles.target_combo.currentData() == "label"
    assert window.model_form.algorithm_combo.currentData() == "random_forest"
    assert window.model_form.param_form.fields["n_estimators"].value() == 37
    assert window.roles.cv_folds.value() == 5 and window.roles.seed.value() == 7
    assert "amount" not in s.features and "x1" in s.features
    assert s.preparation["x2"].impute == "median"
    assert window.roles.prep_model.itemFromIndex(window.roles.prep_index("x2", "Impute")).text() == "median"

    # The project folder holds it, readable: it survives closing the window.
    saved = json.loads((project_dir / "forms.json").read_text())
    assert saved["customers"]["algorithm"] == "random_forest"
    window.close()
    again = MainWindow(project_dir)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.session.frame is not None and not again.session.profiling, timeout=20000)
    try:
        assert again.session.dataset == "customers"
        assert again.model_form.algorithm_combo.currentData() == "random_forest"
        assert again.model_form.param_form.fields["n_estimators"].value() == 37
        assert again.roles.cv_folds.value() == 5
        assert "amount" not in again.session.features
        assert again.session.preparation["x2"].impute == "median"
    finally:
        again.shutdown()


def test_a_new_dataset_gets_a_guessed_target_and_says_so(qtbot, window):
    s = window.session
    # customers has a column named "label": the guess, shown as a guess.
    assert s.target == "label" and s.target_guessed
    window.tabs.setCurrentIndex(TAB_MODEL)
    assert window.roles.target_hint.isVisibleTo(window.roles)
    assert "Guessed" in window.roles.target_hint.text()
    assert s.resolved_task() == "classification"
    # Choosing a target ends the guess.
    window.roles.target_combo.setCurrentIndex(window.roles.target_combo.findData("x1"))
    assert not s.target_guessed and not window.roles.target_hint.isVisibleTo(window.roles)


def test_a_fresh_dataset_gets_the_defaults_in_the_form_already_built(qtbot, project_dir):
    # Opening a dataset never set up shows the task's first algorithm with its
    # defaults.  When that form is the one on screen, it is reset in place:
    # rebuilding every field cost ~7 ms of the GUI thread in the turn the
    # dataset's rows arrive.
    from workbench.engine import Project

    Project.open(project_dir).add_dataset(project_dir.parent / "src" / "customers.csv", name="more_customers")
    window = MainWindow(project_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session.dataset == "customers" and window.session.frame is not None
                    and not window.session.profiling, timeout=20000)
    form = window.model_form.param_form
    first = window.model_form.algorithm_combo.itemData(0)
    assert form.algorithm.key == first and window.session.algorithm == first
    name, field = next((n, f) for n, f in form.fields.items() if isinstance(f.spec.default, int)
                       and not isinstance(f.spec.default, bool))
    field.set_value(field.spec.default + 1)
    form.changed.emit()
    assert window.session.params == {name: field.spec.default + 1}

    _open_dataset(qtbot, window, "more_customers")
    assert window.model_form.param_form is form  # the same widgets
    assert field.value() == field.spec.default and window.session.params == {}
    assert window.session.algorithm == first
    _open_dataset(qtbot, window, "customers")  # and customers kept its own value
    assert window.model_form.param_form.fields[name].value() == field.spec.default + 1
    window.shutdown()
