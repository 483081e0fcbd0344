"""Project tree (left dock): datasets, runs and exported models.

Takes the :class:`ProjectModel`; re-reads it when it signals a change.  Runs
show their state icon and headline metric ("accuracy 0.93").  Context menus
open, rename and delete (after confirmation); errors appear in a message box
next to what the user clicked, and the tree keeps working.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QInputDialog,
    QMenu,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.icons import icon, state_icon
from workbench.gui.project_model import ProjectModel, display_label

KIND_ROLE = Qt.ItemDataRole.UserRole
KEY_ROLE = Qt.ItemDataRole.UserRole + 1


def headline(record: Any) -> str:
    """"accuracy 0.93" for a run (a RunRecord or its overview): the metric ``workbench runs`` lists it by."""
    from workbench.engine import headline_of

    run = record.overview() if hasattr(record, "overview") else record
    found = headline_of(run.task, run.metrics or {}, run.headline)
    return f"{found[0]} {found[1]:.3g}" if found else ""


class ProjectTree(QWidget):
    """Signals: ``datasetActivated(name)``, ``runActivated(run_id)``,
    ``exportRequested(run_id)``, ``error(str)``."""

    datasetActivated = Signal(str)
    runActivated = Signal(str)
    exportRequested = Signal(str)
    loadSettingsRequested = Signal(str)  # run id
    runAgainRequested = Signal(str)  # run id
    lifecycleRequested = Signal(str, str)  # (serve | drift | retrain, run id)

    def __init__(self, project: ProjectModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setIndentation(14)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemClicked.connect(self._activated)
        self.datasets_root = self._section("Datasets", "dataset")
        self.runs_root = self._section("Runs", "run")
        self.models_root = self._section("Exported models", "model")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        project.datasetsChanged.connect(self.refresh_datasets)
        project.runsChanged.connect(self.refresh_runs)
        project.projectChanged.connect(self._project_changed)
        self._project_changed()

    def _section(self, title: str, ico: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([title])
        item.setIcon(0, icon(ico))
        item.setData(0, KIND_ROLE, "section")
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.addTopLevelItem(item)
        item.setExpanded(True)
        return item

    # -- content -------------------------------------------------------------------
    def _project_changed(self) -> None:
        self.refresh_datasets()
        self.refresh_runs()

    def refresh_datasets(self) -> None:
        self.datasets_root.takeChildren()
        for name, entry in self.project.datasets().items():
            size = f"{entry.rows:,} × {entry.columns}" if entry.rows is not None else ""
            item = QTreeWidgetItem([name, size])
            item.setIcon(0, icon("dataset"))
            item.setData(0, KIND_ROLE, "dataset")
            item.setData(0, KEY_ROLE, name)
            item.setToolTip(0, f"{entry.path}\nsha256 {entry.sha256[:16]}…")
            self.datasets_root.addChild(item)
        self.datasets_root.setExpanded(True)

    def refresh_runs(self) -> None:
        selected = self.selected_key()
        self.runs_root.takeChildren()
        self.models_root.takeChildren()
        for record in reversed([r.overview() for r in self.project.runs()]):  # newest first; each file read once
            status = record.status
            item = QTreeWidgetItem([display_label(record), headline(record)])
            item.setIcon(0, state_icon(status))
            item.setData(0, KIND_ROLE, "run")
            item.setData(0, KEY_ROLE, record.run_id)
            item.setToolTip(0, f"{record.run_id}\n{record.algorithm} — {status}")
            self.runs_root.addChild(item)
            if record.onnx_path is not None:
                model = QTreeWidgetItem([display_label(record), "model.onnx"])
                model.setIcon(0, icon("model"))
                model.setData(0, KIND_ROLE, "model")
                model.setData(0, KEY_ROLE, record.run_id)
                model.setToolTip(0, str(record.onnx_path))
                self.models_root.addChild(model)
            if record.run_id == selected:
                self.tree.setCurrentItem(item)
        self.runs_root.setExpanded(True)
        self.models_root.setExpanded(True)

    # -- selection ---------------------------------------------------------------------
    def selected_key(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, KEY_ROLE) if item is not None else None

    def item_for(self, kind: str, key: str) -> QTreeWidgetItem | None:
        root = {"dataset": self.datasets_root, "run": self.runs_root, "model": self.models_root}[kind]
        for i in range(root.childCount()):
            if root.child(i).data(0, KEY_ROLE) == key:
                return root.child(i)
        return None

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        kind, key = item.data(0, KIND_ROLE), item.data(0, KEY_ROLE)
        if kind == "dataset":
            self.datasetActivated.emit(key)
        elif kind in ("run", "model"):
            self.runActivated.emit(key)

    # -- context menu ----------------------------------------------------------------------
    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is None or item.data(0, KIND_ROLE) == "section":
            return
        kind, key = item.data(0, KIND_ROLE), item.data(0, KEY_ROLE)
        menu = QMenu(self)
        menu.addAction(icon("open"), "Open", lambda: self._activated(item))
        if kind == "dataset":
            menu.addAction(icon("rename"), "Rename…", lambda: self.rename_dataset(key))
            menu.addAction(icon("delete"), "Remove from project…", lambda: self.remove_dataset(key))
        else:
            from workbench.gui.run_actions import add_run_actions

            add_run_actions(menu, key, self.loadSettingsRequested, self.runAgainRequested)
            menu.addSeparator()
            export = menu.addAction(icon("export"), "Export to ONNX…", lambda: self.exportRequested.emit(key))
            export.setEnabled(self._can_export(key))
            from workbench.gui.lifecycle import add_lifecycle_actions

            add_lifecycle_actions(menu, key, self.lifecycleRequested, enabled=self._can_export(key))
            menu.addAction(icon("rename"), "Rename…", lambda: self.rename_run(key))
            menu.addAction(icon("delete"), "Delete run…", lambda: self.delete_run(key))
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def _can_export(self, run_id: str) -> bool:
        try:
            record = self.project.run(run_id)
            return record.status == "completed" and record.has_model
        except Exception:  # noqa: BLE001
            return False

    def _try(self, action, *args) -> bool:
        from workbench.engine import WorkbenchError

        try:
            action(*args)
        except WorkbenchError as exc:
            QMessageBox.warning(self, "Workbench", str(exc))
            return False
        return True

    def rename_dataset(self, name: str, new: str | None = None) -> bool:
        if new is None:
            new, ok = QInputDialog.getText(self, "Rename dataset", "New name:", text=name)
            if not ok or not new or new == name:
                return False
        return self._try(self.project.rename_dataset, name, new)

    def remove_dataset(self, name: str, confirm: bool = True) -> bool:
        if confirm and QMessageBox.question(
            self, "Remove dataset",
            f"Remove dataset '{name}' from the project?\nThe data file itself is kept on disk.",
        ) != QMessageBox.StandardButton.Yes:
            return False
        return self._try(self.project.remove_dataset, name)

    def rename_run(self, run_id: str, label: str | None = None) -> bool:
        if label is None:
            record = self.project.run(run_id)
            label, ok = QInputDialog.getText(self, "Rename run", "Label:", text=record.label)
            if not ok or not label:
                return False
        return self._try(self.project.rename_run, run_id, label)

    def delete_run(self, run_id: str, confirm: bool = True) -> bool:
        if confirm and QMessageBox.question(
            self, "Delete run", f"Delete run '{run_id}' and its model files? This cannot be undone.",
        ) != QMessageBox.StandardButton.Yes:
            return False
        return self._try(self.project.delete_run, run_id)
