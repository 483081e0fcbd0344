"""The Compare tab: train several algorithms on the same folds, one live table.

The comparison is one job (the engine's ``CompareJob``) in the compute lane,
so its runs queue behind other fits and respect the thread caps.  Each
finished algorithm arrives as a ``CompareRow`` event; the table is re-ranked
and the paired test against the best recomputed on every row (the best can
change as rows come in).  Cancel keeps the rows already in.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.engine import CompareRow, JobState, WorkbenchError

COLUMNS = ("algorithm", "score", "± std", "p vs best", "vs best", "fit s", "run", "status")
# Rows significantly worse than the best are greyed; the best is bold.
WORSE_COLOR = QColor("#8a8a8a")
BEST_COLOR = QColor("#1b7f3b")


class CompareView(QWidget):
    """Setup (algorithms, CV, metric, budget) on the left, the ranked table on the right.

    ``spec_provider()`` returns the base RunSpec (dataset, target,
    preparation) or raises WorkbenchError; ``task_provider()`` the task.

    Signals: ``runOpened(run_id)`` when a row is double-clicked,
    ``tuneRequested(algorithm, run_id)`` from "Tune this".
    """

    runOpened = Signal(str)
    tuneRequested = Signal(str, str)
    status = Signal(str)
    runsAdded = Signal()  # a row's run is on disk: the project's run lists should reload

    def __init__(self, jobs: Any, project_root: Callable[[], Any], spec_provider: Callable[[], Any],
                 task_provider: Callable[[], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self._project_root = project_root
        self._spec_provider = spec_provider
        self._task_provider = task_provider
        self.job_id: int | None = None
        self.rows: list[dict[str, Any]] = []
        self._stale = False  # the task changed while the view was hidden
        self.metric = "score"
        self.direction = "max"
        self.cv = 5

        self.algorithm_list = QListWidget()
        self.cv_spin = QSpinBox()
        self.cv_spin.setRange(0, 20)
        self.cv_spin.setValue(5)
        self.cv_spin.setSpecialValueText("holdout only")
        self.metric_combo = QComboBox()
        self.budget_spin = QDoubleSpinBox()
        self.budget_spin.setRange(0, 86_400)
        self.budget_spin.setDecimals(0)
        self.budget_spin.setSuffix(" s")
        self.budget_spin.setSpecialValueText("no limit")
        self.start_button = QPushButton("Compare")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.refresh_button = QPushButton("Refresh list")

        form = QFormLayout()
        form.addRow("Folds (CV):", self.cv_spin)
        form.addRow("Metric:", self.metric_combo)
        form.addRow("Time budget:", self.budget_spin)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.addWidget(QLabel("Algorithms (the baseline is always included):"))
        lay.addWidget(self.algorithm_list, 1)
        lay.addWidget(self.refresh_button)
        lay.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        lay.addLayout(buttons)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel("Choose algorithms and press Compare. Double-click a row to open its run.")
        self.summary.setWordWrap(True)
        self.tune_button = QPushButton("Tune this")
        self.tune_button.setEnabled(False)
        self.open_button = QPushButton("Open run")
        self.open_button.setEnabled(False)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.summary)
        rl.addWidget(self.table, 1)
        row_buttons = QHBoxLayout()
        row_buttons.addStretch(1)
        row_buttons.addWidget(self.open_button)
        row_buttons.addWidget(self.tune_button)
        rl.addLayout(row_buttons)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([300, 800])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(split)

        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.refresh_button.clicked.connect(self.refresh_algorithms)
        self.table.cellDoubleClicked.connect(lambda r, _c: self._open(r))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.open_button.clicked.connect(lambda: self._open(self.table.currentRow()))
        self.tune_button.clicked.connect(self._tune)
        jobs.jobEvent.connect(self._on_event)
        jobs.jobFinished.connect(self._on_finished)

    # -- setup ----------------------------------------------------------------------
    def task_changed(self) -> None:
        """The task may have changed: refill now if shown, else when the tab is opened.

        A dataset click emptied and refilled this hidden list twice (12 ms
        of the click's turn here).
        """
        if self.isVisible():
            self.refresh_algorithms()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._stale:
            self.refresh_algorithms()
        super().showEvent(event)

    def refresh_algorithms(self) -> None:
        """Fill the list with every algorithm that fits the current task (all checked)."""
        from workbench.engine import algorithms, objective_metrics

        self._stale = False
        task = self._task_provider()
        self.algorithm_list.clear()
        self.metric_combo.clear()
        if task not in ("classification", "regression"):
            self.start_button.setEnabled(False)
            self.summary.setText("Choose a dataset and a target to predict on the Model tab first.")
            return
        self.start_button.setEnabled(self.job_id is None)
        for algorithm in algorithms(task):
            item = QListWidgetItem(f"{algorithm.name}  ({algorithm.key})")
            item.setData(Qt.ItemDataRole.UserRole, algorithm.key)
            item.setToolTip(algorithm.description)
            item.setCheckState(Qt.CheckState.Checked)
            if algorithm.key == "baseline":
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.algorithm_list.addItem(item)
        self.metric_combo.addItems(list(objective_metrics(task)))

    def set_checked(self, keys: list[str]) -> None:
        """Check exactly ``keys`` (the baseline stays checked)."""
        self._fresh()
        for i in range(self.algorithm_list.count()):
            item = self.algorithm_list.item(i)
            key = item.data(Qt.ItemDataRole.UserRole)
            on = key in keys or key == "baseline"
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _fresh(self) -> None:
        if self._stale:
            self.refresh_algorithms()

    def checked(self) -> list[str]:
        self._fresh()
        return [
            self.algorithm_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.algorithm_list.count())
            if self.algorithm_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    # -- running ----------------------------------------------------------------------
    def start(self) -> int | None:
        from workbench.engine import CompareJob

        self._fresh()
        try:
            spec = self._spec_provider()
            budget = self.budget_spin.value() or None
            job = CompareJob(str(self._project_root()), spec, self.checked(), cv=self.cv_spin.value(),
                             metric=self.metric_combo.currentText() or None, timeout=budget)
        except WorkbenchError as exc:
            self.summary.setText(str(exc))
            return None
        self.rows = []
        self.metric, self.cv = job.metric or "score", job.cv
        from workbench.engine import metric_direction

        self.direction = metric_direction(self.metric)
        self.table.setHorizontalHeaderItem(1, QTableWidgetItem(self.metric))
        self._fill()
        self.summary.setText(f"Comparing {len(job.requested or [])} algorithms on {spec.dataset}…")
        self.job_id = self.jobs.submit_job(job, kind="compare", title=job.title)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        return self.job_id

    def cancel(self) -> None:
        if self.job_id is not None:
            self.jobs.cancel(self.job_id)

    def _on_event(self, job_id: int, event: Any) -> None:
        if job_id != self.job_id:
            return
        if isinstance(event, CompareRow):
            self.add_row(event)

    def add_row(self, event: Any) -> None:
        """Add one finished algorithm and re-rank the table."""
        self.rows.append({
            "algorithm": event.algorithm, "run_id": event.run_id, "status": event.status,
            "score": event.score, "std": event.std, "fold_scores": list(event.fold_scores),
            "fit_s": event.fit_s, "message": event.message,
        })
        self._fill()
        self.runsAdded.emit()

    def _on_finished(self, job_id: int) -> None:
        if job_id != self.job_id:
            return
        entry = self.jobs.entry(job_id)
        self.job_id = None
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        done = len([r for r in self.rows if r["score"] is not None])
        if entry.state == JobState.COMPLETED:
            skipped = (entry.result or {}).get("skipped") or []
            self.summary.setText(f"{done} algorithm(s) compared on the same folds."
                                 + (f" Time budget reached; not run: {', '.join(skipped)}." if skipped else ""))
        elif entry.state == JobState.CANCELLED:
            self.summary.setText(f"Cancelled; {len(self.rows)} finished row(s) kept.")
        else:
            self.summary.setText(f"The comparison failed: {entry.error}")
        self.status.emit(self.summary.text())
        self.runsAdded.emit()

    # -- the table ----------------------------------------------------------------------
    def ranked(self) -> list[dict[str, Any]]:
        from workbench.engine import rank_rows

        return rank_rows(self.rows, self.direction, self.cv)

    def _fill(self) -> None:
        ranked = self.ranked()
        self.table.setRowCount(len(ranked))
        for r, row in enumerate(ranked):
            p = row.get("p_value_vs_best")
            if row["score"] is None:
                verdict = "-"
            elif r == 0:
                verdict = "best"
            else:
                verdict = "not worse" if row["not_worse_than_best"] else "worse"
            cells = (
                row["algorithm"],
                "-" if row["score"] is None else f"{row['score']:.4f}",
                "-" if row.get("std") is None else f"{row['std']:.4f}",
                "-" if p is None else f"{p:.3f}",
                verdict,
                "-" if row.get("fit_s") is None else f"{row['fit_s']:.2f}",
                row.get("run_id") or "-",
                row["status"] + (f": {row['message']}" if row.get("message") else ""),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.get("run_id"))
                if verdict == "worse" or row["score"] is None:
                    item.setForeground(QBrush(WORSE_COLOR))
                elif verdict == "best":
                    item.setForeground(QBrush(BEST_COLOR))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                if c == 3:
                    item.setToolTip("Corrected resampled t-test (Nadeau & Bengio) on the fold scores, "
                                    "two-sided; below 0.05 = significantly worse than the best.")
                self.table.setItem(r, c, item)

    def row_algorithms(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def _selected(self) -> tuple[str, str] | None:
        r = self.table.currentRow()
        if r < 0 or self.table.item(r, 0) is None:
            return None
        run_id = self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
        return self.table.item(r, 0).text(), run_id

    def _selection_changed(self) -> None:
        chosen = self._selected()
        ok = chosen is not None and bool(chosen[1])
        self.open_button.setEnabled(ok)
        self.tune_button.setEnabled(ok and chosen[0] != "baseline")

    def _open(self, r: int) -> None:
        item = self.table.item(r, 0) if r >= 0 else None
        if item is not None and item.data(Qt.ItemDataRole.UserRole):
            self.runOpened.emit(item.data(Qt.ItemDataRole.UserRole))

    def _tune(self) -> None:
        chosen = self._selected()
        if chosen and chosen[1]:
            self.tuneRequested.emit(chosen[0], chosen[1])
