"""Jobs panel (bottom dock): every job with state, progress, elapsed, Cancel."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.cancel_confirm import ask_to_cancel
from workbench.gui.icons import icon
from workbench.gui.jobs import JobsModel


class ProgressDelegate(QStyledItemDelegate):
    """Paints an int 0..100 as a progress bar."""

    def paint(self, painter, option, index) -> None:
        value = index.data(Qt.ItemDataRole.DisplayRole)
        if value is None:
            return super().paint(painter, option, index)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(4, 4, -4, -4)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(value)
        bar.text = f"{int(value)}%"
        bar.textVisible = True
        bar.state = option.state
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class JobsPanel(QWidget):
    """A table over the JobsModel; each running or queued row has a Cancel button."""

    def __init__(self, jobs: JobsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.table = QTableView()
        self.table.setModel(jobs)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setItemDelegateForColumn(2, ProgressDelegate(self.table))
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 260)
        header.resizeSection(2, 160)
        header.resizeSection(3, 70)
        header.resizeSection(4, 90)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(jobs.clear_finished)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        jobs.rowsInserted.connect(self._rows_inserted)
        jobs.dataChanged.connect(self._data_changed)
        jobs.modelReset.connect(self._reset)

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        for row in range(first, last + 1):
            job_id = self.jobs.index(row, 0).data(Qt.ItemDataRole.UserRole)
            entry = self.jobs.entry(job_id)
            if entry.state.finished or entry.kind in self.jobs.TRANSIENT_KINDS:
                # Over in milliseconds: a button made for it (1-12 ms of a
                # dataset click) would be gone before anyone could press it.
                continue
            button = QToolButton()
            button.setIcon(icon("cancel"))
            button.setText("Cancel")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip("Cancel this job (Esc here cancels the newest running job)")
            button.setObjectName(f"cancel-job-{job_id}")
            button.clicked.connect(lambda _=False, j=job_id: ask_to_cancel(self, self.jobs, j))
            self.table.setIndexWidget(self.jobs.index(row, 4), button)
        self.table.scrollToBottom()

    def _data_changed(self, top_left, bottom_right, _roles=()) -> None:
        for row in range(top_left.row(), bottom_right.row() + 1):
            index = self.jobs.index(row, 4)
            job_id = self.jobs.index(row, 0).data(Qt.ItemDataRole.UserRole)
            # Remove (not hide) the button of a finished job: the view re-shows
            # hidden index widgets whenever it lays them out.
            if self.table.indexWidget(index) is not None and self.jobs.entry(job_id).state.finished:
                self.table.setIndexWidget(index, None)

    def _reset(self) -> None:
        self._rows_inserted(QModelIndex(), 0, self.jobs.rowCount() - 1)
        if self.jobs.rowCount():
            self._data_changed(self.jobs.index(0, 0), self.jobs.index(self.jobs.rowCount() - 1, 0))

    def cancel_button(self, job_id: int) -> QToolButton | None:
        """The Cancel button of a job's row (tests click it like a person)."""
        for row in range(self.jobs.rowCount()):
            if self.jobs.index(row, 0).data(Qt.ItemDataRole.UserRole) == job_id:
                return self.table.indexWidget(self.jobs.index(row, 4))
        return None
