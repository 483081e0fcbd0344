"""Hyperparameter search views: the live trials view and the setup form.

:class:`TuningView` is fed the search's events (``add_event``; it uses the
``Trial`` ones) and, at the end, its result (``set_result``).  It plots every
trial's score and the best-so-far curve, lists the trials in a sortable table,
and after the search shows parameter importances and a slice plot per
parameter.  "Train best" emits :attr:`TuningView.train_best_requested`.

:class:`TuningSetupWidget` is the form that starts a search: strategy,
budget, cross-validation, metric, and one row per parameter (include it or
not, its range or values), generated from the catalog through
``workbench.engine.tuning.space``.  It emits
:attr:`TuningSetupWidget.start_requested` with keyword arguments for
``TuneJob`` (``strategy, n_trials, timeout, cv, metric, space_overrides,
include, n_jobs, seed``).

Both are self-contained: the main window wires them to the jobs panel.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.engine import (
    DEFAULT_TRIALS,
    STRATEGIES,
    Trial,
    default_range,
    format_value,
    make_range,
    objective_metrics,
    range_from_text,
    tunable_params,
)

from workbench.gui.plots import SERIES_COLORS, bar_chart, empty_message, make_plot, reset_ticks
from workbench.gui.widgets import ErrorLabel

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
# Redraw the plots at most this often: a fast search may finish many trials a second.
REDRAW_MS = 150
_STATE_COLORS = {"complete": SERIES_COLORS[0], "pruned": "#999999", "failed": SERIES_COLORS[3]}


def _text(value: Any) -> str:
    return format_value(value, ".4g")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class TuningView(QWidget):
    """Live view of one search: score plot, trials table, importances, slices."""

    train_best_requested = Signal(dict)

    def __init__(self, parent: QWidget | None = None, *, metric: str = "score", direction: str = "max") -> None:
        super().__init__(parent)
        self.metric_name = metric
        self.direction = direction
        self.trials: dict[int, dict[str, Any]] = {}
        self.best: dict[str, Any] | None = None
        self._param_columns: list[str] = []
        self._slices: dict[str, dict[str, list[Any]]] = {}
        self._log_params: set[str] = set()

        self.summary = QLabel("No trial yet.")
        self.summary.setWordWrap(True)
        self.train_button = QPushButton("Train best")
        self.train_button.setToolTip("Train the best trial's parameters as a normal run")
        self.train_button.setEnabled(False)
        self.train_button.clicked.connect(self._emit_train_best)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.train_button)

        self.score_plot = make_plot("Trials", "trial", metric)
        item = self.score_plot.getPlotItem()
        self.scatter = pg.ScatterPlotItem(size=8, pen=None, brush=pg.mkBrush(SERIES_COLORS[0]), name="trial")
        self.best_curve = pg.PlotDataItem(pen=pg.mkPen(SERIES_COLORS[1], width=2), name="best so far")
        item.addLegend(offset=(-10, -10))
        item.addItem(self.scatter)
        item.addItem(self.best_curve)

        self.model = QStandardItemModel(0, 0, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._set_header()

        self.importance_plot = make_plot("Parameter importance", "", "")
        empty_message(self.importance_plot, "Shown when the search ends")
        self.slice_combo = QComboBox()
        self.slice_combo.currentTextChanged.connect(self._draw_slice)
        self.slice_plot = make_plot("", "", metric)
        empty_message(self.slice_plot, "Shown when the search ends")
        slice_page = QWidget()
        slice_layout = QVBoxLayout(slice_page)
        slice_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Parameter:"))
        row.addWidget(self.slice_combo, 1)
        slice_layout.addLayout(row)
        slice_layout.addWidget(self.slice_plot)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.importance_plot, "Importances")
        self.tabs.addTab(slice_page, "Slices")

        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.score_plot)
        upper.addWidget(self.tabs)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw)

    # -- feeding ---------------------------------------------------------
    def set_objective(self, metric: str, direction: str) -> None:
        """Name and direction of the objective ("max" or "min")."""
        self.metric_name, self.direction = metric, direction
        self.score_plot.getPlotItem().setLabel("left", metric)
        self.slice_plot.getPlotItem().setLabel("left", metric)
        self._set_header()

    def add_event(self, event: Any) -> None:
        """Any job event; Trial events are shown, the rest ignored."""
        if isinstance(event, Trial):
            self.on_trial(event)

    def on_trial(self, trial: Trial) -> None:
        self._add_trial({
            "number": trial.number, "params": dict(trial.params), "score": trial.score,
            "score_std": trial.score_std, "state": trial.state, "duration_s": trial.duration_s,
        })
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def set_result(self, result: dict[str, Any]) -> None:
        """The finished search's result: fills in trials missed, importances, slices."""
        if result.get("metric"):
            self.set_objective(result["metric"], result.get("direction", self.direction))
        for t in result.get("trials", []):
            if t["number"] not in self.trials:
                self._add_trial(t)
        ranges = ((result.get("settings") or {}).get("space") or {}).get("ranges", [])
        self._log_params = {r["name"] for r in ranges if r.get("log")}
        self._slices = result.get("slices") or {}
        self._draw_importances(result.get("importances"))
        current = self.slice_combo.currentText()
        self.slice_combo.blockSignals(True)
        self.slice_combo.clear()
        self.slice_combo.addItems(list(self._slices))
        self.slice_combo.blockSignals(False)
        if current in self._slices:
            self.slice_combo.setCurrentText(current)
        self._draw_slice(self.slice_combo.currentText())
        self.redraw()
        status = result.get("status")
        if status and status != "completed":
            self.summary.setText(self.summary.text() + f"  [{status}]")

    def clear(self) -> None:
        self.trials.clear()
        self.best = None
        self._param_columns = []
        self.model.setRowCount(0)
        self._set_header()
        self.redraw()

    def best_params(self) -> dict[str, Any] | None:
        return dict(self.best["params"]) if self.best else None

    # -- internals -------------------------------------------------------
    def _better(self, a: float, b: float) -> bool:
        return a > b if self.direction == "max" else a < b

    def _add_trial(self, t: dict[str, Any]) -> None:
        self.trials[t["number"]] = t
        if t.get("state") == "complete" and t.get("score") is not None:
            if self.best is None or self._better(t["score"], self.best["score"]):
                self.best = t
        for name in t.get("params", {}):
            if name not in self._param_columns:
                self._param_columns.append(name)
                self._set_header()
        self._append_row(t)
        self.train_button.setEnabled(self.best is not None)

    def _set_header(self) -> None:
        labels = ["trial", f"{self.metric_name} ± std", "state", "seconds", *self._param_columns]
        self.model.setColumnCount(len(labels))
        self.model.setHorizontalHeaderLabels(labels)

    def _append_row(self, t: dict[str, Any]) -> None:
        def cell(text: str, sort: Any) -> QStandardItem:
            item = QStandardItem(text)
            item.setData(sort, SORT_ROLE)
            return item

        score = t.get("score")
        if score is None:
            score_cell = cell("-", -math.inf if self.direction == "max" else math.inf)
        else:
            std = t.get("score_std")
            score_cell = cell(f"{score:.4f}" + (f" ± {std:.4f}" if std is not None else ""), float(score))
        state_cell = cell(t.get("state", ""), t.get("state", ""))
        state_cell.setForeground(pg.mkColor(_STATE_COLORS.get(t.get("state"), "#999999")))
        row = [cell(str(t["number"]), int(t["number"])), score_cell, state_cell,
               cell(f"{t.get('duration_s', 0.0):.2f}", float(t.get("duration_s", 0.0)))]
        params = t.get("params", {})
        for name in self._param_columns:
            value = params.get(name)
            row.append(cell(_text(value), float(value) if _is_number(value) else _text(value)))
        self.model.appendRow(row)

    def redraw(self) -> None:
        """Redraw the score plot and the summary from the trials so far."""
        done = sorted((t for t in self.trials.values() if t.get("state") == "complete" and t.get("score") is not None),
                      key=lambda t: t["number"])
        x = np.array([t["number"] for t in done], dtype=float)
        y = np.array([t["score"] for t in done], dtype=float)
        self.scatter.setData(x=x, y=y)
        if len(y):
            best = np.maximum.accumulate(y) if self.direction == "max" else np.minimum.accumulate(y)
            # A step line: the best value holds until a trial improves on it.
            sx = np.repeat(x, 2)[1:]
            sy = np.repeat(best, 2)[:-1]
            self.best_curve.setData(sx, sy)
        else:
            self.best_curve.setData([], [])
        counts = {s: sum(t.get("state") == s for t in self.trials.values()) for s in ("complete", "pruned", "failed")}
        text = f"{len(self.trials)} trial(s): " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        if self.best:
            std = self.best.get("score_std")
            text += (f". Best: trial {self.best['number']}, {self.metric_name} {self.best['score']:.4f}"
                     + (f" ± {std:.4f}" if std is not None else "") + " with "
                     + ", ".join(f"{k}={_text(v)}" for k, v in self.best["params"].items()))
        self.summary.setText(text if self.trials else "No trial yet.")

    def _draw_importances(self, importances: dict[str, float] | None) -> None:
        if not importances:
            empty_message(self.importance_plot, "Not enough completed trials for importances")
            return
        names = list(importances)[::-1]  # most important on top
        bar_chart(self.importance_plot, names, [importances[n] for n in names], horizontal=True)

    def _draw_slice(self, name: str) -> None:
        data = self._slices.get(name)
        plot = self.slice_plot.getPlotItem()
        if not data or not data.get("values"):
            empty_message(self.slice_plot, "No completed trial")
            return
        plot.clear()
        reset_ticks(plot)
        plot.setTitle(name)
        values, scores = data["values"], np.asarray(data["scores"], dtype=float)
        numeric = [i for i, v in enumerate(values) if _is_number(v)]
        log = name in self._log_params
        if numeric and len(numeric) == len(values):
            xs = np.asarray([values[i] for i in numeric], dtype=float)
            log = log and bool(np.all(xs > 0))
            # A PlotDataItem (not a bare ScatterPlotItem) follows the axis' log
            # mode: the scatter drew raw values on a log axis (1e-100 … 1e200).
            plot.setLogMode(x=log, y=False)
            plot.plot(xs, scores, pen=None, symbol="o", symbolSize=8, symbolPen=None,
                      symbolBrush=pg.mkBrush(SERIES_COLORS[0]))
            shown = np.log10(xs) if log else xs
            _fit_range(plot, shown, scores)
            return
        else:
            # Choices (and numbers mixed with "none"): one column per value.
            labels = sorted({_text(v) for v in values}, key=lambda s: (s == "none", s))
            index = {label: i for i, label in enumerate(labels)}
            rng = np.random.default_rng(0)
            xs = np.array([index[_text(v)] for v in values], dtype=float) + rng.uniform(-0.12, 0.12, len(values))
            plot.setLogMode(x=False, y=False)
            plot.addItem(pg.ScatterPlotItem(x=xs, y=scores, size=8, pen=None, brush=pg.mkBrush(SERIES_COLORS[2])))
            plot.getAxis("bottom").setTicks([[(i, label) for i, label in enumerate(labels)]])
            _fit_range(plot, np.array([-0.5, len(labels) - 0.5]), scores)

    def _emit_train_best(self) -> None:
        if self.best is not None:
            self.train_best_requested.emit(dict(self.best["params"]))


def _fit_range(plot: pg.PlotItem, xs: np.ndarray, ys: np.ndarray) -> None:
    """Axis ranges from the data (x already in the axis' units), with a margin."""
    def span(values: np.ndarray) -> tuple[float, float]:
        finite = values[np.isfinite(values)]
        if not finite.size:
            return 0.0, 1.0
        lo, hi = float(finite.min()), float(finite.max())
        pad = (hi - lo) * 0.05 or max(abs(lo) * 0.05, 0.5)
        return lo - pad, hi + pad

    plot.disableAutoRange()
    plot.setXRange(*span(np.asarray(xs, dtype=float)), padding=0)
    plot.setYRange(*span(np.asarray(ys, dtype=float)), padding=0)


class TuningSetupWidget(QWidget):
    """The form that starts a search for one algorithm and task."""

    start_requested = Signal(dict)

    COLUMNS = ("parameter", "low", "high", "values", "scale")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.algorithm = None
        self.task = "classification"
        self._specs: dict[str, Any] = {}

        tips = {
            "bayes": "Bayesian optimisation (optuna TPE): learns where good values lie",
            "random": "Independent random draws from the ranges",
            "grid": "Every combination of a few values per parameter",
        }
        self.strategy = QComboBox()
        for strategy in sorted(STRATEGIES, key=lambda s: list(tips).index(s)):
            self.strategy.addItem(strategy)
            self.strategy.setItemData(self.strategy.count() - 1, tips[strategy], Qt.ItemDataRole.ToolTipRole)
        self.trials = QSpinBox()
        self.trials.setRange(0, 100_000)
        self.trials.setSpecialValueText("auto")
        self.trials.setToolTip(f"0 = auto: the whole grid, or {DEFAULT_TRIALS} trials")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(0, 7 * 24 * 3600)
        self.timeout.setDecimals(0)
        self.timeout.setSuffix(" s")
        self.timeout.setSpecialValueText("no limit")
        self.cv = QSpinBox()
        self.cv.setRange(0, 20)  # 1 is read as 2: one fold is no cross-validation
        self.cv.setValue(3)
        self.cv.setSpecialValueText("holdout")
        self.cv.setToolTip("Folds of cross-validation on the training part (holdout = one validation split)")
        self.metric_combo = QComboBox()
        self.jobs = QSpinBox()
        self.jobs.setRange(1, 64)
        self.jobs.setToolTip("Trials run at the same time (each gets cores / jobs threads)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)

        form = QFormLayout()
        form.addRow("Strategy", self.strategy)
        form.addRow("Trials", self.trials)
        form.addRow("Time budget", self.timeout)
        form.addRow("Cross-validation", self.cv)
        form.addRow("Metric", self.metric_combo)
        form.addRow("Parallel trials", self.jobs)
        form.addRow("Seed", self.seed)

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([c.capitalize() for c in self.COLUMNS])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.error = ErrorLabel()
        self.start_button = QPushButton("Start search")
        self.start_button.clicked.connect(self.request_start)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Parameters to search (untick to keep a parameter at its value):"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignRight)

    # -- algorithm -------------------------------------------------------
    def set_algorithm(self, algorithm: Any, task: str) -> None:
        """Rebuild the parameter rows for ``algorithm`` (an Algorithm or key)."""
        from workbench.engine import get_algorithm

        self.algorithm = get_algorithm(algorithm) if isinstance(algorithm, str) else algorithm
        self.task = task
        self.metric_combo.clear()
        self.metric_combo.addItems(list(objective_metrics(task)))
        specs = tunable_params(self.algorithm, task)
        self._specs = {s.name: s for s in specs}
        self.table.setRowCount(0)
        for spec in specs:
            rng = default_range(spec)
            if rng is None:
                continue
            row = self.table.rowCount()
            self.table.insertRow(row)
            name = QTableWidgetItem(spec.name)
            name.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            name.setCheckState(Qt.CheckState.Checked)
            name.setToolTip(spec.help)
            name.setData(Qt.ItemDataRole.UserRole, rng)
            self.table.setItem(row, 0, name)
            numeric = rng.kind != "values"
            for col, text in ((1, _text(rng.low) if numeric else ""), (2, _text(rng.high) if numeric else ""),
                              (3, "" if numeric else ",".join(_text(v) for v in rng.values))):
                item = QTableWidgetItem(text)
                if numeric and col == 3:
                    item.setToolTip("Optional: exact values to try instead of the range, e.g. 1,5,10")
                if not numeric and col in (1, 2):
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
                self.table.setItem(row, col, item)
            scale = ("log" if rng.log else "linear") + (" + none" if rng.include_none else "") if numeric else "choice"
            scale_item = QTableWidgetItem(scale)
            scale_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(row, 4, scale_item)

    def row_names(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    # -- settings ----------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """Keyword arguments for TuneJob; raises SpecError on a bad range."""
        from workbench.engine import SpecError

        include: list[str] = []
        overrides: dict[str, Any] = {}
        for r in range(self.table.rowCount()):
            name_item = self.table.item(r, 0)
            if name_item.checkState() != Qt.CheckState.Checked:
                continue
            name = name_item.text()
            spec = self._specs[name]
            default = name_item.data(Qt.ItemDataRole.UserRole)
            low, high, values = (self.table.item(r, c).text().strip() for c in (1, 2, 3))
            if values:
                overrides[name] = range_from_text(spec, values, source=name)
            elif default.kind != "values":
                overrides[name] = make_range(spec, low, high, include_none=default.include_none, source=name)
            include.append(name)
        if not include:
            raise SpecError("Tick at least one parameter to search.")
        return {
            "strategy": self.strategy.currentText(),
            "n_trials": self.trials.value() or None,
            "timeout": self.timeout.value() or None,
            "cv": self.cv.value() if self.cv.value() != 1 else 2,
            "metric": self.metric_combo.currentText() or None,
            "space_overrides": overrides,
            "include": include,
            "n_jobs": self.jobs.value(),
            "seed": self.seed.value(),
        }

    def request_start(self) -> None:
        from workbench.engine import WorkbenchError

        try:
            settings = self.settings()
        except WorkbenchError as exc:
            self.error.show_message(str(exc))
            return
        self.error.clear_message()
        self.start_requested.emit(settings)
