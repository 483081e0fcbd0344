"""Model form: algorithm choice, its generated parameter form, device, Train.

Takes the :class:`Session`; lists the catalog's algorithms for the session's
task and asks the session to start training.  Train stays disabled while a
parameter is invalid; errors from building the run spec appear under the
button.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.icons import icon
from workbench.gui.param_form import ParamForm
from workbench.gui.session import Session
from workbench.gui.widgets import ErrorLabel


class ModelForm(QWidget):
    """Algorithm + parameters + Train. Signal ``trainStarted(job_id)``."""

    trainStarted = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.param_form: ParamForm | None = None
        self._task = ""

        self.algorithm_combo = QComboBox()
        self.algorithm_combo.setMinimumWidth(160)
        self.algorithm_combo.currentIndexChanged.connect(self._algorithm_chosen)
        self.task_label = QLabel()
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("hint")
        self.caps_label = QLabel()
        self.caps_label.setObjectName("hint")
        self.caps_label.setWordWrap(True)  # a long list must not widen the form past a small screen
        self.device_combo = QComboBox()
        self.device_combo.addItems(["auto", "cpu", "cuda"])
        self.device_combo.setToolTip("Where XGBoost trains; 'auto' uses CUDA when a usable GPU is present.")
        self.device_combo.currentTextChanged.connect(self._device_chosen)
        self.device_label = QLabel("Device:")

        head = QFormLayout()
        head.addRow("Algorithm:", self.algorithm_combo)
        head.addRow("Task:", self.task_label)
        head.addRow(self.device_label, self.device_combo)
        head.addRow(self.description)
        head.addRow(self.caps_label)

        self.params_box = QGroupBox("Parameters")
        self.params_layout = QVBoxLayout(self.params_box)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.params_layout.addWidget(self.scroll)

        self.reset_button = QPushButton(icon("reset"), "Reset to defaults")
        self.reset_button.clicked.connect(self._reset)
        self.train_button = QPushButton(icon("train", "#ffffff"), "Train")
        self.train_button.setObjectName("primary")
        self.train_button.setToolTip("Train a model with these settings (Ctrl+Return)")
        self.train_button.setMinimumHeight(32)
        self.train_button.clicked.connect(self.train)
        self.error = ErrorLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        buttons.addWidget(self.train_button)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.params_box, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error)

        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.train,
                  context=Qt.ShortcutContext.WindowShortcut)
        QShortcut(QKeySequence("Ctrl+Enter"), self, activated=self.train,
                  context=Qt.ShortcutContext.WindowShortcut)
        session.taskChanged.connect(self._task_changed)
        session.datasetChanged.connect(lambda _name: self._update_train_enabled())
        session.frameLoaded.connect(self._update_train_enabled)
        session.formRestored.connect(self._form_restored)
        self._task_changed(session.resolved_task())

    # -- algorithms -----------------------------------------------------------------
    def _task_changed(self, task: str) -> None:
        if task == self._task and self.algorithm_combo.count():
            return
        self._task = task
        self.task_label.setText(task + ("  (inferred from the target)" if self.session.task_choice == "auto" else ""))
        from workbench.engine import algorithms

        # The session's algorithm (restored with the dataset's form) when the task has it.
        previous = self.session.algorithm or self.algorithm_combo.currentData()
        self.algorithm_combo.blockSignals(True)
        self.algorithm_combo.clear()
        for algo in algorithms(task):
            self.algorithm_combo.addItem(algo.name, algo.key)
        index = self.algorithm_combo.findData(previous)
        self.algorithm_combo.setCurrentIndex(index if index >= 0 else 0)
        self.algorithm_combo.blockSignals(False)
        self._algorithm_chosen()

    def select_algorithm(self, key: str) -> None:
        index = self.algorithm_combo.findData(key)
        if index >= 0:
            self.algorithm_combo.setCurrentIndex(index)

    def current_algorithm(self) -> Any:
        from workbench.engine import get_algorithm

        key = self.algorithm_combo.currentData()
        return get_algorithm(key) if key else None

    def _algorithm_chosen(self, *_args: Any) -> None:
        algo = self.current_algorithm()
        old = self.scroll.takeWidget()
        if old is not None:
            old.deleteLater()
        self.param_form = None
        if algo is None:
            self.description.setText("No algorithm for this task.")
            self._update_train_enabled()
            return
        self.description.setText(algo.description)
        caps = algo.capabilities
        notes = [text for flag, text in (
            (caps.iterative, "live curves"), (caps.early_stopping, "early stopping"),
            (caps.gpu, "GPU"), (caps.onnx, "ONNX export"), (caps.importances, "native importances"),
        ) if flag]
        self.caps_label.setText("Supports: " + ", ".join(notes) if notes else "")
        self.device_combo.setVisible(caps.gpu)
        self.device_label.setVisible(caps.gpu)
        self.param_form = ParamForm(algo, self._task)
        # Same algorithm as the session's (a restored form): keep its parameters.
        params = dict(self.session.params) if algo.key == self.session.algorithm else {}
        if params:
            self.param_form.set_values(params)
        self.param_form.validityChanged.connect(lambda _v: self._update_train_enabled())
        self.param_form.changed.connect(self._params_changed)
        self.scroll.setWidget(self.param_form)
        self.session.set_algorithm(algo.key, self.param_form.changed_values() if params else {})
        self._update_train_enabled()

    def _form_restored(self) -> None:
        """Show the algorithm, parameters and device of the form just restored."""
        s = self.session
        self.device_combo.blockSignals(True)
        self.device_combo.setCurrentText(s.device)
        self.device_combo.blockSignals(False)
        if not s.algorithm:
            # A fresh form: the task's first algorithm, not the previous dataset's.
            if self.algorithm_combo.currentIndex() != 0 and self.algorithm_combo.count():
                self.algorithm_combo.setCurrentIndex(0)
            elif self._form_is_for(self.algorithm_combo.currentData()):
                # That algorithm's form is built: its defaults, not a rebuild
                # (~7 ms of the GUI thread in the turn a dataset opens).
                self.param_form.reset()
                s.set_algorithm(self.algorithm_combo.currentData(), {})
                self._update_train_enabled()
            else:
                self._algorithm_chosen()
        elif self.algorithm_combo.currentData() != s.algorithm:
            self.select_algorithm(s.algorithm)  # rebuilds the form with the session's params
        elif self.param_form is not None and self.current_algorithm() is not None:
            params = dict(s.params)
            self.param_form.reset()
            self.param_form.set_values(params)
            s.params = self.param_form.changed_values()

    def _form_is_for(self, key: Any) -> bool:
        form = self.param_form
        return form is not None and bool(key) and form.algorithm.key == key and form.task == self._task

    def _params_changed(self) -> None:
        self.error.clear_message()
        if self.param_form is not None and self.param_form.is_valid():
            self.session.set_option("params", self.param_form.changed_values())
        self._update_train_enabled()

    def _device_chosen(self, device: str) -> None:
        self.session.set_option("device", device)

    def _reset(self) -> None:
        if self.param_form is not None:
            self.param_form.reset()

    def _update_train_enabled(self) -> None:
        ok = (
            self.param_form is not None
            and self.param_form.is_valid()
            and self.session.frame is not None
        )
        self.train_button.setEnabled(ok)
        if self.param_form is not None and not self.param_form.is_valid():
            self.train_button.setToolTip("Fix the parameters marked in red first.")
        elif self.session.frame is None:
            self.train_button.setToolTip("Select a dataset first.")
        else:
            self.train_button.setToolTip("Train a model with these settings (Ctrl+Return)")

    # -- training ----------------------------------------------------------------------
    def train(self) -> int | None:
        """Build the run spec and queue a training job; shows errors inline."""
        from workbench.engine import WorkbenchError

        if not self.train_button.isEnabled():
            return None
        self.error.clear_message()
        try:
            self.session.params = self.param_form.changed_values() if self.param_form else {}
            job_id = self.session.start_training()
        except WorkbenchError as exc:
            self.error.show_message(str(exc))
            return None
        self.trainStarted.emit(job_id)
        return job_id
