"""Live training view: loss and metric curves while a model trains.

Takes the :class:`~workbench.gui.jobs.JobsModel` and follows the newest
training job.  Iteration events only append to preallocated numpy buffers;
a 10 Hz timer pushes the buffers into curves created once (pyqtgraph's
scrolling-plot recipe: ``setData`` from a timer, clip to view, peak
downsampling) — never one redraw per event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from .icons import icon, state_icon
from .jobs import JobsModel, JobState, format_elapsed
from .plots import SERIES_COLORS, add_legend, make_plot, reset_ticks, show_message

# Metric names where lower is better: these go on the loss plot.
LOSS_NAMES = {
    "loss", "logloss", "mlogloss", "log_loss", "rmse", "mse", "mae", "rmsle", "mape",
    "error", "merror", "huber", "deviance", "inertia", "poisson-nloglik", "gamma-nloglik",
}


def is_loss(name: str) -> bool:
    return name.lower() in LOSS_NAMES or name.lower().endswith("loss")


class SeriesBuffer:
    """Growable (x, y) arrays: amortised O(1) append, a view for plotting."""

    def __init__(self, capacity: int = 256) -> None:
        self.x = np.empty(capacity, dtype=float)
        self.y = np.empty(capacity, dtype=float)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.concatenate([self.x, np.empty_like(self.x)])
            self.y = np.concatenate([self.y, np.empty_like(self.y)])
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]


class LiveTrainingView(QWidget):
    """Curves of the newest training job (or of a finished run's history)."""

    REFRESH_MS = 100
    cancelRequested = Signal(int)

    def __init__(self, jobs: JobsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.job_id: int | None = None
        self.buffers: dict[tuple[str, str, str], SeriesBuffer] = {}  # (plot, split, metric)
        self.curves: dict[tuple[str, str, str], pg.PlotDataItem] = {}
        self._dirty = False
        self._resources: dict[str, SeriesBuffer] = {}
        self._t0: float | None = None

        self.title = QLabel("No training yet — press Train on the Model tab")
        self.title.setStyleSheet("font-weight: 600; font-size: 12pt;")
        self.state = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.elapsed = QLabel()
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip("Stop this training run (Esc)")
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
        self.metric_plot.setXLink(self.loss_plot)
        self.best_lines = []
        for plot in (self.loss_plot, self.metric_plot):
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(SERIES_COLORS[2], width=1.5, style=Qt.PenStyle.DashLine),
                                   label="best", labelOpts={"position": 0.55, "color": SERIES_COLORS[2], "movable": False})
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self.best_lines.append(line)

        self.resource_plot = make_plot("", "seconds", "CPU % / memory MB")
        self.resource_plot.setMinimumHeight(90)
        self.resource_plot.setMaximumHeight(130)
        add_legend(self.resource_plot)
        self.cpu_curve = self.resource_plot.plot(name="CPU %", pen=pg.mkPen(SERIES_COLORS[4], width=1.5))
        self.mem_curve = self.resource_plot.plot(name="memory MB", pen=pg.mkPen(SERIES_COLORS[5], width=1.5))
        self.resource_plot.hide()

        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        self.log.setPlaceholderText("Run log")

        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.metric_plot)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(plots)
        split.addWidget(self.resource_plot)
        split.addWidget(self.log)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(2, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(split, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(self.REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
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
        self.cancel_button.setEnabled(True)
        self.state.setPixmap(state_icon("running").pixmap(16, 16))
        self.timer.start()

    def _job_event(self, job_id: int, event: Any) -> None:
        if job_id != self.job_id:
            return
        kind = getattr(event, "kind", "")
        if kind == "iteration":
            self.add_iteration(event.step, event.train, event.valid)
        elif kind == "progress":
            self.progress.setValue(int(event.fraction * 100))
            self.progress.setFormat(f"{event.message}  %p%" if event.message else "%p%")
        elif kind == "log":
            prefix = {"warning": "⚠ ", "error": "✖ "}.get(event.level, "")
            self.log.appendPlainText(prefix + event.message)
        elif kind == "resources":
            self.add_resources(event.t, event.cpu_percent, event.rss_mb)

    def _job_finished(self, job_id: int) -> None:
        if job_id != self.job_id:
            return
        entry = self.jobs.entry(job_id)
        self.cancel_button.setEnabled(False)
        self.timer.stop()
        self.state.setPixmap(state_icon(entry.state.value).pixmap(16, 16))
        self.elapsed.setText(format_elapsed(entry.elapsed))
        self.title.setText(f"{entry.title} — {entry.state.value}")
        if entry.state == JobState.FAILED and entry.error:
            self.log.appendPlainText("✖ " + entry.error)
        if entry.state == JobState.COMPLETED:
            self.progress.setValue(100)
        self.refresh()
        self._mark_best(self._recorded_best(entry))
        if not self.buffers:
            self._no_curves()

    def _no_curves(self) -> None:
        for plot in (self.loss_plot, self.metric_plot):
            show_message(plot, "No per-iteration curves: this algorithm trains in one step.\n"
                                "See the Results tab for its scores.")

    def _recorded_best(self, entry: Any) -> int | None:
        # The run's result.json knows the best iteration the fitter reported
        # (early stopping); fall back to the lowest validation loss.
        job = entry.job
        root, run_id = getattr(job, "project_root", None), getattr(job, "run_id", None)
        if not (root and run_id):
            return None
        try:
            from workbench.engine import RunRecord

            result = RunRecord(run_id, Path(root) / "runs" / run_id).result or {}
            best = result.get("best_iteration")
            return int(best) if best is not None else None
        except Exception:  # noqa: BLE001 - the marker is a nicety
            return None

    def _cancel(self) -> None:
        if self.job_id is not None:
            self.jobs.cancel(self.job_id)
            self.cancelRequested.emit(self.job_id)

    # -- data ------------------------------------------------------------------------
    def reset(self, title: str = "") -> None:
        for (plot_name, _split, _metric), curve in self.curves.items():
            (self.loss_plot if plot_name == "loss" else self.metric_plot).removeItem(curve)
        for plot in (self.loss_plot, self.metric_plot):
            for item in list(plot.getPlotItem().items):
                if isinstance(item, pg.TextItem):  # an "empty" message
                    plot.removeItem(item)
            reset_ticks(plot.getPlotItem())
            plot.getPlotItem().enableAutoRange()
        self.loss_legend.clear()
        self.metric_legend.clear()
        self.curves.clear()
        self.buffers.clear()
        self._resources.clear()
        self._t0 = None
        self.resource_plot.hide()
        for line in self.best_lines:
            line.hide()
        self.log.clear()
        self.progress.setValue(0)
        self.elapsed.setText("")
        self.state.clear()
        self.job_id = None
        if title:
            self.title.setText(title)

    def add_iteration(self, step: int, train: dict[str, float], valid: dict[str, float]) -> None:
        for split, values in (("train", train), ("valid", valid)):
            for metric, value in values.items():
                plot = "loss" if is_loss(metric) else "metric"
                key = (plot, split, metric)
                buf = self.buffers.get(key)
                if buf is None:
                    buf = self.buffers[key] = SeriesBuffer()
                buf.append(step, value if value is not None else np.nan)
        self._dirty = True

    def add_resources(self, t: float, cpu: float, rss_mb: float) -> None:
        if self._t0 is None:
            self._t0 = t
        self._resources.setdefault("cpu", SeriesBuffer()).append(t - self._t0, cpu)
        self._resources.setdefault("mem", SeriesBuffer()).append(t - self._t0, rss_mb)
        self._dirty = True

    def refresh(self) -> None:
        """Push buffered points into the curves (timer slot; cheap when idle)."""
        if self.job_id is not None:
            try:
                self.elapsed.setText(format_elapsed(self.jobs.entry(self.job_id).elapsed))
            except KeyError:
                pass
        if not self._dirty:
            return
        self._dirty = False
        metrics = sorted({k[2] for k in self.buffers})
        for key, buf in self.buffers.items():
            curve = self.curves.get(key)
            if curve is None:
                plot_name, split, metric = key
                color = SERIES_COLORS[metrics.index(metric) % len(SERIES_COLORS)]
                style = Qt.PenStyle.DashLine if split == "train" else Qt.PenStyle.SolidLine
                plot = self.loss_plot if plot_name == "loss" else self.metric_plot
                curve = plot.plot(name=f"{metric} ({split})", pen=pg.mkPen(color, width=2, style=style))
                self.curves[key] = curve
            curve.setData(*buf.view())
        last_step = max((buf.x[buf.n - 1] for buf in self.buffers.values() if buf.n), default=None)
        if last_step is not None:
            # clipToView clips the data the auto-range sees, so the x range
            # would never grow past the first view: follow the newest step.
            self.loss_plot.setXRange(1, max(last_step, 2), padding=0.02)
        for plot_name, plot in (("loss", self.loss_plot), ("metric", self.metric_plot)):
            names = sorted({k[2] for k in self.buffers if k[0] == plot_name})
            plot.getPlotItem().setLabel("left", ", ".join(names) or ("loss" if plot_name == "loss" else "score"))
        if self._resources:
            self.resource_plot.show()
            self.cpu_curve.setData(*self._resources["cpu"].view())
            self.mem_curve.setData(*self._resources["mem"].view())
        self._mark_best(None)

    def best_step(self) -> int | None:
        """Step of the lowest validation loss seen so far."""
        for (plot, split, _metric), buf in sorted(self.buffers.items()):
            if plot == "loss" and split == "valid" and buf.n:
                x, y = buf.view()
                if np.isfinite(y).any():
                    return int(x[int(np.nanargmin(y))])
        return None

    def _mark_best(self, step: int | None) -> None:
        step = step if step is not None else self.best_step()
        for line in self.best_lines:
            if step is None:
                line.hide()
            else:
                line.setValue(step)
                line.label.setFormat(f"best {step}")
                line.show()

    def point_count(self) -> int:
        """Points drawn in the curves (tests: 'the live plot received points')."""
        return sum(len(c.xData) for c in self.curves.values() if c.xData is not None)

    # -- a finished run ------------------------------------------------------------------
    def show_history(self, title: str, history: list[dict[str, Any]], best: int | None = None) -> None:
        """Draw a recorded run's per-iteration history (not following any job)."""
        self.reset(title)
        for h in history:
            self.add_iteration(h.get("step", 0), h.get("train") or {}, h.get("valid") or {})
        self._dirty = True
        self.refresh()
        self._mark_best(best)
        if not history:
            self._no_curves()
