"""Roles and preparation: target, task, features, per-column preparation, split.

Takes the :class:`Session` and writes every choice back into it.  The
per-column preparation table edits ``ColumnPrep`` overrides: its columns are
the engine's ``PREP_FIELDS`` (combo boxes for choices, text for the missing
values), read and checked by ``ColumnPrep.with_text`` as ``--prep`` is;
"auto" everywhere means "let the engine decide from the schema".
"""

from __future__ import annotations


from PySide6.QtCore import QModelIndex, QSize, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.engine import PREP_FIELDS
from workbench.gui.icons import icon
from workbench.gui.session import TASK_CHOICES, Session
from workbench.gui.widgets import ErrorLabel, shown_once

NO_TARGET = "(none — clustering)"
FORM_PREP_FIELDS = tuple(f for f in PREP_FIELDS if f.in_form)
PREP_COLUMNS = ("Column",) + tuple(f.label for f in FORM_PREP_FIELDS)


class ChoiceDelegate(QStyledItemDelegate):
    """Edits a cell with a combo box of the allowed values for its column."""

    def __init__(self, choices: dict[int, tuple[str, ...]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt API
        if index.column() not in self.choices:
            return super().createEditor(parent, option, index)  # free text
        combo = QComboBox(parent)
        combo.addItems(list(self.choices.get(index.column(), ())))
        combo.activated.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor, index):  # noqa: N802 - Qt API
        if not isinstance(editor, QComboBox):
            return super().setEditorData(editor, index)
        editor.setCurrentText(str(index.data()))

    def setModelData(self, editor, model, index):  # noqa: N802 - Qt API
        if not isinstance(editor, QComboBox):
            return super().setModelData(editor, model, index)
        model.setData(index, editor.currentText())


class RolesPanel(QWidget):
    """Left half of the Model tab."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._updating = False
        self._stale = False  # the lists wait to be seen (see _frame_loaded)

        # -- target and task ----------------------------------------------------
        self.target_combo = QComboBox()
        self.target_combo.setMinimumWidth(140)
        self.target_combo.currentIndexChanged.connect(self._target_chosen)
        self.task_combo = QComboBox()
        self.task_combo.addItems(list(TASK_CHOICES))
        self.task_combo.currentTextChanged.connect(session.set_task_choice)
        self.task_hint = QLabel()
        self.task_hint.setObjectName("hint")

        # -- split ---------------------------------------------------------------------
        self.test_size = QDoubleSpinBox()
        self.test_size.setRange(0.05, 0.5)
        self.test_size.setSingleStep(0.05)
        self.test_size.setValue(session.test_size)
        self.test_size.setToolTip("Fraction of rows held out for the final evaluation")
        self.test_size.valueChanged.connect(lambda v: session.set_option("test_size", float(v)))
        self.validation_fraction = QDoubleSpinBox()
        self.validation_fraction.setRange(0.05, 0.45)
        self.validation_fraction.setSingleStep(0.05)
        self.validation_fraction.setValue(session.validation_fraction)
        self.validation_fraction.valueChanged.connect(
            lambda v: session.set_option("validation_fraction", float(v)))
        self.cv_folds = QSpinBox()
        self.cv_folds.setRange(0, 20)
        self.cv_folds.setSpecialValueText("none")
        self.cv_folds.setToolTip("k-fold cross-validation on the training part (0 = none, else at least 2)")
        self.cv_folds.valueChanged.connect(self._cv_changed)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed for the split and the model (same seed, same result)")
        self.seed.valueChanged.connect(lambda v: session.set_option("seed", int(v)))

        # "guessed" beside a target nobody chose (a new dataset), until one is chosen.
        self.target_hint = QLabel()
        self.target_hint.setObjectName("hint")
        self.target_hint.setWordWrap(True)

        roles_box = QGroupBox("Target and split")
        form = QFormLayout(roles_box)
        form.addRow("Target:", self.target_combo)
        form.addRow("", self.target_hint)
        form.addRow("Task:", self.task_combo)
        form.addRow("", self.task_hint)
        form.addRow("Test size:", self.test_size)
        form.addRow("Validation:", self.validation_fraction)
        form.addRow("CV folds:", self.cv_folds)
        form.addRow("Seed:", self.seed)

        # -- features ----------------------------------------------------------------------
        self.features = QListWidget()
        self.features.setIconSize(QSize(16, 16))
        self.features.itemChanged.connect(self._feature_toggled)
        all_button = QPushButton("All")
        none_button = QPushButton("None")
        all_button.clicked.connect(lambda: self._check_all(True))
        none_button.clicked.connect(lambda: self._check_all(False))
        self.feature_count = QLabel()
        features_box = QGroupBox("Features")
        fl = QVBoxLayout(features_box)
        row = QHBoxLayout()
        row.addWidget(self.feature_count, 1)
        row.addWidget(all_button)
        row.addWidget(none_button)
        fl.addLayout(row)
        fl.addWidget(self.features)

        # -- preparation ------------------------------------------------------------------------
        self.prep_model = QStandardItemModel(0, len(PREP_COLUMNS))
        self.prep_model.setHorizontalHeaderLabels(list(PREP_COLUMNS))
        for i, f in enumerate(FORM_PREP_FIELDS, start=1):
            self.prep_model.horizontalHeaderItem(i).setToolTip(f.help)
        self.prep_model.itemChanged.connect(self._prep_changed)
        self.prep_table = QTableView()
        self.prep_table.setModel(self.prep_model)
        self.prep_table.verticalHeader().hide()
        header = self.prep_table.horizontalHeader()
        # The settings are short words ("auto", "no"): sized to their header,
        # the column names get the rest (at 100 px each they were cut to "isl…").
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.prep_table.setItemDelegate(
            ChoiceDelegate({i: f.choices for i, f in enumerate(FORM_PREP_FIELDS, start=1) if f.choices}, self)
        )
        self.prep_table.setEditTriggers(
            QTableView.EditTrigger.CurrentChanged | QTableView.EditTrigger.DoubleClicked
            | QTableView.EditTrigger.SelectedClicked
        )
        prep_box = QGroupBox("Preparation (per column; 'auto' lets the engine decide)")
        pl = QVBoxLayout(prep_box)
        pl.addWidget(self.prep_table)
        self.prep_error = ErrorLabel()  # a bad value typed in the table, said where it was typed
        pl.addWidget(self.prep_error)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(features_box)
        split.addWidget(prep_box)
        layout = QVBoxLayout(self)
        layout.addWidget(roles_box)
        layout.addWidget(split, 1)

        session.frameLoaded.connect(self._frame_loaded)
        session.datasetChanged.connect(lambda _n: self._frame_loaded())
        session.rolesChanged.connect(self._roles_changed)
        session.taskChanged.connect(self._task_changed)
        session.algorithmChanged.connect(lambda _key: self._algorithm_changed())
        session.formRestored.connect(self._form_restored)
        self._frame_loaded()
        self._algorithm_changed()

    # -- session -> widgets ------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale:
            self._frame_loaded()

    def _frame_loaded(self) -> None:
        # Filled when seen: a dataset's frame arrives while its Data tab
        # shows, and refilling the roles lists then (~9 ms for 50 columns)
        # made the arrival's one turn longer (bench/gui_responsiveness.py).
        self._stale = not self.isVisible()
        if self._stale:
            return
        self._updating = True
        self.target_combo.clear()
        self.target_combo.addItem(NO_TARGET, None)
        for column in self.session.columns():
            kind = self.session.column_kind(column) or "numeric"
            self.target_combo.addItem(icon(f"kind-{kind}"), column, column)
        self._updating = False
        self._roles_shown = (None, None)  # the combo was refilled: its choice is set again
        self._roles_changed()

    def _roles_changed(self) -> None:
        if self._stale:
            return  # all of it when seen
        s = self.session
        columns = tuple((c, s.column_kind(c)) for c in s.columns())
        prep = tuple(sorted((c, repr(p)) for c, p in s.preparation.items()))
        if shown_once(self, "_roles_shown", s.frame, columns, s.target, s.target_guessed, tuple(s.features), prep,
                      self.target_combo.count()):
            return  # the same roles (a dataset's frame, then its form, in one turn)
        self._updating = True
        try:
            index = self.target_combo.findData(s.target) if s.target else 0
            self.target_combo.setCurrentIndex(max(index, 0))
            self.target_hint.setText(
                f"Guessed from the column names — is '{s.target}' what you want to predict?"
                if s.target_guessed and s.target else "")
            self.target_hint.setVisible(bool(self.target_hint.text()))
            self.features.clear()
            for column in s.columns():
                if column == s.target:
                    continue
                kind = s.column_kind(column) or "numeric"
                item = QListWidgetItem(icon(f"kind-{kind}"), column)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if column in s.features else Qt.CheckState.Unchecked)
                item.setToolTip(f"{kind}" + (" — ignored by default (id/text)" if kind in ("id", "text") else ""))
                self.features.addItem(item)
            self.feature_count.setText(f"{len(s.features)} of {max(len(s.columns()) - (1 if s.target else 0), 0)} used")
            self._fill_prep()
        finally:
            self._updating = False

    def _fill_prep(self) -> None:
        s = self.session
        self.prep_model.removeRows(0, self.prep_model.rowCount())
        from workbench.engine import ColumnPrep

        for column in s.features:
            prep = s.preparation.get(column) or ColumnPrep()
            items = [QStandardItem(column)] + [QStandardItem(prep.text(f.name)) for f in FORM_PREP_FIELDS]
            for item, f in zip(items[1:], FORM_PREP_FIELDS):
                item.setToolTip(f.help)
            kind = s.column_kind(column) or "numeric"
            items[0].setIcon(icon(f"kind-{kind}"))
            items[0].setEditable(False)
            self.prep_model.appendRow(items)

    def _form_restored(self) -> None:
        """Show the split, CV, seed and task of the form just restored."""
        s = self.session
        for widget, value in ((self.test_size, s.test_size), (self.validation_fraction, s.validation_fraction),
                              (self.cv_folds, s.cv), (self.seed, s.seed)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.task_combo.blockSignals(True)
        self.task_combo.setCurrentText(s.task_choice)
        self.task_combo.blockSignals(False)
        self._task_changed(s.resolved_task())

    def _task_changed(self, task: str) -> None:
        auto = self.session.task_choice == "auto"
        self.task_hint.setText(f"→ {task}" if auto else "")

    def _algorithm_changed(self) -> None:
        iterative = self.session.algorithm_is_iterative()
        self.validation_fraction.setEnabled(iterative)
        self.validation_fraction.setToolTip(
            "Fraction of the training rows held out for the live validation curve and early stopping"
            if iterative else "Only learners that train in iterations (boosting, MLP, SGD…) use a validation part"
        )

    # -- widgets -> session ----------------------------------------------------------
    def _target_chosen(self, _index: int) -> None:
        if self._updating:
            return
        self.session.set_target(self.target_combo.currentData())

    def _cv_changed(self, value: int) -> None:
        # 1 fold is meaningless; jump over it in the direction of travel.
        if value == 1:
            value = 2 if self.session.cv == 0 else 0
            self.cv_folds.setValue(value)
            return
        self.session.set_option("cv", int(value))

    def _feature_toggled(self, _item: QListWidgetItem) -> None:
        if self._updating:
            return
        checked = [
            self.features.item(i).text() for i in range(self.features.count())
            if self.features.item(i).checkState() == Qt.CheckState.Checked
        ]
        self.session.set_features(checked)

    def _check_all(self, on: bool) -> None:
        s = self.session
        s.set_features([c for c in s.columns() if c != s.target] if on else [])

    def _prep_changed(self, item: QStandardItem) -> None:
        if self._updating or item.column() == 0:
            return
        from workbench.engine import ColumnPrep, SpecError

        column = self.prep_model.item(item.row(), 0).text()
        name = FORM_PREP_FIELDS[item.column() - 1].name
        current = self.session.preparation.get(column) or ColumnPrep()
        try:
            # One field changes; the others (clip, fill value from a loaded run) stay.
            prep = current.with_text(name, item.text(), column)
        except SpecError as exc:
            self.prep_error.show_message(str(exc))
            self._updating = True
            try:
                item.setText(current.text(name))
            finally:
                self._updating = False
            return
        self.prep_error.clear_message()
        self._updating = True
        try:
            self.session.preparation[column] = prep
            if prep == ColumnPrep():
                self.session.preparation.pop(column, None)
            item.setText(prep.text(name))  # as the engine reads it ("?,0" -> "?, 0")
        finally:
            self._updating = False
        self.session.form_edited()

    def prep_index(self, column: str, field: str) -> QModelIndex:
        """Index of ``field`` (a PREP_COLUMNS header: Impute, Missing values...) of ``column``."""
        for r in range(self.prep_model.rowCount()):
            if self.prep_model.item(r, 0).text() == column:
                return self.prep_model.index(r, PREP_COLUMNS.index(field))
        return QModelIndex()


