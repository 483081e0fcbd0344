"""The "Try one row" form: one field per feature, the prediction updates as you type.

Fields start at a typical row (median numbers, most frequent categories).
Each change is predicted on a short-lived daemon thread, never on the GUI
thread; only the newest request's answer is shown, and a timer collects it
(no Qt object crosses threads, and no executor has to be shut down when the
widget goes: a ``destroyed`` hook touching Python state crashed PySide under
garbage collection).
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

# Wait this long after the last keystroke before predicting (typing "123" is one request).
DEBOUNCE_MS = 150
POLL_MS = 30
MAX_CHOICES = 50  # categories offered in a field's drop-down


def _parse(text: str, kind: str) -> Any:
    """A field's text as the value the model reads (blank = missing)."""
    text = text.strip()
    if text == "":
        return None
    if kind == "numeric":
        try:
            return float(text)
        except ValueError:
            return text  # the input check names it
    return text


class TryRowForm(QWidget):
    """Signals: ``predicted(text)`` whenever a new answer is shown."""

    predicted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.predictor: Any = None
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        self._kinds: dict[str, str] = {}
        # The newest (generation, text) answer. A plain holder, not an attribute
        # of this widget: a worker holding the widget could drop its last
        # reference and delete a QWidget off the GUI thread.
        self._answer = _Answer()
        self._generation = 0
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._submit)
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._collect)

        self.result_label = QLabel("Pick a model to try single rows.")
        self.result_label.setWordWrap(True)
        self.result_label.setStyleSheet("font-weight: bold; padding: 4px;")
        # Never squeezed below its text by the fields' scroll area.
        self.result_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(280)
        self._form_host = QWidget()
        self._form = QFormLayout(self._form_host)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._form_host)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.result_label)
        lay.addWidget(scroll, 1)

    def set_model(self, predictor: Any, defaults: dict[str, Any], choices: dict[str, list[Any]] | None = None) -> None:
        """One field per feature of ``predictor``, prefilled with ``defaults``."""
        self.predictor = predictor
        while self._form.rowCount():
            self._form.removeRow(0)
        self.fields.clear()
        self._kinds = {f.name: f.kind for f in predictor.features}
        for f in predictor.features:
            value = defaults.get(f.name)
            text = "" if value is None else str(value)
            options = [str(v) for v in (choices or {}).get(f.name, [])][:MAX_CHOICES]
            if f.kind != "numeric" and options:
                field = QComboBox()
                field.setEditable(True)
                field.addItems(options)
                field.setCurrentText(text)
                field.currentTextChanged.connect(self._changed)
            else:
                field = QLineEdit(text)
                field.textChanged.connect(self._changed)
            field.setToolTip(f"{f.name} ({f.kind})")
            self.fields[f.name] = field
            self._form.addRow(f"{f.name}:", field)
        self._changed()

    def set_value(self, name: str, text: str) -> None:
        field = self.fields[name]
        if isinstance(field, QComboBox):
            field.setCurrentText(text)
        else:
            field.setText(text)

    def row(self) -> dict[str, Any]:
        out = {}
        for name, field in self.fields.items():
            text = field.currentText() if isinstance(field, QComboBox) else field.text()
            out[name] = _parse(text, self._kinds.get(name, "categorical"))
        return out

    # -- predicting off the GUI thread ------------------------------------------------
    def _changed(self, *_: Any) -> None:
        self._debounce.start()

    def _submit(self) -> None:
        if self.predictor is None:
            return
        self._generation += 1
        predictor, row, generation = self.predictor, self.row(), self._generation

        answer = self._answer
        threading.Thread(target=lambda: answer.offer(*_predict_one(predictor, row, generation)),
                         name="try-row", daemon=True).start()
        self._poll.start()

    def _collect(self) -> None:
        generation, text = self._answer.newest()
        if generation != self._generation:
            return  # not yet (an older answer never overwrites a newer one)
        self._poll.stop()
        self.result_label.setText(text)
        self.predicted.emit(text)


class _Answer:
    """The newest answer of the worker threads (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[int, str] = (0, "")

    def offer(self, generation: int, text: str) -> None:
        with self._lock:
            if generation > self._value[0]:
                self._value = (generation, text)

    def newest(self) -> tuple[int, str]:
        with self._lock:
            return self._value


def _predict_one(predictor: Any, row: dict[str, Any], generation: int) -> tuple[int, str]:
    """Runs in the worker thread: the prediction (and probabilities) as text."""
    import pandas as pd

    from workbench.engine import WorkbenchError, predict_table

    try:
        table = predict_table(predictor, pd.DataFrame([row]), strict=True)
    except WorkbenchError as exc:
        return generation, f"Cannot predict: {exc}"
    except Exception as exc:  # a library's complaint about an odd value: show it, keep the form alive
        return generation, f"Cannot predict: {type(exc).__name__}: {exc}"
    frame = table.frame
    value = frame["prediction"].iloc[0]
    text = f"Prediction: {value:.6g}" if isinstance(value, float) else f"Prediction: {value}"
    probs = [(c[len("proba_"):], float(frame[c].iloc[0])) for c in table.probability_columns]
    if probs:
        text += "\n" + "  ".join(f"{label}: {p:.3f}" for label, p in sorted(probs, key=lambda x: -x[1]))
    notes = [n for n in table.check.notes if not n.startswith("Ignored")]
    return generation, text + ("\n" + " ".join(notes) if notes else "")
