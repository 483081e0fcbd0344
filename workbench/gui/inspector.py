"""Dataset inspector: the data table, its columns, their profile and warnings.

Takes a :class:`~workbench.gui.session.Session`; shows whatever dataset the
session holds and asks it to load another.  Adding a dataset (file dialog or
drag-and-drop) runs ``Project.add_dataset`` in a worker with a progress bar.

Opening a dataset shows what is ready as soon as it is ready: the first rows
(a preview from the project's cache, with a "loading N rows…" note), then the
whole table, then the profile (statistics, charts, correlations, warnings),
which the profile tabs wait for with a "Profiling…" placeholder.  Everything
shown comes from the session's profile: nothing here computes on the data,
because this runs on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QItemSelectionModel, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.engine import AddDatasetJob
from workbench.gui import profile_data
from workbench.gui.column_profile import ColumnProfilePanel, profile_placeholder
from workbench.gui.icons import icon
from workbench.gui.jobs import DATA_LANE, FunctionJob, JobEntry, JobState
from workbench.gui.plots import SERIES_COLORS, Heatmap, bar_chart, empty_message, make_plot, reset_ticks
from workbench.gui.session import Session
from workbench.gui.table_model import DataFrameModel, sort_order
from workbench.gui.widgets import CopyableTableView, ErrorLabel, ProgressBar, lay_out_at_once, number_rows, shown_once

# Frames up to this many rows are sorted on the GUI thread (well under 0.1 s);
# bigger ones in a worker so the window never freezes.
SYNC_SORT_MAX_ROWS = 200_000

FILE_FILTER = "Data files (*.csv *.tsv *.txt *.parquet *.pq *.xlsx *.xls *.json *.jsonl *.ndjson);;All files (*)"


def warning_key(w: dict[str, Any]) -> str:
    """How an ignored warning is remembered: its code and column(s)."""
    return f"{w.get('code', '')}:{','.join(w.get('columns') or []) or w.get('column') or ''}"


WARNING_TEXT_ROLE = Qt.ItemDataRole.UserRole + 1
# The profile tabs under the table.
COLUMN_TAB, CORRELATIONS_TAB, TARGET_TAB, WARNINGS_TAB = range(4)


class WarningActions(QWidget):
    """The one-click actions of a profile warning, at the right end of its row.

    "Drop column" leaves the column out of the model's features (the Model
    tab shows it unticked); "Treat as missing" puts the warning's values
    (stray texts, impossible zeros) into the column's missing values in the
    Model tab's preparation table, and clicked again takes them out;
    "Balance classes" sets class_weight=balanced when the chosen algorithm
    has it, and clicked again puts the algorithm's default back; "Ignore" hides the warning for this dataset.  All of them are
    form settings, remembered per dataset.
    """

    def __init__(self, warning: dict[str, Any], session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(26, 2, 4, 2)  # the item's warning icon shows at the left
        self.text = QLabel((f"{warning['column']}: " if warning.get("column") else "") + warning["message"])
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text, 1)
        self.drop_button = self.ignore_button = self.missing_button = self.balance_button = None
        self.session = session
        column = warning.get("column")
        actions = warning.get("actions") or []
        values = list(warning.get("missing_values") or [])
        if "treat_as_missing" in actions and column and values:
            self.missing_button = QToolButton()
            self.missing_button.clicked.connect(
                lambda: session.treat_as_missing(column, values, not session.treats_as_missing(column, values)))
            self._missing = (column, values)
            session.rolesChanged.connect(self._show_missing_state)
            self._show_missing_state()
            layout.addWidget(self.missing_button)
        if "balance_classes" in actions:
            self.balance_button = QToolButton()
            self.balance_button.clicked.connect(lambda: session.balance_classes(not session.balances_classes()))
            session.algorithmChanged.connect(self._show_balance_state)
            session.paramsChanged.connect(self._show_balance_state)
            self._show_balance_state()
            layout.addWidget(self.balance_button)
        if "drop_column" in actions and column:
            self.drop_button = QToolButton()
            self.drop_button.setText(f"Drop {column}")
            self.drop_button.setToolTip(f"Leave '{column}' out of the model's features")
            self.drop_button.setEnabled(column in session.features)
            self.drop_button.clicked.connect(lambda: (session.drop_feature(column),
                                                      self.drop_button.setEnabled(False)))
            layout.addWidget(self.drop_button)
        if "ignore" in actions or not actions:
            self.ignore_button = QToolButton()
            self.ignore_button.setText("Ignore")
            self.ignore_button.setToolTip("Hide this warning for this dataset")
            self.ignore_button.clicked.connect(lambda: session.ignore_warning(warning_key(warning)))
            layout.addWidget(self.ignore_button)

    def _show_missing_state(self) -> None:
        column, values = self._missing
        shown = ", ".join(repr(v) for v in values[:3]) + (" …" if len(values) > 3 else "")
        if self.session.treats_as_missing(column, values):
            self.missing_button.setText("Undo treat as missing")
            self.missing_button.setToolTip(f"Count {shown} in '{column}' as real values again")
        else:
            self.missing_button.setText("Treat as missing")
            self.missing_button.setToolTip(
                f"Count {shown} in '{column}' as missing (imputed when training); "
                "see Model ▸ Preparation ▸ Missing values")

    def _show_balance_state(self, *_args: Any) -> None:
        can = self.session.can_balance_classes()
        done = can and self.session.balances_classes()
        self.balance_button.setEnabled(can)
        self.balance_button.setText("Undo balance classes" if done else "Balance classes")
        if done:
            tip = "Weigh every class the same again (the algorithm's default class_weight)"
        elif can:
            tip = "Weigh each class by the inverse of its frequency (class_weight=balanced)"
        else:
            tip = "The chosen algorithm has no class weights; pick e.g. logistic regression or a random forest"
        self.balance_button.setToolTip(tip)


class DatasetInspector(QWidget):
    """Central "Data" tab. Signals ``status(str)`` for the status bar."""

    status = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAcceptDrops(True)
        self._add_job: int | None = None
        self._sort_job: int | None = None

        # -- top bar -----------------------------------------------------------
        self.title = QLabel("No dataset selected")
        self.title.setStyleSheet("font-weight: 600; font-size: 12pt;")
        self.add_button = QPushButton(icon("add-dataset"), "Add dataset…")
        self.add_button.setToolTip("Add a CSV, Parquet, Excel or JSON file to the project (Ctrl+Shift+A)")
        self.add_button.clicked.connect(self.choose_files)
        self.progress = ProgressBar()  # paints with the next frame, not inside setValue
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.error = ErrorLabel()
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.progress)
        top.addWidget(self.add_button)

        # -- columns list --------------------------------------------------------
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search columns…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.textChanged.connect(self._filter_columns)
        self.columns = QListWidget()
        self.columns.setIconSize(QSize(16, 16))
        self.columns.currentItemChanged.connect(self._column_selected)
        col_box = QWidget()
        col_layout = QVBoxLayout(col_box)
        col_layout.setContentsMargins(0, 0, 0, 0)
        col_layout.addWidget(self.search)
        col_layout.addWidget(self.columns)

        # -- table -----------------------------------------------------------------
        self.model = DataFrameModel()
        self.table = number_rows(CopyableTableView())
        self.table.setModel(self.model)
        lay_out_at_once(self.table)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSectionsClickable(True)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sort_requested)
        self.table.horizontalHeader().setDefaultSectionSize(110)
        self.table.selectionModel().currentColumnChanged.connect(
            lambda cur, _prev: self.select_column(self.model.headerData(cur.column(), Qt.Orientation.Horizontal))
            if cur.isValid() else None
        )

        # -- profile tabs --------------------------------------------------------------
        self.profile_panel = ColumnProfilePanel()
        self.heatmap = Heatmap(cmap="CET-D1A")
        self.target_plot = make_plot()
        self.warning_list = QListWidget()
        self.warning_list.itemActivated.connect(self._warning_activated)
        self.warning_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.warning_list.setWordWrap(True)
        self.warning_list.viewport().installEventFilter(self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.profile_panel, icon("results"), "Column")
        self.tabs.addTab(self.heatmap, icon("compare"), "Correlations")
        self.tabs.addTab(self.target_plot, icon("target"), "Target")
        self.tabs.addTab(self.warning_list, icon("warning"), "Warnings")
        # Tabs whose content changed while another tab was shown: drawn when
        # opened.  A profile's arrival redrew the heatmap, the target plot and
        # the warning rows unseen (tens of ms of the GUI thread in one turn).
        self._stale: set[int] = set()
        self._columns_due = False  # a _fill_columns is posted (_fill_columns_soon)
        self.tabs.currentChanged.connect(self._tab_opened)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.table)
        right.addWidget(self.tabs)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(col_box)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([220, 900])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(split, 1)

        session.datasetChanged.connect(self._dataset_changed)
        session.previewLoaded.connect(self._preview_loaded)
        session.frameLoaded.connect(self._frame_loaded)
        session.profileChanged.connect(self._profile_changed)
        session.rolesChanged.connect(lambda: self._when_seen(TARGET_TAB))
        session.loadFailed.connect(self._load_failed)
        session.busyChanged.connect(self._busy)
        session.jobs.jobEvent.connect(self._job_event)

    # -- adding datasets ------------------------------------------------------------
    def choose_files(self) -> None:
        if not self.session.project.is_open:
            self.error.show_message("Open or create a project first (File ▸ Open project…).")
            return
        paths, _ = QFileDialog.getOpenFileNames(self, "Add dataset", str(Path.home()), FILE_FILTER)
        self.add_files(paths)

    def add_files(self, paths: list[str]) -> None:
        """Add each file to the project in a worker; select the last one added."""
        if not paths:
            return
        if not self.session.project.is_open:
            self.error.show_message("Open or create a project first (File ▸ Open project…).")
            return
        self.error.clear_message()
        root = str(self.session.project.root)
        for path in paths:  # in the data worker: a big CSV parsed in a thread here held the GIL 364 ms at a time
            job = AddDatasetJob(root, path)
            self._add_job = self.session.jobs.submit_job(job, kind="add-dataset", lane=DATA_LANE, on_done=self._added)
        self._busy(True)

    def _added(self, entry: JobEntry) -> None:
        if entry.job_id == self._add_job:
            self._busy(False)
        if entry.state == JobState.FAILED:
            self.error.show_message(entry.error)
            return
        if entry.state != JobState.COMPLETED:
            return
        self.session.project.dataset_added()
        name = entry.result.get("name") if isinstance(entry.result, dict) else None
        self.status.emit(f"Added dataset {name}")
        if name:
            self.session.select_dataset(name)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        self.add_files(paths)
        event.acceptProposedAction()

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self.progress.setFormat("%p%")  # the job's title comes with its first progress

    def _job_event(self, job_id: int, event: Any) -> None:
        fraction = getattr(event, "fraction", None)
        if fraction is None or not self.progress.isVisible():
            return
        entry = self.session.jobs.entry(job_id)
        if entry.kind in ("load", "add-dataset", "profile"):
            self.progress.setValue(int(fraction * 100))
            self.progress.setFormat(f"{entry.title}: %p%")

    # -- showing a dataset ------------------------------------------------------------
    def _dataset_changed(self, name: str) -> None:
        self.error.clear_message()
        self.model.set_frame(None)
        self.columns.clear()
        self._columns_shown = (None, None)
        self.title.setText(f"{name} — loading…" if name else "No dataset selected")

    def _load_failed(self, message: str) -> None:
        self.model.set_frame(None)  # no preview rows of a dataset that did not load
        self.title.setText(f"{self.session.dataset} — could not be loaded")
        self.error.show_message(message)

    def _preview_loaded(self) -> None:
        s = self.session
        self.model.set_frame(s.preview)
        total = s.preview_total_rows or 0
        self.title.setText(f"{s.dataset}  ·  loading {total:,} rows…  (showing the first {len(s.preview):,})")

    def _frame_loaded(self) -> None:
        s = self.session
        df = s.frame
        kinds = {c: s.column_kind(c) for c in s.columns()}
        self.model.extend_frame(df, kinds)  # the preview's rows stay; a reset if there was none
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self._show_title()
        self._fill_columns_soon()
        self.status.emit(f"Loaded {s.dataset}: {df.shape[0]:,} rows")

    def _show_title(self) -> None:
        s = self.session
        if s.frame is None:
            return
        rows, cols = s.frame.shape
        note = "  ·  profiling…" if s.profiling else ""
        self.title.setText(f"{s.dataset}  ·  {rows:,} rows × {cols} columns{note}")

    @property
    def settled(self) -> bool:
        """True when the columns list and the column's panel show the session's state."""
        return not self._columns_due

    FILL_COLUMNS_DELAY_MS = 16  # a frame: a 0 ms timer runs before the timers and input already due

    def _fill_columns_soon(self) -> None:
        """``_fill_columns`` a frame later, once however often asked: the turn a
        frame arrives paints the table's rows (~13 ms at 1400 px here), the
        columns list and the column's profile get a turn and a paint of their own."""
        if not self._columns_due:
            self._columns_due = True
            QTimer.singleShot(self.FILL_COLUMNS_DELAY_MS, self, self._fill_columns)

    def _fill_columns(self) -> None:
        """The columns list: kind icons, and warning badges once there is a profile."""
        self._columns_due = False
        s = self.session
        if s.frame is None:
            return  # posted for a dataset since left
        rows = []
        for column in s.columns():
            kind = s.column_kind(column) or "numeric"
            warns = profile_data.column_warnings(s.profile, column)
            rows.append((column, kind, column + (f"   ⚠ {len(warns)}" if warns else ""),
                         f"{column}: {kind}" + "".join(f"\n⚠ {w['message']}" for w in warns)))
        if shown_once(self, "_columns_shown", s.frame, tuple(rows)):
            # The same list (asked again when the profile starts or arrives):
            # only the selected column's profile may have changed.
            current = self.columns.currentItem()
            self.profile_panel.show_column(s, current.data(Qt.ItemDataRole.UserRole) if current else None)
            return
        current = self.columns.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.columns.blockSignals(True)
        self.columns.clear()
        for column, kind, text, tip in rows:
            item = QListWidgetItem(icon(f"kind-{kind}"), text)
            item.setData(Qt.ItemDataRole.UserRole, column)
            item.setToolTip(tip)
            self.columns.addItem(item)
        self.columns.blockSignals(False)
        self._filter_columns(self.search.text())
        if keep not in s.columns():
            keep = s.columns()[0] if s.columns() else None
        self.select_column(keep)  # shows its profile
        if self.columns.currentItem() is None:
            self.profile_panel.show_column(s, None)

    def _profile_changed(self) -> None:
        s = self.session
        if s.frame is None:
            self.profile_panel.show_column(s, None)
        else:
            self._show_title()
            self._fill_columns_soon()
        self.tabs.setTabText(WARNINGS_TAB, self._warnings_tab_text())
        for index in (CORRELATIONS_TAB, TARGET_TAB, WARNINGS_TAB):
            self._when_seen(index)

    def _when_seen(self, index: int) -> None:
        """Draw profile tab ``index`` now if it is the one shown, else when it is opened."""
        if self.tabs.currentIndex() == index:
            self._stale.discard(index)
            self._draw_tab(index)
        else:
            self._stale.add(index)

    def _tab_opened(self, index: int) -> None:
        if index in self._stale:
            self._stale.discard(index)
            self._draw_tab(index)

    def _draw_tab(self, index: int) -> None:
        {CORRELATIONS_TAB: self._draw_heatmap, TARGET_TAB: self._draw_target,
         WARNINGS_TAB: self._draw_warnings}[index]()

    def _shown_warnings(self) -> tuple[list[dict[str, Any]], int]:
        """The profile's warnings not ignored, and how many are ignored."""
        s = self.session
        every = profile_data.warnings(s.profile) if s.profile is not None else []
        shown = [w for w in every if warning_key(w) not in s.ignored_warnings]
        return shown, len(every) - len(shown)

    def _warnings_tab_text(self) -> str:
        s = self.session
        if s.frame is None or s.profile is None:
            return "Warnings (…)" if s.frame is not None and s.profiling else "Warnings"
        shown, ignored = self._shown_warnings()
        return f"Warnings ({len(shown)})" + (f", {ignored} ignored" if ignored else "")

    def _draw_warnings(self) -> None:
        s = self.session
        self.warning_list.clear()
        if s.frame is None:
            return
        if s.profile is None:
            item = QListWidgetItem(profile_placeholder(s))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.warning_list.addItem(item)
            return
        shown, _ignored = self._shown_warnings()
        for w in shown:
            # The row widget shows the (wrapped) message and its buttons; the
            # item keeps only the icon, so no text is painted under them.
            item = QListWidgetItem(icon("warning", "#d68a1c"), "")
            item.setData(Qt.ItemDataRole.UserRole, w.get("column"))
            item.setData(WARNING_TEXT_ROLE, (f"{w['column']}: " if w.get("column") else "") + w["message"])
            item.setToolTip(w["message"])
            self.warning_list.addItem(item)
            self.warning_list.setItemWidget(item, WarningActions(w, s))
        self._fit_warning_rows()
        if not shown:
            item = QListWidgetItem(icon("completed"), "No problems found: duplicate rows, near-copy features, "
                                   "missing values, numbers read as text and impossible zeros were checked.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.warning_list.addItem(item)

    def _draw_heatmap(self) -> None:
        s = self.session
        if s.frame is None or s.profile is None:
            self.heatmap.show_message(profile_placeholder(s) if s.frame is not None
                                      else "Loading…" if s.dataset else "Select a dataset")
            return
        corr = profile_data.correlations(s.profile)
        if corr is not None and len(corr[0]) >= 2:
            names, matrix = corr
            self.heatmap.set_matrix(matrix, names, levels=(-1.0, 1.0), cmap="CET-D1A")
        else:
            self.heatmap.show_message("Fewer than two numeric columns: no correlations")

    def _draw_target(self) -> None:
        s = self.session
        if shown_once(self, "_target_shown", s.dataset, s.frame, s.target, s.profile,
                      profile_placeholder(s) if s.frame is not None else "",
                      s.column_kind(s.target) if s.target else ""):
            return
        if s.frame is None:
            empty_message(self.target_plot, "Loading…" if s.dataset else "Select a dataset")
            return
        if not s.target:
            empty_message(self.target_plot, "Choose a target column (Model tab)")
            return
        item = self.target_plot.getPlotItem()
        item.setTitle(f"Target: {s.target}")
        if s.profile is None:
            empty_message(self.target_plot, profile_placeholder(s))
            return
        # From the profile only (class balance, histogram, top values): a
        # value count of a long target here would freeze the window.
        kind = s.column_kind(s.target)
        bars = profile_data.class_balance(s.profile, s.target)
        hist = None
        if not bars:
            unique = profile_data.n_unique(s.profile, s.target)
            if kind == "numeric" and (unique is None or unique > 20):
                hist = profile_data.histogram(s.profile, s.target)
            if hist is None:
                bars = profile_data.top_values(s.profile, s.target, n=30)
        reset_ticks(item)
        if hist is not None:
            edges, counts = hist
            item.clear()
            item.addItem(pg.PlotCurveItem(edges, counts, stepMode="center", fillLevel=0,
                                          brush=SERIES_COLORS[1] + "99", pen=pg.mkPen(SERIES_COLORS[1])))
            item.enableAutoRange()
        elif bars:
            bar_chart(self.target_plot, [t[0] for t in bars], [t[1] for t in bars], color=SERIES_COLORS[1])
        else:
            empty_message(self.target_plot, "The profile has no distribution of this column")

    # -- columns ----------------------------------------------------------------------
    def _filter_columns(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.columns.count()):
            item = self.columns.item(i)
            item.setHidden(bool(needle) and needle not in item.data(Qt.ItemDataRole.UserRole).lower())

    def _column_selected(self, current: QListWidgetItem | None, _previous=None) -> None:
        if current is None:
            return
        column = current.data(Qt.ItemDataRole.UserRole)
        self.profile_panel.show_column(self.session, column)
        cols = self.session.columns()
        if column in cols:
            self.table.scrollTo(self.model.index(self.table.rowAt(0) if self.table.rowAt(0) >= 0 else 0,
                                                 cols.index(column)))

    def select_column(self, column: str | None) -> None:
        """Select ``column`` in the list (and so show its profile)."""
        if not column:
            return
        for i in range(self.columns.count()):
            item = self.columns.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == column:
                if self.columns.currentItem() is not item:
                    self.columns.setCurrentItem(item, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                return

    def warning_texts(self) -> list[str]:
        """The warnings shown, as the person reads them (tests)."""
        items = [self.warning_list.item(i) for i in range(self.warning_list.count())]
        return [it.data(WARNING_TEXT_ROLE) or it.text() for it in items]

    def _fit_warning_rows(self) -> None:
        """Row heights for the wrapped messages at the list's current width."""
        width = max(200, self.warning_list.viewport().width())
        for i in range(self.warning_list.count()):
            item = self.warning_list.item(i)
            row = self.warning_list.itemWidget(item)
            if row is not None:
                item.setSizeHint(QSize(width, row.heightForWidth(width) + 8))  # + a little air: never clip

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self.warning_list.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_warning_rows()
        return super().eventFilter(obj, event)

    def _warning_activated(self, item: QListWidgetItem) -> None:
        column = item.data(Qt.ItemDataRole.UserRole)
        if column:
            self.select_column(column)
            self.tabs.setCurrentIndex(0)

    # -- sorting ------------------------------------------------------------------------
    def _sort_requested(self, column: int, order: Qt.SortOrder) -> None:
        df = self.model.frame()
        if df is None or column < 0:
            return
        if df is not self.session.frame:
            # A preview: sorting its first rows would mislead.
            self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.status.emit("Sorting is possible once all rows are loaded")
            return
        ascending = order == Qt.SortOrder.AscendingOrder
        if len(df) <= SYNC_SORT_MAX_ROWS:
            self.model.set_order(sort_order(df, column, ascending))
            return
        name = str(df.columns[column])

        def done(entry: JobEntry) -> None:
            if entry.state == JobState.COMPLETED and entry.job_id == self._sort_job and self.model.frame() is df:
                self.model.set_order(entry.value)
                self.status.emit(f"Sorted by {name}")

        job = FunctionJob(f"Sort by {name}", lambda ctx: sort_order(df, column, ascending))
        self._sort_job = self.session.jobs.submit_job(job, kind="sort", lane=DATA_LANE, on_done=done)
        self.status.emit(f"Sorting {len(df):,} rows by {name}…")


