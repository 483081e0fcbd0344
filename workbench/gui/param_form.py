"""A hyperparameter form generated from the catalog's ParamSpecs.

One field per ParamSpec: int -> bounded QSpinBox, float -> a text field
(learning rates and regularisation strengths span many decades, which a spin
box handles badly), bool -> QCheckBox, choice -> QComboBox; nullable
parameters get a "none" check box.  Every value is checked with
``ParamSpec.validate``/``parse`` — the same code the CLI uses — and a bad
value is marked inline with the engine's own message.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.widgets import ERROR_COLOR, ErrorLabel

INT_MAX = 2**31 - 1
_INVALID_STYLE = f"border: 1px solid {ERROR_COLOR}; border-radius: 3px; padding: 1px;"


def _format_float(value: float) -> str:
    """Short text when it round-trips (0.1, 1e-05), else every digit (a tuned value)."""
    text = f"{value:.6g}"
    return text if float(text) == value else repr(float(value))


class ParamField(QWidget):
    """The editor of one parameter, with its inline error message."""

    changed = Signal()

    def __init__(self, spec: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.error = ErrorLabel()
        self.none_box: QCheckBox | None = None
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        kind = spec.kind
        if kind == "bool":
            self.editor = QCheckBox()
            self.editor.toggled.connect(self._edited)
        elif kind == "choice":
            self.editor = QComboBox()
            for choice in spec.choices:
                self.editor.addItem("none" if choice is None else str(choice), choice)
            self.editor.currentIndexChanged.connect(self._edited)
        elif kind == "int":
            self.editor = QSpinBox()
            low = int(spec.low) if spec.low is not None else -INT_MAX
            high = int(min(spec.high, INT_MAX)) if spec.high is not None else INT_MAX
            self.editor.setRange(max(low, -INT_MAX), high)
            self.editor.setKeyboardTracking(True)
            self.editor.setAccelerated(True)
            self.editor.valueChanged.connect(self._edited)
        else:
            self.editor = QLineEdit()
            self.editor.textChanged.connect(self._edited)
        self.editor.setToolTip(self._tooltip())
        row.addWidget(self.editor, 1)
        if spec.nullable and kind != "choice":
            self.none_box = QCheckBox("none")
            self.none_box.setToolTip(f"No value for {spec.name} (e.g. unlimited)")
            self.none_box.toggled.connect(self._none_toggled)
            row.addWidget(self.none_box)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addLayout(row)
        outer.addWidget(self.error)
        self._valid = True
        self.set_value(spec.default)

    def _tooltip(self) -> str:
        s = self.spec
        parts = [s.help] if s.help else []
        if s.kind in ("int", "float"):
            lo = "−∞" if s.low is None else f"{s.low:g}"
            hi = "∞" if s.high is None else f"{s.high:g}"
            parts.append(f"Range: [{lo}, {hi}]" + (" (log scale)" if s.log else ""))
        parts.append(f"Default: {'none' if s.default is None else s.default}")
        return "\n".join(parts)

    # -- value ------------------------------------------------------------------
    def set_value(self, value: Any) -> None:
        blockers = [self.editor.blockSignals(True)]
        try:
            if self.none_box is not None:
                self.none_box.blockSignals(True)
                self.none_box.setChecked(value is None)
                self.none_box.blockSignals(False)
                self.editor.setEnabled(value is not None)
            kind = self.spec.kind
            if kind == "bool":
                self.editor.setChecked(bool(value))
            elif kind == "choice":
                index = self.editor.findData(value)
                self.editor.setCurrentIndex(max(index, 0))
            elif kind == "int":
                if value is not None:
                    self.editor.setValue(int(value))
            else:
                self.editor.setText("" if value is None else _format_float(float(value)))
        finally:
            self.editor.blockSignals(blockers[0])
        self._check()

    def raw(self) -> Any:
        """The value as typed (not validated)."""
        if self.none_box is not None and self.none_box.isChecked():
            return None
        kind = self.spec.kind
        if kind == "bool":
            return self.editor.isChecked()
        if kind == "choice":
            return self.editor.currentData()
        if kind == "int":
            return self.editor.value()
        return self.editor.text()

    def value(self) -> Any:
        """The validated value; raises the engine's SpecError when invalid."""
        raw = self.raw()
        if isinstance(raw, str):
            return self.spec.parse(raw)
        return self.spec.validate(raw)

    @property
    def valid(self) -> bool:
        return self._valid

    # -- feedback -----------------------------------------------------------------
    def _none_toggled(self, checked: bool) -> None:
        self.editor.setEnabled(not checked)
        if not checked and self.spec.kind == "float" and not self.editor.text():
            self.editor.setText(_format_float(self.spec.low if self.spec.low is not None else 0.0))
        self._edited()

    def _edited(self, *_args: Any) -> None:
        self._check()
        self.changed.emit()

    def _check(self) -> None:
        from workbench.engine import SpecError

        try:
            self.value()
        except SpecError as exc:
            self._valid = False
            self.error.show_message(str(exc))
            self.editor.setStyleSheet(_INVALID_STYLE)
        else:
            self._valid = True
            self.error.clear_message()
            self.editor.setStyleSheet("")


class ParamForm(QWidget):
    """All parameters of one algorithm for one task. ``validityChanged(bool)``."""

    validityChanged = Signal(bool)
    changed = Signal()

    def __init__(self, algorithm: Any, task: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.algorithm = algorithm
        self.task = task
        self.fields: dict[str, ParamField] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        specs = algorithm.params_for(task)
        if not specs:
            layout.addRow(QLabel("This algorithm has no parameters to set."))
        for spec in specs:
            field = ParamField(spec)
            label = QLabel(spec.name.replace("_", " ") + ":")
            label.setToolTip(field.editor.toolTip())
            field.changed.connect(self._field_changed)
            layout.addRow(label, field)
            self.fields[spec.name] = field
        self._valid = self.is_valid()

    def is_valid(self) -> bool:
        return all(f.valid for f in self.fields.values())

    def values(self) -> dict[str, Any]:
        """Validated values of every field; raises SpecError if one is invalid."""
        return {name: f.value() for name, f in self.fields.items()}

    def changed_values(self) -> dict[str, Any]:
        """Only the values that differ from the defaults (kept small in the spec)."""
        return {n: v for n, v in self.values().items() if v != self.fields[n].spec.default}

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in self.fields:
                self.fields[name].set_value(value)
        self._field_changed()

    def reset(self) -> None:
        for f in self.fields.values():
            f.set_value(f.spec.default)
        self._field_changed()

    def _field_changed(self) -> None:
        valid = self.is_valid()
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)
        self.changed.emit()
