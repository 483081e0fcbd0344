"""Runs compared side by side: one row per run, one column per metric.

A QStandardItemModel is enough here (a project has tens of runs, not
millions); numbers sort numerically.  Selecting a row emits
``runSelected(run_id)``; Ctrl+C copies the selection as TSV.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .icons import state_icon
from .project_model import ProjectModel, display_label
from .results import make_table, number_item, text_item

FIXED_COLUMNS = ["Run", "Status", "Algorithm", "Task", "Dataset", "Created", "Seconds"]
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 2


class RunsTable(QWidget):
    runSelected = Signal(str)

    def __init__(self, project: ProjectModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.view, self.model = make_table(FIXED_COLUMNS)
        self.view.setSelectionBehavior(self.view.SelectionBehavior.SelectRows)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.only_completed = QCheckBox("Completed runs only")
        self.only_completed.toggled.connect(lambda _c: self.refresh())
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.only_completed)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        project.runsChanged.connect(self.refresh)
        project.projectChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        records = []
        for record in self.project.runs():
            try:
                status = record.status
                result = record.result or {}
                metrics = record.metrics or {}
            except Exception:  # noqa: BLE001 - a corrupt run is listed as failed
                status, result, metrics = "failed", {}, {}
            if self.only_completed.isChecked() and status != "completed":
                continue
            records.append((record, status, result, metrics))
        names: list[str] = []
        for _r, _s, _res, metrics in records:
            for k, v in metrics.items():
                if k not in names and isinstance(v, (int, float)):
                    names.append(k)
        sort_column = self.view.horizontalHeader().sortIndicatorSection()
        sort_order = self.view.horizontalHeader().sortIndicatorOrder()
        self.model.clear()
        self.model.setHorizontalHeaderLabels(FIXED_COLUMNS + names)
        for record, status, result, metrics in records:
            try:
                dataset = record.spec.dataset
            except Exception:  # noqa: BLE001
                dataset = "?"
            label = text_item(display_label(record))
            label.setData(record.run_id, RUN_ID_ROLE)
            label.setToolTip(record.run_id)
            state = text_item(status)
            state.setIcon(state_icon(status))
            created = datetime.fromtimestamp(record.created)
            created_item = text_item(created.strftime("%Y-%m-%d %H:%M:%S"))
            row = [label, state, text_item(record.algorithm), text_item(result.get("task") or ""),
                   text_item(dataset), created_item, number_item((result.get("timings") or {}).get("total_s"))]
            row += [number_item(metrics.get(n)) for n in names]
            self.model.appendRow(row)
        if 0 <= sort_column < self.model.columnCount():
            self.view.sortByColumn(sort_column, sort_order)
        self.summary.setText(f"{len(records)} runs" if records else "No runs yet")

    def metric_columns(self) -> list[str]:
        return [self.model.headerData(c, Qt.Orientation.Horizontal) for c in
                range(len(FIXED_COLUMNS), self.model.columnCount())]

    def run_ids(self) -> list[str]:
        """Run ids in the order shown (tests check sorting)."""
        return [self.model.item(r, 0).data(RUN_ID_ROLE) for r in range(self.model.rowCount())]

    def _row_changed(self, current, _previous) -> None:
        if current.isValid():
            run_id = self.model.item(current.row(), 0).data(RUN_ID_ROLE)
            if run_id:
                self.runSelected.emit(run_id)
