"""Results of one run: metrics, confusion matrix, curves, importances, spec, log.

``ResultsView.show_run(record)`` takes an engine ``RunRecord`` and draws what
its typed ``RunResult`` holds (``result.evaluation.confusion``, ``.roc``...).  Tabs that do not apply to the run's task are
hidden.  Every plot can be saved as PNG/SVG; every table copies as TSV.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.engine import RunResult
from workbench.gui.icons import icon
from workbench.gui.plots import (
    SERIES_COLORS,
    Heatmap,
    add_legend,
    ask_and_save,
    bar_chart,
    empty_message,
    make_plot,
    reset_ticks,
)
from workbench.gui.project_model import display_label
from workbench.gui.widgets import fmt_number, make_table, number_item, text_item


class PlotTab(QWidget):
    """A tab holding one or more plots and a "Save image…" button each."""

    def __init__(self, plots: list[QWidget], names: list[str], extra: QWidget | None = None) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        if extra is not None:
            bar.addWidget(extra)
        bar.addStretch(1)
        for plot, name in zip(plots, names):
            button = QPushButton(icon("save"), f"Save {name}…" if len(plots) > 1 else "Save image…")
            button.setToolTip("Save as PNG or SVG")
            button.clicked.connect(lambda _=False, p=plot, n=name: ask_and_save(p, f"{n}.png"))
            bar.addWidget(button)
        layout.addLayout(bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        for plot in plots:
            split.addWidget(plot)
        layout.addWidget(split, 1)
        self.plots = plots


class LazyTab(QWidget):
    """A tab page whose content is made by ``build()`` the first time it is needed."""

    def __init__(self, build: Any) -> None:
        super().__init__()
        self._build = build
        self.built = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def ensure(self) -> None:
        if not self.built:
            self.built = True
            self.layout().addWidget(self._build())


class ResultsView(QWidget):
    """Tabs of evaluation views for one run."""

    loadSettingsRequested = Signal(str)  # run id
    runAgainRequested = Signal(str)  # run id
    confusionCellClicked = Signal(str, str)  # actual label, predicted label (drill down to rows)
    regressionBoxSelected = Signal(float, float, float, float)  # actual lo, hi, predicted lo, hi

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: Any = None
        self.result = RunResult()

        self.header = QLabel("Select a run in the project tree to see its results")
        self.header.setStyleSheet("font-weight: 600; font-size: 12pt;")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subheader = QLabel()
        self.subheader.setObjectName("hint")
        self.subheader.setWordWrap(True)
        from workbench.gui.run_actions import LOAD_SETTINGS_TEXT, RUN_AGAIN_TEXT

        self.load_settings_button = QPushButton(icon("settings"), LOAD_SETTINGS_TEXT)
        self.load_settings_button.clicked.connect(
            lambda: self.record is not None and self.loadSettingsRequested.emit(self.record.run_id))
        self.run_again_button = QPushButton(icon("train"), RUN_AGAIN_TEXT)
        self.run_again_button.clicked.connect(
            lambda: self.record is not None and self.runAgainRequested.emit(self.record.run_id))

        # Metrics
        self.metrics_table, self.metrics_model = make_table(["Metric", "Test", "CV mean", "CV std", "Baseline"])
        # The baseline (majority class / mean) on the same split; warns when not beaten.
        self.baseline_label = QLabel()
        self.baseline_label.setWordWrap(True)
        self.class_table, self.class_model = make_table(["Class", "Precision", "Recall", "F1", "Support"])
        metrics_tab = QSplitter(Qt.Orientation.Vertical)
        metrics_tab.addWidget(self.baseline_label)
        metrics_tab.addWidget(self.metrics_table)
        metrics_tab.addWidget(self.class_table)

        self.spec_text = QPlainTextEdit()
        self.spec_text.setReadOnly(True)
        self.log_text = QPlainTextEdit()
        self.log_text.setReadOnly(True)
        self.log_text.setMaximumBlockCount(20000)

        self.tabs = QTabWidget()
        # Every tab in sight at 1024 px: long names elide rather than hide
        # behind scroll arrows.
        self.tabs.setUsesScrollButtons(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        # A tab widget is as wide as its widest page, hidden tabs included:
        # one wide view (a 995 px calibration page) made the window open at
        # 1227 px on a 1024 px screen. An explicit minimum wins over the pages'.
        self.tabs.setMinimumSize(320, 200)
        self.tab_index: dict[str, int] = {}
        self._pending_views: list[str] = []
        self.tabs.currentChanged.connect(self._tab_changed)
        self._metrics_tab = metrics_tab
        self._plots_built = False
        self._soon: Any = None  # a finished run waiting to be shown (show_run_soon)
        self._lazy_tabs: dict[str, LazyTab] = {}  # plot tabs, made on first use
        # Tabs added by other views (explanations, calibration): (key, widget, label, icon).
        self._extra_tabs: list[tuple[str, QWidget, str, str]] = []
        self.tab_index["metrics"] = self.tabs.addTab(metrics_tab, icon("results"), "Metrics")

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.load_settings_button)
        top.addWidget(self.run_again_button)
        layout.addLayout(top)
        layout.addWidget(self.subheader)
        layout.addWidget(self.tabs, 1)
        self.clear()

    # (attribute, title, x label, y label, legend corner) of each plot, made once
    _PLOTS = (
        ("roc_plot", "ROC curve", "false positive rate", "true positive rate", "bottom-right"),
        ("pr_plot", "Precision–recall", "recall", "precision", "bottom-left"),
        ("scatter_plot", "Predicted vs actual", "actual", "predicted", ""),
        ("residual_plot", "Residuals", "predicted", "residual (actual − predicted)", ""),
        ("residual_hist", "Residual distribution", "residual", "rows", ""),
        ("cluster_plot", "Cluster sizes", "cluster", "rows", ""),
        ("importance_plot", "Feature importance", "importance", "", ""),
        ("learning_plot", "Learning curve", "training rows", "score", "bottom-right"),
    )
    # Plot tabs: key -> (plots in it, their file names, label, icon).  Each is
    # built the first time it is drawn: a pyqtgraph plot costs 20-40 ms of GUI
    # thread to make, so none is made at the end of a run unless it is in sight.
    _PLOT_TABS: ClassVar[dict[str, tuple[tuple[str, ...], tuple[str, ...], str, str]]] = {
        "confusion": (("confusion",), ("confusion-matrix",), "Confusion matrix", "compare"),
        "curves": (("roc_plot", "pr_plot"), ("roc", "precision-recall"), "ROC / PR", "run"),
        "regression": (("scatter_plot", "residual_plot", "residual_hist"),
                       ("predicted-vs-actual", "residuals", "residual-histogram"), "Residuals", "run"),
        "clusters": (("cluster_plot",), ("cluster-sizes",), "Clusters", "results"),
        "importance": (("importance_plot",), ("feature-importance",), "Importance", "results"),
        "learning": (("learning_plot",), ("learning-curve",), "Learning curve", "run"),
    }

    def _make_plot(self, attr: str) -> None:
        if hasattr(self, attr):
            return
        if attr == "confusion":
            self.confusion = Heatmap(cmap="CET-L6")
            from workbench.gui.drilldown import connect_cell_clicks

            connect_cell_clicks(self.confusion, self._confusion_cell)
            return
        _attr, title, x, y, legend = next(p for p in self._PLOTS if p[0] == attr)
        plot = make_plot(title, x, y)
        if legend:
            add_legend(plot, legend)
        setattr(self, attr, plot)

    def _confusion_toggle(self) -> QWidget:
        """Counts / normalised radio buttons above the confusion matrix."""
        self.show_counts = QRadioButton("Counts")
        self.show_norm = QRadioButton("Normalised by true class")
        self.show_counts.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.show_counts)
        group.addButton(self.show_norm)
        self.show_counts.toggled.connect(lambda _c: self._draw_confusion())
        toggle = QWidget()
        tl = QHBoxLayout(toggle)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.show_counts)
        tl.addWidget(self.show_norm)
        return toggle

    def _build_tab(self, key: str) -> QWidget:
        """The content of plot tab ``key`` (made on first use, see _PLOT_TABS)."""
        attrs, names, _label, _ico = self._PLOT_TABS[key]
        for attr in attrs:
            self._make_plot(attr)
        extra = self._confusion_toggle() if key == "confusion" else None
        return PlotTab([getattr(self, a) for a in attrs], list(names), extra)

    def is_built(self, key: str) -> bool:
        """Whether the tab ``key`` has its widgets (plot tabs are made on first use)."""
        tab = self._lazy_tabs.get(key)
        return tab is None or tab.built

    def show_run_soon(self, record: Any) -> None:
        """Show ``record`` after the current event-loop turn, or when this view is next shown.

        Called when a training ends: that turn is busy already (the job's
        last events, the tree's refresh), and a hidden Results view has
        nothing to draw until the person looks at it.  A run the person
        picks meanwhile (``show_run``) wins.
        """
        self._soon = record
        if self.isVisible():
            QTimer.singleShot(0, self, lambda r=record: self._soon is r and self.show_run(r))

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._soon is not None:
            QTimer.singleShot(0, self, lambda r=self._soon: self._soon is r and self.show_run(r))

    def _build_plots(self) -> None:
        """Create the tabs on first use: plot tabs hold a placeholder until drawn."""
        if self._plots_built:
            return
        self._plots_built = True
        self._lazy_tabs = {
            key: LazyTab(lambda k=key: self._build_tab(k)) for key in self._PLOT_TABS}
        self.tabs.clear()
        self.tab_index = {}
        for key, widget, label, ico in (
            ("metrics", self._metrics_tab, "Metrics", "results"),
            *((key, self._lazy_tabs[key], label, ico) for key, (_a, _n, label, ico) in self._PLOT_TABS.items()),
            ("spec", self.spec_text, "Spec", "settings"),
            ("log", self.log_text, "Log", "log"),
            *self._extra_tabs,
        ):
            self.tab_index[key] = self.tabs.addTab(widget, icon(ico), label)

    # -- public ------------------------------------------------------------------
    def add_run_tab(self, key: str, widget: QWidget, label: str, ico: str) -> None:
        """Add a tab that shows each run: ``widget`` has ``applies_to(result)`` and ``show_run(record)``."""
        self._extra_tabs.append((key, widget, label, ico))
        if self._plots_built:
            self.tab_index[key] = self.tabs.addTab(widget, icon(ico), label)
            self.tabs.setTabVisible(self.tab_index[key], False)

    def clear(self) -> None:
        self._pending_views = []
        self.record = None
        self.result = RunResult()
        self.header.setText("Select a run in the project tree to see its results")
        self.subheader.setText("")
        self.load_settings_button.setVisible(False)
        self.run_again_button.setVisible(False)
        for key in self.tab_index:
            self.tabs.setTabVisible(self.tab_index[key], key in ("metrics",))
        self.metrics_model.removeRows(0, self.metrics_model.rowCount())
        self.class_model.removeRows(0, self.class_model.rowCount())

    def _relayout_tab_bar(self) -> None:
        # QTabBar keeps the old tab positions after setTabVisible until the
        # next resize (gaps, scroll arrows, a hidden Residuals tab); setting
        # the icon size marks its layout dirty, so it is redone now.
        bar = self.tabs.tabBar()
        bar.setIconSize(bar.iconSize())
        bar.updateGeometry()

    def show_run(self, record: Any) -> None:
        """Draw every view for ``record`` (an engine RunRecord)."""
        from workbench.engine import WorkbenchError

        self._soon = None  # a run shown now replaces one waiting for its plots

        self._build_plots()
        self._pending_views = []  # a previous run's views are not drawn any more
        self.record = record
        try:
            # No result.json yet (running, interrupted): what the record says of it.
            self.result = record.result or RunResult(status=record.status)
        except WorkbenchError as exc:
            self.result = RunResult(status="failed", message=str(exc))
        r = self.result
        status = record.status
        task = r.task or "?"
        self.header.setText(display_label(record))
        self.load_settings_button.setVisible(True)
        self.run_again_button.setVisible(True)
        created = datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M")
        bits = [f"{status}", f"{record.algorithm}", task, created]
        if r.device:
            bits.append(f"device {r.device}")
        if r.total_seconds is not None:
            bits.append(f"{r.total_seconds:.1f} s")
        if r.rows:
            bits.append(f"{fmt_number(r.train_rows)} train / {fmt_number(r.test_rows)} test rows")
        if r.message:
            bits.append(r.message)
        self.subheader.setText("  ·  ".join(str(b) for b in bits))
        self.header.setToolTip(record.run_id)
        ev = r.evaluation
        visible = {
            "metrics": True,
            "confusion": ev.confusion is not None,
            "curves": bool(ev.roc or ev.pr),
            "regression": ev.sample is not None,
            "clusters": ev.clusters is not None,
            "importance": ev.importances is not None,
            "learning": ev.learning_curve is not None,
            "spec": True,
            "log": True,
        }
        for key, widget, _label, _ico in self._extra_tabs:
            visible[key] = status == "completed" and widget.applies_to(r)
            widget.show_run(record if visible[key] else None)
        current_key = next((k for k, i in self.tab_index.items() if i == self.tabs.currentIndex()), "metrics")
        for key, show in visible.items():
            self.tabs.setTabVisible(self.tab_index[key], show)
        self._relayout_tab_bar()
        if not visible.get(current_key):
            self.tabs.setCurrentIndex(self.tab_index["metrics"])
        # The view in sight is drawn now, the others one per event-loop turn
        # (or at once when their tab is picked): drawing all nine at the end
        # of a training froze the window for 70-100 ms on 2 busy cores.
        shown = next((k for k, i in self.tab_index.items() if i == self.tabs.currentIndex()), "metrics")
        self._pending_views = [shown] + [k for k in self._DRAWERS if k != shown and visible.get(k)]
        self._draw_view(self._pending_views[0])
        self._draw_pending_later()

    # Which method draws each tab ("spec" and "log" share one).
    _DRAWERS: ClassVar[dict[str, str]] = {
        "metrics": "_draw_metrics", "confusion": "_draw_confusion", "curves": "_draw_curves",
        "regression": "_draw_regression", "clusters": "_draw_clusters", "importance": "_draw_importance",
        "learning": "_draw_learning", "spec": "_draw_text", "log": "_draw_text",
    }

    @property
    def drawing(self) -> bool:
        """True while views of the shown run are still being drawn in the background.

        Only views whose tab has its widgets are drawn in the background; a
        tab never opened is built and drawn when it is picked.
        """
        return bool(self._background_views())

    def finish_drawing(self) -> None:
        """Build and draw every view still pending, now."""
        while self._pending_views:
            self._draw_view(self._pending_views[0])

    def _background_views(self) -> list[str]:
        return [k for k in self._pending_views if self.is_built(k)]

    def _draw_view(self, key: str) -> None:
        method = self._DRAWERS[key]
        self._pending_views = [k for k in self._pending_views if self._DRAWERS[k] != method]
        tab = self._lazy_tabs.get(key)
        if tab is not None:
            tab.ensure()
        getattr(self, method)()

    def _draw_pending_later(self) -> None:
        if self._background_views():
            QTimer.singleShot(0, self, self._draw_next)

    def _draw_next(self) -> None:
        pending = self._background_views()
        if pending:
            self._draw_view(pending[0])
            self._draw_pending_later()

    def _tab_changed(self, index: int) -> None:
        key = next((k for k, i in self.tab_index.items() if i == index), None)
        if key is not None and key in self._pending_views:
            self._draw_view(key)

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(self.tab_index[key])

    def is_tab_visible(self, key: str) -> bool:
        return self.tabs.isTabVisible(self.tab_index[key])

    # -- views -----------------------------------------------------------------------
    def _draw_metrics(self) -> None:
        r = self.result
        m = self.metrics_model
        m.removeRows(0, m.rowCount())
        cv = r.cv_scores
        metrics = dict(r.metrics)
        if not metrics and self.record is not None:
            metrics = dict(self.record.metrics or {})
        # Only a completed run was scored on its test rows; a cancelled or
        # failed one shows what it last reported (validation during the fit).
        m.setHorizontalHeaderItem(1, QStandardItem("Test" if r.status == "completed" else "Last reported"))
        baseline = r.baseline_metrics()
        for name in list(metrics) + [k for k in cv if k not in metrics]:
            c = cv.get(name)
            m.appendRow([text_item(name), number_item(metrics.get(name)),
                         number_item(c and c.mean), number_item(c and c.std), number_item(baseline.get(name))])
        self.metrics_table.setColumnHidden(2, not cv)
        self.metrics_table.setColumnHidden(3, not cv)
        self._draw_baseline(metrics)
        cm = self.class_model
        cm.removeRows(0, cm.rowCount())
        per_class = r.evaluation.per_class
        for row in per_class:
            cm.appendRow([text_item(row.label), number_item(row.precision),
                          number_item(row.recall), number_item(row.f1), number_item(row.support)])
        self.class_table.setVisible(bool(per_class))

    def _draw_baseline(self, metrics: dict[str, Any]) -> None:
        baseline = self.result.baseline_metrics()
        task = self.result.task
        self.metrics_table.setColumnHidden(4, not baseline)
        if not baseline or task not in ("classification", "regression"):
            self.baseline_label.setVisible(False)
            return
        from workbench.engine import beats_baseline

        good, sentence = beats_baseline(task, metrics, baseline)
        self.baseline_label.setText(sentence if good else f"⚠ {sentence}")
        self.baseline_label.setStyleSheet("" if good else "background:#fff4e5; border-left:4px solid #e69500; padding:4px;")
        self.baseline_label.setVisible(bool(sentence))

    def _draw_confusion(self) -> None:
        conf = self.result.evaluation.confusion
        if conf is None:
            return
        labels = [str(x) for x in conf.labels]
        if self.show_counts.isChecked():
            self.confusion.set_matrix(conf.counts, labels, labels, fmt="{:.0f}", x_label="predicted",
                                      y_label="actual")
        else:
            norm = np.array([[np.nan if v is None else v for v in row] for row in conf.normalized], float)
            self.confusion.set_matrix(norm, labels, labels, levels=(0.0, 1.0), fmt="{:.2f}",
                                      x_label="predicted", y_label="actual")

    def _draw_curves(self) -> None:
        ev = self.result.evaluation
        for plot, key, curves, score_name in (
            (self.roc_plot, "roc", ev.roc, "AUC"),
            (self.pr_plot, "pr", ev.pr, "AP"),
        ):
            item = plot.getPlotItem()
            item.clear()
            reset_ticks(item)
            if not curves:
                empty_message(plot, "No curve for this run")
                continue
            if key == "roc":
                item.addItem(pg.PlotDataItem([0, 1], [0, 1], pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine)))
            for i, c in enumerate(curves[:10]):
                name = f"{c.label} ({score_name} {fmt_number(c.score)})"
                item.addItem(pg.PlotDataItem(c.x, c.y, name=name,
                                             pen=pg.mkPen(SERIES_COLORS[i % len(SERIES_COLORS)], width=2)))
            item.setRange(xRange=(0, 1), yRange=(0, 1.02))

    def _confusion_cell(self, row: int, column: int) -> None:
        conf = self.result.evaluation.confusion
        labels = conf.labels if conf else []
        if row < len(labels) and column < len(labels):
            self.confusionCellClicked.emit(str(labels[row]), str(labels[column]))

    def _draw_regression(self) -> None:
        ev = self.result.evaluation
        sample = ev.sample
        for p in (self.scatter_plot, self.residual_plot, self.residual_hist):
            p.getPlotItem().clear()
            reset_ticks(p.getPlotItem())
        if sample is None:
            return
        y_true = np.array([np.nan if v is None else v for v in sample.y_true], float)
        y_pred = np.array([np.nan if v is None else v for v in sample.y_pred], float)
        resid = np.array([np.nan if v is None else v for v in sample.residual], float)
        brush = pg.mkBrush(SERIES_COLORS[0] + "80")
        self.scatter_plot.plot(y_true, y_pred, pen=None, symbol="o", symbolSize=5, symbolBrush=brush, symbolPen=None)
        from workbench.gui.drilldown import add_selection_box

        self.selection_box = add_selection_box(self.scatter_plot, y_true, y_pred, self.regressionBoxSelected.emit)
        if y_true.size:
            lo = float(np.nanmin([y_true.min(), y_pred.min()]))
            hi = float(np.nanmax([y_true.max(), y_pred.max()]))
            self.scatter_plot.plot([lo, hi], [lo, hi], pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self.residual_plot.plot(y_pred, resid, pen=None, symbol="o", symbolSize=5, symbolBrush=brush, symbolPen=None)
        self.residual_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine)))
        hist = ev.histogram
        if hist is not None:
            self.residual_hist.plot(hist.edges, hist.counts, stepMode="center", fillLevel=0,
                                    brush=SERIES_COLORS[1] + "99", pen=pg.mkPen(SERIES_COLORS[1]))
        n_total = sample.n_total
        if n_total and n_total > len(y_true):
            self.scatter_plot.getPlotItem().setTitle(f"Predicted vs actual ({len(y_true):,} of {n_total:,} rows)")

    def _draw_clusters(self) -> None:
        clusters = self.result.evaluation.clusters
        if clusters is None:
            return
        labels = [str(c) for c in clusters.labels]
        bar_chart(self.cluster_plot, labels, clusters.sizes, color=SERIES_COLORS[2])

    def _draw_importance(self) -> None:
        imp = self.result.evaluation.importances
        if imp is None:
            return
        top = sorted(imp.values.items(), key=lambda kv: abs(kv[1]), reverse=True)[:25][::-1]
        bar_chart(self.importance_plot, [k for k, _ in top], [v for _, v in top], horizontal=True)
        method = imp.method
        self.importance_plot.getPlotItem().setTitle(
            "Feature importance" + (f" ({method})" if method else ""))

    def _draw_learning(self) -> None:
        lc = self.result.evaluation.learning_curve
        item = self.learning_plot.getPlotItem()
        item.clear()
        reset_ticks(item)
        if lc is None:
            return
        sizes = np.array([np.nan if v is None else v for v in lc.train_sizes], float)
        for i, (split, means, stds) in enumerate((("train", lc.train_mean, lc.train_std),
                                                  ("valid", lc.valid_mean, lc.valid_std))):
            mean = np.array([np.nan if v is None else v for v in means], float)
            std = np.array([0 if v is None else v for v in (stds or [0] * len(mean))], float)
            if not mean.size:
                continue
            color = SERIES_COLORS[i]
            upper = pg.PlotDataItem(sizes, mean + std, pen=None)
            lower = pg.PlotDataItem(sizes, mean - std, pen=None)
            item.addItem(upper)
            item.addItem(lower)
            item.addItem(pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(color + "33")))
            item.addItem(pg.PlotDataItem(sizes, mean, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=6,
                                         symbolBrush=color, name="training" if split == "train" else "validation"))
        item.setLabel("left", lc.metric)

    def _draw_text(self) -> None:
        from workbench.engine import WorkbenchError

        try:
            spec = self.record.spec.to_json()
        except WorkbenchError as exc:
            spec = str(exc)
        self.spec_text.setPlainText(spec)
        lines = []
        for e in self.record.events():
            stamp = datetime.fromtimestamp(e.t).strftime("%H:%M:%S")
            if e.kind == "log":
                lines.append(f"{stamp} {e.level:<7} {e.message}")
            elif e.kind == "iteration":
                vals = ", ".join(f"{s}_{k}={v:.4g}" for s, d in (("train", e.train), ("valid", e.valid))
                                 for k, v in d.items() if v is not None)
                lines.append(f"{stamp} iter    {e.step}: {vals}")
            elif e.kind == "progress":
                continue
            else:
                lines.append(f"{stamp} {e.kind:<7} {json.dumps(e.to_dict(), default=str)[:300]}")
        self.log_text.setPlainText("\n".join(lines))


