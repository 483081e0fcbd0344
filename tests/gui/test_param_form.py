"""The parameter form generated from the catalog's ParamSpecs."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from workbench.engine import algorithms
from workbench.gui.param_form import ParamForm

CASES = [(a, task) for a in algorithms() for task in a.tasks]


@pytest.mark.parametrize("algorithm,task", CASES, ids=[f"{a.key}-{t}" for a, t in CASES])
def test_form_for_every_algorithm_has_valid_defaults(qtbot, algorithm, task):
    form = ParamForm(algorithm, task)
    qtbot.addWidget(form)
    specs = algorithm.params_for(task)
    assert set(form.fields) == {p.name for p in specs}
    assert form.is_valid()
    # The defaults round-trip through the widgets unchanged.
    assert form.values() == algorithm.validate_params({}, task)
    assert form.changed_values() == {}
    for spec in specs:
        editor = form.fields[spec.name].editor
        expected = {"int": QSpinBox, "float": QLineEdit, "bool": QCheckBox, "choice": QComboBox}[spec.kind]
        assert isinstance(editor, expected)
        if spec.kind == "int" and spec.high is not None:
            assert editor.maximum() <= spec.high
        if spec.help:
            assert spec.help in editor.toolTip()


def _first(kind: str, nullable: bool | None = None):
    for algo, task in CASES:
        for spec in algo.params_for(task):
            if spec.kind == kind and (nullable is None or spec.nullable == nullable):
                return algo, task, spec
    raise AssertionError(f"no {kind} parameter in the catalog: the form's {kind} editor is untested")


def test_invalid_float_is_marked_inline_then_cleared(qtbot):
    algo, task, spec = _first("float")
    form = ParamForm(algo, task)
    qtbot.addWidget(form)
    form.show()
    field = form.fields[spec.name]
    states = []
    form.validityChanged.connect(states.append)
    field.editor.clear()
    qtbot.keyClicks(field.editor, "lots")
    assert not form.is_valid()
    assert field.error.isVisible()
    assert spec.name in field.error.text()
    assert "border" in field.editor.styleSheet()
    field.editor.clear()
    qtbot.keyClicks(field.editor, str(spec.default if spec.default is not None else spec.low))
    assert form.is_valid()
    assert not field.error.isVisible()
    assert field.editor.styleSheet() == ""
    assert states[0] is False and states[-1] is True


def test_nullable_int_has_a_none_box(qtbot):
    algo, task, spec = _first("int", nullable=True)
    form = ParamForm(algo, task)
    qtbot.addWidget(form)
    form.show()
    field = form.fields[spec.name]
    assert field.none_box is not None
    field.none_box.setChecked(True)
    assert form.values()[spec.name] is None
    assert not field.editor.isEnabled()
    field.none_box.setChecked(False)
    field.editor.setValue(7)
    assert form.values()[spec.name] == 7


def test_reset_to_defaults(qtbot):
    algo, task, spec = _first("choice")
    form = ParamForm(algo, task)
    qtbot.addWidget(form)
    combo = form.fields[spec.name].editor
    combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count())
    assert form.changed_values()
    form.reset()
    assert form.changed_values() == {}


def test_help_appears_as_tooltip_on_the_label(qtbot):
    algo, task, spec = next((a, t, p) for a, t in CASES for p in a.params_for(t) if p.help)
    form = ParamForm(algo, task)
    qtbot.addWidget(form)
    label = form.layout().labelForField(form.fields[spec.name])
    assert spec.help in label.toolTip()
