"""Live training view: loss and metric curves while a model trains.

Takes the :class:`~workbench.gui.jobs.JobsModel` and follows the newest
training job.  Iteration events only append to preallocated numpy buffers;
a 10 Hz timer pushes the buffers into curves created once (pyqtgraph's
scrolling-plot recipe: ``setData`` from a timer, clip to view, peak
downsampling) — never one redraw per event.

The GUI thread shares two cores with the fit, so a refresh does as little as
it can.  Every range change re-ticks pyqtgraph's axes and repaints the whole
plot (6–8 ms of GUI thread, the largest cost in the stall traces), so while
a run is followed the ranges hardly move: the x axis spans the steps the fit
planned (``Iteration.total``) from its first point; a loss axis starts at 0
and a score axis ends at 1 where the values allow, so a falling loss or a
rising score stays inside; otherwise a range grows by half when a curve
leaves it.  A finished run is fitted to its data once.  Labels and the
"best" marker are touched only when they change, curves are drawn without
antialiasing, and nothing is drawn while the view is hidden (it catches up
when shown).  CPU and memory go to a self-painted strip (``ResourceStrip``)
that costs next to nothing.

The loss and metric plots are panels, and a timer tick draws at most one of
them: both at once (a run starting or ending) made the worst frames of a
run.  A run's start and end only mark the panels; the ticks that follow
reset and fit them one at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.icons import icon, state_icon
from workbench.gui.jobs import JobsModel, JobState, format_elapsed
from workbench.gui.live_series import SeriesBuffer, algorithm_iterative, grown_range, is_iterative, live_anchors
from workbench.gui.plots import SERIES_COLORS, add_legend, make_plot, reset_ticks, show_message
from workbench.gui.resource_strip import ResourceStrip
from workbench.gui.widgets import ProgressBar

from workbench.engine import is_loss, preferred_loss  # the metric registry: the loss plot, the best step


class LiveTrainingView(QWidget):
    """Curves of the newest training job (or of a finished run's history)."""

    REFRESH_MS = 50  # one panel per tick: each plot redraws at most ~10 times a second
    PANELS = ("loss", "metric")
    cancelRequested = Signal(int)

    def __init__(self, jobs: JobsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.job_id: int | None = None
        self.buffers: dict[tuple[str, str, str], SeriesBuffer] = {}  # (plot, split, metric)
        self.curves: dict[tuple[str, str, str], pg.PlotDataItem] = {}
        self._drawn: dict[tuple[str, str, str], int] = {}  # points pushed into each curve
        self._ranges: dict[str, tuple[float, float] | None] = {}  # ranges this view has set
        self._labels: dict[str, str] = {}
        self._best: int | None = None
        self._live = False  # following a running job (ranges grow ahead of the data)
        self._progress: tuple[int, str] | None = None  # newest progress, shown by the timer
        self._planned = 0  # steps the followed fit planned (0: not known)
        self._one_step = False  # the job followed fits in one call (busy bar, no curves expected)
        self._metric_note: Any = None  # "losses only" message on the Metric panel
        # Panel work still to do: a reset (a new run), new data, a message.
        self._to_reset: dict[str, list[str]] = {}  # panel -> reset steps still to do
        self._stale_curves: dict[str, list[Any]] = {}  # a previous run's curves, removed with its panel
        self._dirty_panels: set[str] = set()
        self._empty_text: str | None = None  # "no curves" message, shown when the panels are drawn
        self._next_panel = 0

        self.title = QLabel("No training yet — press Train on the Model tab")
        self.title.setStyleSheet("font-weight: 600; font-size: 12pt;")
        # A long run title may be cut at 1024 px; it must not widen the window.
        self.title.setMinimumWidth(120)
        self.state = QLabel()
        self.state.setFixedSize(16, 16)
        self.progress = ProgressBar()
        self.progress.setMinimumWidth(170)  # "iteration 120/200  60%" on one line
        self.progress.setMaximumWidth(260)
        self.elapsed = QLabel()
        # Fixed sizes for what changes while a run is followed: a label whose
        # size may change re-lays out the whole view at every new second.
        self.elapsed.setFixedSize(self.elapsed.fontMetrics().horizontalAdvance("00:00:00") + 6,
                                  self.elapsed.fontMetrics().height() + 4)
        self.elapsed.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip("Stop this training run (Esc while this view has focus)")
        self.cancel_button.clicked.connect(self._cancel)
        self.cancel_button.setEnabled(False)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.state)
        head.addWidget(self.progress)
        head.addWidget(self.elapsed)
        head.addWidget(self.cancel_button)

        self.loss_plot = make_plot("Loss", "iteration", "loss")
        self.metric_plot = make_plot("Metric", "iteration", "score")
        self.loss_legend = add_legend(self.loss_plot)
        # Scores rise and losses fall: keep each legend out of its curves' way.
        self.metric_legend = add_legend(self.metric_plot, "bottom-right")
        for plot in (self.loss_plot, self.metric_plot):
            plot.setClipToView(True)
            plot.setDownsampling(mode="peak")
            plot.disableAutoRange()  # refresh() sets ranges, in steps
            # No grid: pyqtgraph draws it from the axes, which then span the
            # whole plot and repaint at every curve update (~5 % of a core
            # and most of the long frames while a fit runs).
            plot.showGrid(x=False, y=False)
            # Fixed axis sizes: a tick label one digit wider must not re-lay
            # out the whole plot on the GUI thread while a fit runs.
            plot.getPlotItem().getAxis("left").setWidth(64)
            plot.getPlotItem().getAxis("bottom").setHeight(40)
        # No setXLink: a linked range redraws both plots in the same frame;
        # each panel sets the same x range in its own tick instead.
        self.best_lines = []
        for plot in (self.loss_plot, self.metric_plot):
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(SERIES_COLORS[2], width=1.5, style=Qt.PenStyle.DashLine),
                                   label="best", labelOpts={"position": 0.55, "color": SERIES_COLORS[2], "movable": False})
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self.best_lines.append(line)

        # CPU and memory of the job: a self-painted strip of fixed height under
        # the curves (not in the splitter, so it never re-lays out the view).
        self.resources = ResourceStrip()

        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        self.log.setPlaceholderText("Run log")

        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.metric_plot)
        curves = QWidget()
        curves_layout = QVBoxLayout(curves)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        curves_layout.addWidget(plots, 1)
        curves_layout.addWidget(self.resources)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(curves)
        split.addWidget(self.log)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(split, 1)

        self.timer = QTimer(self, objectName="live-view-refresh")
        self.timer.setInterval(self.REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        jobs.jobStarted.connect(self._job_started)
        jobs.jobEvent.connect(self._job_event)
        jobs.jobFinished.connect(self._job_finished)

    # -- following a job ----------------------------------------------------------
    def _job_started(self, job_id: int) -> None:
        entry = self.jobs.entry(job_id)
        if entry.kind != "train":
            return
        self.reset(entry.title)
        self.job_id = job_id
        self._live = True
        self._one_step = not is_iterative(entry.job)
        if self._one_step:
            # Nothing to count in a one-step fit: a busy bar, not a frozen "Fitting 5%".
            self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.state.setPixmap(state_icon("running").pixmap(16, 16))
        self.timer.start()

    def _job_event(self, job_id: int, event: Any) -> None:
        if job_id != self.job_id:
            return
        kind = getattr(event, "kind", "")
        if kind == "iteration":
            self.add_iteration(event.step, event.train, event.valid, getattr(event, "total", 0))
        elif kind == "progress":
            # Shown by the timer: fits report a progress per round.
            self._progress = (int(event.fraction * 100), f"{event.message}  %p%" if event.message else "%p%")
        elif kind == "log":
            prefix = {"warning": "⚠ ", "error": "✖ "}.get(event.level, "")
            self.log.appendPlainText(prefix + event.message)
        elif kind == "resources":
            self.resources.add_sample(event.t, event.cpu_percent, event.rss_mb)

    def _job_finished(self, job_id: int) -> None:
        if job_id != self.job_id:
            return
        entry = self.jobs.entry(job_id)
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress.setRange(0, 100)
        self._show_progress()
        self._live = False
        # Fit the ranges to the whole run: the next ticks redraw one panel each.
        self._dirty_panels.update(self.PANELS)
        self.state.setPixmap(state_icon(entry.state.value).pixmap(16, 16))
        self.elapsed.setText(format_elapsed(entry.elapsed))
        self.title.setText(f"{entry.title} — {entry.state.value}")
        if entry.state == JobState.FAILED and entry.error:
            self.log.appendPlainText("✖ " + entry.error)
        if entry.state == JobState.COMPLETED:
            self.progress.setValue(100)
        self._best = self._recorded_best(entry)
        if not self.buffers:
            self._no_curves(entry.state.value, not self._one_step)
        if self.resources.sample_count < 2:
            self.resources.set_placeholder(self.resources.TOO_SHORT)
        if not self.timer.isActive():
            self.timer.start()  # it stops itself once every panel is drawn

    def _no_curves(self, state: str = "completed", iterative: bool = False) -> None:
        # Say what is true of this run: a cancelled XGBoost did not "train in one step".
        if state == "cancelled":
            text = "Cancelled before any iteration was reported."
        elif state == "failed":
            text = "The run failed before any iteration was reported: see the log below."
        elif iterative:
            text = "No per-iteration curves were recorded for this run.\nSee the Results tab for its scores."
        else:
            text = "No per-iteration curves: this algorithm trains in one step.\nSee the Results tab for its scores."
        self._empty_text = text
        self._dirty_panels.update(("loss", "metric"))

    def _recorded_best(self, entry: Any) -> int | None:
        # The run's result.json knows the best iteration the fitter reported
        # (early stopping); fall back to the lowest validation loss.
        job = entry.job
        root, run_id = getattr(job, "project_root", None), getattr(job, "run_id", None)
        if not (root and run_id):
            return None
        try:
            from workbench.engine import RunFolder

            result = RunFolder.of(root, run_id).read_result()
            best = result.best_iteration if result else None
            return int(best) if best is not None else None
        except Exception:  # noqa: BLE001 - the marker is a nicety
            return None

    def _cancel(self) -> None:
        from workbench.gui.cancel_confirm import ask_to_cancel

        if self.job_id is not None and ask_to_cancel(self, self.jobs, self.job_id):
            # Until the job ends: its worker process is stopped within about a second.
            self.cancel_button.setEnabled(False)
            self.cancelRequested.emit(self.job_id)

    # -- data ------------------------------------------------------------------------
    def reset(self, title: str = "") -> None:
        """Forget the run shown; its plots are cleared by the next ticks, one panel each."""
        for (plot_name, _split, _metric), curve in self.curves.items():
            self._stale_curves.setdefault(plot_name, []).append(curve)
        self.curves.clear()
        self.buffers.clear()
        self._drawn.clear()
        self._ranges.clear()
        self._labels.clear()
        self._planned = 0
        self.resources.clear()
        self._best = None
        self._empty_text = None
        self._to_reset = {name: list(self.RESET_STEPS) for name in self.PANELS}
        self._dirty_panels = set(self.PANELS)
        self._one_step = False
        self.progress.setRange(0, 100)
        self.log.clear()
        self._progress = None
        self.progress.setValue(0)
        self.elapsed.setText("")
        self.state.clear()
        self.job_id = None
        self._live = False
        if title:
            self.title.setText(title)
        if not self.timer.isActive():
            self.timer.start()

    # A new run clears a panel in steps, one per tick of that panel: all at
    # once cost ~13 ms of one turn (removing the old curves and their legend
    # entries ~5 ms, then both axes re-ticked in the paint ~8 ms).  An axis
    # is re-ticked only when its range, label or ticks change, so each axis
    # gets a step of its own; and when the new run's points are already
    # there, their own ranges replace the blank ones.
    RESET_STEPS = ("items", "x", "y")

    def _reset_step(self, name: str) -> None:
        """One step of clearing a panel for a new run: nothing of the previous run survives
        (curves, messages, legend, marker, label, ranges)."""
        steps = self._to_reset[name]
        step = steps.pop(0)
        if not steps or (step == "items" and any(k[0] == name for k in self.buffers)):
            del self._to_reset[name]  # the panel's own points set its ranges and label next
        plot = self.loss_plot if name == "loss" else self.metric_plot
        item = plot.getPlotItem()
        if step == "items":
            for curve in self._stale_curves.pop(name, []):
                plot.removeItem(curve)  # and from its legend
            messages = [i for i in item.items if isinstance(i, pg.TextItem)]  # "empty" messages
            for message in messages:
                plot.removeItem(message)
            if messages:
                reset_ticks(item)  # a message hid them
            (self.loss_legend if name == "loss" else self.metric_legend).clear()
            line = self.best_lines[0 if name == "loss" else 1]
            line.hide()
            line.setValue(0)
            line.label.setFormat("best")
            if name == "metric":
                self._metric_note = None  # removed with the other messages above
        elif step == "x":
            item.setXRange(0, 1, padding=0)
        else:
            item.setLabel("left", "loss" if name == "loss" else "score")
            item.setYRange(0, 1, padding=0)

    def add_iteration(self, step: int, train: dict[str, float], valid: dict[str, float], total: int = 0) -> None:
        self._planned = max(self._planned, int(total or 0))
        for split, values in (("train", train), ("valid", valid)):
            for metric, value in values.items():
                plot = "loss" if is_loss(metric) else "metric"
                key = (plot, split, metric)
                buf = self.buffers.get(key)
                if buf is None:
                    buf = self.buffers[key] = SeriesBuffer()
                buf.append(step, value if value is not None else np.nan)
                self._dirty_panels.add(plot)

    def _show_progress(self) -> None:
        if self._progress is not None:
            value, text = self._progress
            self._progress = None
            self.progress.setFormat(text)
            self.progress.setValue(value)

    def _tick(self) -> None:
        """Timer slot: the elapsed time always; a plot panel or the progress bar, only while seen."""
        if self.job_id is not None and self._live:
            try:
                self.elapsed.setText(format_elapsed(self.jobs.entry(self.job_id).elapsed))
            except KeyError:
                pass
        self._show_progress()
        if not self.isVisible():
            return  # a hidden tab costs nothing; showEvent catches up
        name = self._next_due_panel()
        if name is not None:
            self._draw_panel(name)
        elif not self._live:
            self.timer.stop()  # a finished run, every panel drawn

    def _next_due_panel(self) -> str | None:
        """The next panel (round robin) with work to do now."""
        for i in range(len(self.PANELS)):
            name = self.PANELS[(self._next_panel + i) % len(self.PANELS)]
            if name not in self._to_reset and name not in self._dirty_panels:
                continue
            self._next_panel = (self._next_panel + i + 1) % len(self.PANELS)
            return name
        return None

    @property
    def settled(self) -> bool:
        """True when every panel shows what the view holds (nothing left for the ticks)."""
        return not self._to_reset and not self._dirty_panels

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Draw every panel with work to do, now (the timer draws one step of one per tick)."""
        for name in self.PANELS:
            while name in self._to_reset or name in self._dirty_panels:
                self._draw_panel(name)

    def _draw_panel(self, name: str) -> None:
        if name in self._to_reset:
            self._reset_step(name)
            return  # the curves, in a later tick of this panel
        self._dirty_panels.discard(name)
        if not self.buffers and self._empty_text is not None:
            show_message(self.loss_plot if name == "loss" else self.metric_plot, self._empty_text)
            return
        self._draw_curves(name)

    def _x_range(self) -> tuple[float, float] | None:
        """The x range both curve panels show: the planned steps while live, else the steps drawn."""
        steps = [buf.view()[0][-1] for buf in self.buffers.values() if buf.n]
        if not steps:
            return None
        last_step = float(max(steps))
        current = self._ranges.get("x")
        if current is None or last_step > current[1]:
            # clipToView clips what auto-range would see, and auto-range
            # re-lays out the axes at every point: the planned steps, or
            # grow by half when the fit did not say how many it plans.
            if self._live and self._planned >= last_step:
                self._ranges["x"] = (1.0, max(float(self._planned), 2.0))
            else:
                grow = 1.5 if self._live else 1.0
                self._ranges["x"] = (1.0, max(10.0 if self._live else 2.0, last_step * grow))
        return self._ranges["x"]

    def _draw_curves(self, plot_name: str) -> None:
        """Push new points of one panel's curves; set its ranges and label when they change."""
        plot = self.loss_plot if plot_name == "loss" else self.metric_plot
        if not self._live:
            self._ranges.pop("x", None)  # a finished run: x fits its steps (the same at every call)
        metrics = sorted({k[2] for k in self.buffers})
        values: list[float] = []
        for key, buf in self.buffers.items():
            if key[0] != plot_name or not buf.n:
                continue
            curve = self.curves.get(key)
            if curve is None:
                _plot, split, metric = key
                color = SERIES_COLORS[metrics.index(metric) % len(SERIES_COLORS)]
                style = Qt.PenStyle.DashLine if split == "train" else Qt.PenStyle.SolidLine
                self.curves[key] = plot.plot(name=f"{metric} ({split})", antialias=False,
                                             pen=pg.mkPen(color, width=2, style=style))
                # A new curve and its legend entry cost ~5 ms: one per tick,
                # the data and ranges follow in this panel's next tick.
                self._dirty_panels.add(plot_name)
                return
            x, y = buf.view()
            if self._drawn.get(key) != buf.n:
                curve.setData(x, y)
                self._drawn[key] = buf.n
            finite = y[np.isfinite(y)]
            if finite.size:
                values += [float(finite.min()), float(finite.max())]
        x_range = self._x_range()
        x_moved = x_range is not None and self._ranges.get(f"x:{plot_name}") != x_range
        if x_moved:
            self._set_range(f"x:{plot_name}", plot, x_range, x=True)
        new = None
        if values:
            lo, hi = min(values), max(values)
            if self._live:
                # Anchors a curve moves towards: 0 under a loss, 1 over a score.
                lo, hi = live_anchors(plot_name, lo, hi)
                new = grown_range(lo, hi, self._ranges.get(plot_name), growth=0.5)
            else:  # a finished run: y fits its data
                new = grown_range(lo, hi, None)
                new = None if new == self._ranges.get(plot_name) else new
        names = sorted({k[2] for k in self.buffers if k[0] == plot_name})
        label = ", ".join(names) or ("loss" if plot_name == "loss" else "score")
        if x_moved and (new is not None or self._labels.get(plot_name) != label):
            # Each axis re-ticks in the paint after its change (~4 ms an axis):
            # the left one, in this panel's next tick.
            self._dirty_panels.add(plot_name)
        else:
            if new is not None:
                self._set_range(plot_name, plot, new)
            if self._labels.get(plot_name) != label:
                self._labels[plot_name] = label
                plot.getPlotItem().setLabel("left", label)
        if plot_name == "metric":
            self._note_losses_only()
        self._show_best(plot_name)

    def _note_losses_only(self) -> None:
        """Say why the Metric panel is empty when the learner reports losses only (XGBoost regression)."""
        losses_only = bool(self.buffers) and not any(k[0] == "metric" for k in self.buffers)
        if losses_only and self._metric_note is None:
            self._metric_note = show_message(
                self.metric_plot, "This learner reports only losses per iteration\n(see the Loss panel); "
                                  "its test scores are on the Results tab.")
        elif not losses_only and self._metric_note is not None:
            self.metric_plot.removeItem(self._metric_note)
            reset_ticks(self.metric_plot.getPlotItem())
            self._metric_note = None

    def _set_range(self, name: str, plot: pg.PlotWidget, bounds: tuple[float, float], *, x: bool = False) -> None:
        self._ranges[name] = bounds
        if x:
            plot.setXRange(*bounds, padding=0.02)
        else:
            plot.setYRange(*bounds, padding=0)

    def best_step(self) -> int | None:
        """Step of the lowest validation loss seen so far (the registry's preferred loss,
        as the run's recorded best iteration is)."""
        seen = {}
        for (plot, split, metric), buf in self.buffers.items():
            if plot == "loss" and split == "valid" and buf.n:
                x, y = buf.view()
                if np.isfinite(y).any():
                    seen[metric] = (x, y)
        name = preferred_loss(seen)
        if name is None:
            return None
        x, y = seen[name]
        return int(x[int(np.nanargmin(y))])

    def _show_best(self, plot_name: str) -> None:
        """Put one panel's "best" marker at the best step (the recorded one once the run ended)."""
        step = self._best if self._best is not None else self.best_step()
        line = self.best_lines[0 if plot_name == "loss" else 1]
        shown = (line.isVisible(), line.value() if line.isVisible() else None)
        if shown == (step is not None, step):
            return  # moving the line re-renders its label: only when it changes
        if step is None:
            line.hide()
        else:
            # Shown first: a hidden label ignores setFormat (it re-renders only
            # while visible), and the marker kept saying just "best".
            line.show()
            line.setValue(step)
            line.label.setFormat(f"best {step}")

    def point_count(self) -> int:
        """Points drawn in the curves (tests: 'the live plot received points')."""
        return sum(len(c.xData) for c in self.curves.values() if c.xData is not None)

    # -- a finished run ------------------------------------------------------------------
    def show_history(self, title: str, history: list[Any], best: int | None = None) -> None:
        """Draw a recorded run's per-iteration history (``RunResult.iterations``; not following any job)."""
        self.reset(title)
        self.resources.set_placeholder(self.resources.NOT_FOLLOWED)
        for it in history:
            self.add_iteration(it.step, it.train, it.valid)
        self._best = best
        if not history:
            self._no_curves()
        if self.isVisible():
            self.refresh()  # a run the person picked: drawn in this turn

    def show_record(self, title: str, result: Any) -> None:
        """Replay a finished run from its ``RunResult`` (history, best marker and the right empty message)."""
        history = result.iterations
        if history:
            self.show_history(title, history, result.best_iteration)
        else:
            self.reset(title)
            self.resources.set_placeholder(self.resources.NOT_FOLLOWED)
            self._no_curves(result.status, algorithm_iterative(result.algorithm))
            if self.isVisible():
                self.refresh()
