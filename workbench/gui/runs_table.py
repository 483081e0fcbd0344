"""The Runs tab: every run and every search's best trial in one leaderboard.

Rows come from the engine's :func:`workbench.engine.leaderboard` (the same
ranking as ``workbench leaderboard``), with runs that did not complete listed
too, unranked.  "Rank by" picks the metric that ranks the rows, in that
metric's own direction (``metric_direction``: accuracy up, rmse down).

A QStandardItemModel is enough here (a project has tens of runs, not
millions).  Every numeric column sorts numerically, and its *first* header
click sorts best first (Qt's ``InitialSortOrderRole``); missing values sort
last in that order.  Selecting a run row emits ``runSelected(run_id)``, a
search row ``tuneSelected(tune_id)``; Ctrl+C copies the selection as TSV.
"""

from __future__ import annotations

import math
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QStandardItem
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QMenu, QVBoxLayout, QWidget

from workbench.gui.icons import icon, state_icon
from workbench.gui.project_model import ProjectModel, display_label
from workbench.gui.widgets import SORT_ROLE, fmt_number, make_table, text_item

LEAD_COLUMNS = ["Rank", "Kind", "Run"]  # then the ranking metric (and its CV), then:
INFO_COLUMNS = ["Status", "Algorithm", "Key parameters", "Scored on"]  # then the other metrics
TAIL_COLUMNS = ["Task", "Dataset", "Created", "Seconds"]
CV_PREFIX = "CV "
ROW_KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # (kind, id) on each row's first cell
PARAMS_TEXT_LIMIT = 40


def number_cell(value: Any, direction: str = "max", text: str | None = None) -> QStandardItem:
    """A right-aligned number that sorts numerically; missing sorts last best-first.

    ``direction`` is the column's better way ("max": higher is better, sorted
    descending first), so a missing value gets the sort key of the worst
    possible number and never tops the column.
    """
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    item = QStandardItem(text if text is not None else fmt_number(value if numeric else None))
    missing = float("-inf") if direction == "max" else float("inf")
    item.setData(float(value) if numeric else missing, SORT_ROLE)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def short_params(params: dict[str, Any]) -> tuple[str, str]:
    """``(short text, full text)`` of the non-default parameters of a row."""
    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    full = ", ".join(f"{k}={fmt(v)}" for k, v in params.items()) or "defaults"
    short = full if len(full) <= PARAMS_TEXT_LIMIT else full[: PARAMS_TEXT_LIMIT - 1] + "…"
    return short, full


def _direction(metric: str) -> str:
    from workbench.engine import metric_direction

    return metric_direction(metric)


class RunsTable(QWidget):
    """Leaderboard of the project's runs and searches (see module docstring)."""

    runSelected = Signal(str)
    tuneSelected = Signal(str)
    loadSettingsRequested = Signal(str)  # run id: put its settings into the Model tab
    runAgainRequested = Signal(str)  # run id: train its spec again
    lifecycleRequested = Signal(str, str)  # (serve | drift | retrain, run id)

    def __init__(self, project: ProjectModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.rows: list[dict[str, Any]] = []
        self.rank_metric = ""
        self.view, self.model = make_table(LEAD_COLUMNS + INFO_COLUMNS + TAIL_COLUMNS)
        self.view.setSelectionBehavior(self.view.SelectionBehavior.SelectRows)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.rank_metric_combo = QComboBox()
        self.rank_metric_combo.setMinimumWidth(150)
        self.rank_metric_combo.setToolTip("The metric that ranks the rows (in its own direction)")
        self.rank_metric_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.direction_hint = QLabel()
        self.direction_hint.setObjectName("hint")
        self.only_completed = QCheckBox("Completed only")
        self.only_completed.setToolTip("Hide runs that failed, were cancelled or are still running "
                                       "(a search's best is a completed trial and stays)")
        self.only_completed.toggled.connect(lambda _c: self.refresh())
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Rank by:"))
        bar.addWidget(self.rank_metric_combo)
        bar.addWidget(self.direction_hint)
        bar.addSpacing(16)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.only_completed)
        # Runs side by side: filter by dataset/target; 2+ selected rows -> diff and curves.
        from PySide6.QtWidgets import QSplitter

        from workbench.gui.runs_compare import RunFilter, RunsDiff

        self.run_filter = RunFilter()
        self.run_filter.changed.connect(self._apply_filter)
        self.diff = RunsDiff()
        self.view.setSelectionMode(self.view.SelectionMode.ExtendedSelection)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.diff)
        split.setSizes([500, 260])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.run_filter)
        layout.addWidget(split, 1)
        # Rebuilt when seen: every job's start and end changes the runs, and a
        # rebuild (read the board, re-measure the header) is GUI-thread time
        # taken from the fit a person is watching on another tab.
        self._stale = False
        project.runsChanged.connect(self._runs_changed)
        project.projectChanged.connect(self._runs_changed)
        self.refresh()

    def _runs_changed(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self._fresh()

    def _fresh(self) -> None:
        """Rebuild now if the runs changed while the table was not shown."""
        if self._stale:
            self.refresh()

    # -- reading --------------------------------------------------------------------
    def _board(self) -> list[dict[str, Any]]:
        from workbench.engine import WorkbenchError, leaderboard

        if not self.project.is_open:
            return []
        chosen = self.rank_metric_combo.currentData() or None
        completed_only = self.only_completed.isChecked()
        try:
            rows = leaderboard(self.project.project, metric=chosen, completed_only=completed_only)
            if chosen and not any(r["score"] is not None for r in rows):
                # A metric no row has (another project, or its runs deleted): the default.
                rows = leaderboard(self.project.project, completed_only=completed_only)
        except WorkbenchError as exc:
            self.summary.setText(str(exc))
            return []
        return rows

    def _details(self) -> dict[tuple[str, str], tuple[str, float | None, float | None]]:
        """(kind, id) -> (dataset, created, seconds): what the board rows do not carry."""
        from workbench.engine import WorkbenchError, list_tunes

        out: dict[tuple[str, str], tuple[str, float | None, float | None]] = {}
        if not self.project.is_open:
            return out
        for record in self.project.runs():
            try:
                result = record.result
                seconds = result.total_seconds if result else None
                out["run", record.run_id] = (record.spec.dataset, record.created, seconds)
            except (WorkbenchError, OSError):  # a broken run folder still gets its row
                out["run", record.run_id] = ("?", None, None)
        for tune in list_tunes(self.project.project):
            try:
                out["tune", tune.tune_id] = (tune.spec.get("run_spec", {}).get("dataset", "?"), tune.created, None)
            except (WorkbenchError, OSError):
                out["tune", tune.tune_id] = ("?", None, None)
        return out

    # -- drawing ---------------------------------------------------------------------
    def refresh(self) -> None:
        self._stale = False
        rows = self._board()
        self.rows = rows
        self.rank_metric = rows[0]["metric"] if rows else ""
        self._fill_metric_combo(rows)
        metric_names = self._metric_names(rows)
        # One CV column, beside the ranking metric's: CV of every metric would
        # double a table that already has ten metrics (the cell's tooltip lists them).
        has_cv = any(r["cv"] and self.rank_metric in r["cv"] for r in rows)
        cv_names = [self.rank_metric] if has_cv else []
        headers = (LEAD_COLUMNS + metric_names[:1] + [CV_PREFIX + m for m in cv_names] + INFO_COLUMNS
                   + metric_names[1:] + TAIL_COLUMNS)

        sort_name, sort_order = self._current_sort()
        self.model.clear()
        self.model.setHorizontalHeaderLabels(headers)
        # Header hints before the rows: each setHeaderData re-measured every
        # row of a ResizeToContents header (27 ms a call with 150 runs).
        self._set_header_hints(headers, metric_names, cv_names)
        details = self._details()
        for row in rows:
            self.model.appendRow(self._row_items(row, metric_names, cv_names, details))
        if sort_name in headers:
            self.view.sortByColumn(headers.index(sort_name), sort_order)
        else:
            self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # by rank
        self._set_summary(rows)
        if hasattr(self, "run_filter"):  # refresh() also runs before the filter exists
            self._apply_filter()

    def _metric_names(self, rows: list[dict[str, Any]]) -> list[str]:
        """Metrics of any row, the ranking one first, then in first-seen order."""
        names = [self.rank_metric] if self.rank_metric else []
        for row in rows:
            for name in list(row["metrics"]) + list(row["cv"] or {}):
                if name and name not in names:
                    names.append(name)
        return names

    def _fill_metric_combo(self, rows: list[dict[str, Any]]) -> None:
        self.rank_metric_combo.blockSignals(True)
        self.rank_metric_combo.clear()
        for name in self._metric_names(rows):
            self.rank_metric_combo.addItem(name, name)
        self.rank_metric_combo.setCurrentIndex(max(self.rank_metric_combo.findData(self.rank_metric), 0))
        self.rank_metric_combo.blockSignals(False)
        if self.rank_metric:
            better = "higher" if _direction(self.rank_metric) == "max" else "lower"
            self.direction_hint.setText(f"({better} is better)")
        else:
            self.direction_hint.setText("")

    def _row_items(self, row: dict[str, Any], metric_names: list[str], cv_names: list[str],
                   details: dict) -> list[QStandardItem]:
        kind, row_id = row["kind"], row["id"]
        dataset, created, seconds = details.get((kind, row_id), ("?", None, None))
        rank = number_cell(row["rank"], "min")
        rank.setData((kind, row_id), ROW_KEY_ROLE)
        kind_item = text_item("search" if kind == "tune" else "run")
        kind_item.setIcon(icon("search" if kind == "tune" else "run"))
        label = text_item(self._label(row, created, dataset))
        label.setToolTip(row_id)
        status = text_item(row["status"] or "")
        status.setIcon(state_icon(row["status"] or "queued"))
        params_short, params_full = short_params(row["params"])
        params = text_item(params_short)
        params.setToolTip(params_full)
        source = text_item({"test": "test rows", "cv": "CV (training part)"}.get(row["source"], row["source"]))
        info = [status, text_item(row["algorithm"] or "?"), params, source]
        metric_items = [number_cell(row["metrics"].get(m), _direction(m)) for m in metric_names]
        cv_items = []
        for m in cv_names:
            cell = number_cell(self._cv(row, m)[0], _direction(m), self._cv_text(row, m) or None)
            cell.setToolTip("\n".join(f"{k}: {cv_text}" for k in (row["cv"] or {})
                                       if (cv_text := self._cv_text(row, k))))
            cv_items.append(cell)
        items = [rank, kind_item, label] + metric_items[:1] + cv_items + info + metric_items[1:]
        when = text_item(f"{datetime.fromtimestamp(created):%Y-%m-%d %H:%M}" if created else "")
        when.setData(created or 0.0, SORT_ROLE)
        items += [text_item(row["task"] or ""), text_item(dataset), when, number_cell(seconds, "min")]
        return items

    @staticmethod
    def _cv(row: dict[str, Any], metric: str) -> tuple[float | None, float | None]:
        cv = (row["cv"] or {}).get(metric) or {}
        mean, std = cv.get("mean"), cv.get("std")
        return (mean if isinstance(mean, (int, float)) else None), (std if isinstance(std, (int, float)) else None)

    @classmethod
    def _cv_text(cls, row: dict[str, Any], metric: str) -> str:
        mean, std = cls._cv(row, metric)
        if mean is None:
            return ""
        return f"{mean:.4f} ± {std:.4f}" if std is not None else f"{mean:.4f}"

    @staticmethod
    def _label(row: dict[str, Any], created: float | None, dataset: str = "") -> str:
        if row["kind"] == "tune" or created is None:
            return row["label"]
        # Named like the project tree names the run.
        return display_label(SimpleNamespace(label=row["label"], run_id=row["id"], algorithm=row["algorithm"],
                                             created=created, dataset=dataset if dataset != "?" else ""))

    def _set_header_hints(self, headers: list[str], metric_names: list[str], cv_names: list[str]) -> None:
        """First click sorts best first; the ranking metric's header is bold."""
        directions = {"Rank": "min", "Seconds": "min", "Created": "max"}
        directions.update({m: _direction(m) for m in metric_names})
        directions.update({CV_PREFIX + m: _direction(m) for m in cv_names})
        bold = QFont()
        bold.setBold(True)
        for column, name in enumerate(headers):
            if name in directions:
                order = Qt.SortOrder.DescendingOrder if directions[name] == "max" else Qt.SortOrder.AscendingOrder
                self.model.setHeaderData(column, Qt.Orientation.Horizontal, order.value,
                                         Qt.ItemDataRole.InitialSortOrderRole)
            if name in (self.rank_metric, CV_PREFIX + self.rank_metric):
                self.model.setHeaderData(column, Qt.Orientation.Horizontal, bold, Qt.ItemDataRole.FontRole)

    def _current_sort(self) -> tuple[str, Qt.SortOrder]:
        header = self.view.horizontalHeader()
        section = header.sortIndicatorSection()
        name = self.model.headerData(section, Qt.Orientation.Horizontal) if 0 <= section < self.model.columnCount() \
            else None
        return str(name or ""), header.sortIndicatorOrder()

    def _set_summary(self, rows: list[dict[str, Any]]) -> None:
        runs = sum(r["kind"] == "run" for r in rows)
        tunes = len(rows) - runs
        if not rows:
            self.summary.setText("No runs yet")
            return
        text = f"{runs} run{'s' * (runs != 1)}"
        if tunes:
            text += f", {tunes} search best{'s' * (tunes != 1)}"
        if any(r["source"] == "cv" for r in rows):
            text += " — a search's score is its CV score; train its best to compare on test rows"
        self.summary.setText(text)

    # -- queries (tests, main window) ---------------------------------------------------
    def metric_columns(self) -> list[str]:
        """Test-metric column names in the order shown (the ranking metric first)."""
        self._fresh()
        fixed = set(LEAD_COLUMNS + INFO_COLUMNS + TAIL_COLUMNS)
        names = [self.model.headerData(c, Qt.Orientation.Horizontal) for c in range(self.model.columnCount())]
        return [n for n in names if n not in fixed and not n.startswith(CV_PREFIX)]

    def column(self, name: str) -> int:
        """Index of the column headed ``name`` (-1 if none)."""
        self._fresh()
        for c in range(self.model.columnCount()):
            if self.model.headerData(c, Qt.Orientation.Horizontal) == name:
                return c
        return -1

    def row_keys(self) -> list[tuple[str, str]]:
        """``(kind, id)`` of every row in the order shown."""
        self._fresh()
        return [tuple(self.model.item(r, 0).data(ROW_KEY_ROLE)) for r in range(self.model.rowCount())]

    def run_ids(self) -> list[str]:
        """Run ids in the order shown (search rows left out)."""
        return [row_id for kind, row_id in self.row_keys() if kind == "run"]

    def set_metric(self, name: str) -> None:
        """Rank by ``name`` (as choosing it in the combo does)."""
        self.rank_metric_combo.setCurrentIndex(self.rank_metric_combo.findData(name))

    def _context_menu(self, pos) -> None:
        from workbench.gui.run_actions import add_run_actions

        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        key = self.model.item(index.row(), 0).data(ROW_KEY_ROLE)
        if not key or key[0] != "run":
            return
        menu = QMenu(self)
        add_run_actions(menu, key[1], self.loadSettingsRequested, self.runAgainRequested)
        menu.addSeparator()
        from workbench.gui.lifecycle import add_lifecycle_actions

        add_lifecycle_actions(menu, key[1], self.lifecycleRequested)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def _apply_filter(self) -> None:
        """Hide rows of other datasets/targets than the filter's."""
        from workbench.gui.runs_compare import run_dataset_target

        where = run_dataset_target(self.project)
        self.run_filter.set_choices(list(where.values()))
        for r in range(self.model.rowCount()):
            key = self.model.item(r, 0).data(ROW_KEY_ROLE)
            dataset, target = where.get(tuple(key), ("", "")) if key else ("", "")
            self.view.setRowHidden(r, not self.run_filter.accepts(dataset, target))

    def visible_run_ids(self) -> list[str]:
        return [rid for r, (kind, rid) in enumerate(self.row_keys()) if kind == "run" and not self.view.isRowHidden(r)]

    def _selection_changed(self) -> None:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        keys = [self.model.item(r, 0).data(ROW_KEY_ROLE) for r in rows]
        run_ids = [k[1] for k in keys if k and k[0] == "run"]
        if len(run_ids) >= 2:
            self.diff.set_runs([self.project.run(rid) for rid in run_ids])

    def _row_changed(self, current, _previous) -> None:
        if not current.isValid():
            return
        key = self.model.item(current.row(), 0).data(ROW_KEY_ROLE)
        if key:
            kind, row_id = key
            (self.tuneSelected if kind == "tune" else self.runSelected).emit(row_id)
