"""The live training view, driven by a fake training job's events."""

from __future__ import annotations

import math
import threading

import numpy as np
from PySide6.QtCore import Qt

from workbench.engine import ResourceSample
from workbench.gui.jobs import FunctionJob, JobsModel
from workbench.gui.live_series import SeriesBuffer, live_anchors
from workbench.gui.live_view import LiveTrainingView

from .conftest import behind_another_tab


class FakeTraining:
    """Emits ``steps`` iterations like a boosting fit, then waits for ``release``."""

    title = "Train fake"

    def __init__(self, steps: int, release: threading.Event | None = None) -> None:
        self.steps = steps
        self.release = release

    def run(self, ctx):
        for step in range(1, self.steps + 1):
            ctx.check()
            ctx.iteration(step, {"logloss": 1 / step, "accuracy": 1 - 1 / (step + 1)},
                          {"logloss": 1 / step + (step - 30) ** 2 / 5000, "accuracy": 0.9})
            if step % 50 == 0:
                ctx.emit(ResourceSample(cpu_percent=150.0, rss_mb=300.0 + step))
        while self.release is not None and not self.release.is_set():
            ctx.check()
            self.release.wait(0.01)
        return {"status": "completed"}


def test_series_buffer_grows_by_doubling():
    buf = SeriesBuffer(capacity=4)
    for i in range(10):
        buf.append(i, i * i)
    x, y = buf.view()
    assert len(buf.x) == 16
    assert x.tolist() == list(range(10)) and y[-1] == 81


def test_live_axes_anchor_a_loss_at_0_and_a_score_at_1_where_the_values_allow():
    assert live_anchors("loss", 0.2, 0.7) == (0.0, 0.7)
    assert live_anchors("loss", -3.0, 2.0) == (-3.0, 2.0)  # a loss that goes negative keeps its span
    assert live_anchors("metric", 0.8, 0.9) == (0.8, 1.0)
    assert live_anchors("metric", -2.5, 0.4) == (-2.5, 1.0)  # an R² that starts negative
    assert live_anchors("metric", 3.0, 40.0) == (3.0, 40.0)  # not a 0-1 score


def make_view(qtbot):
    jobs = JobsModel()
    view = LiveTrainingView(jobs)
    qtbot.addWidget(view)
    view.show()
    return jobs, view


def test_curves_fill_from_events_and_best_iteration_is_marked(qtbot):
    jobs, view = make_view(qtbot)
    release = threading.Event()
    job_id = jobs.submit_job(FakeTraining(300, release), kind="train")
    qtbot.waitUntil(lambda: view.point_count() >= 4 * 300, timeout=10000)
    assert view.cancel_button.isEnabled()
    # One curve per (metric, split), created once and reused.
    assert set(view.curves) == {("loss", "train", "logloss"), ("loss", "valid", "logloss"),
                                ("metric", "train", "accuracy"), ("metric", "valid", "accuracy")}
    curve = view.curves[("loss", "valid", "logloss")]
    assert view.best_step() is not None
    assert view.best_lines[0].isVisible()
    assert math.isclose(view.best_lines[0].value(), view.best_step())
    # The marker names its step (it said only "best": the label was set while hidden).
    assert view.best_lines[0].label.toPlainText() == f"best {view.best_step()}"
    # Resource samples reach the strip under the curves.
    qtbot.waitUntil(lambda: view.resources.sample_count >= 1, timeout=3000)
    release.set()
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=10000)
    assert view.curves[("loss", "valid", "logloss")] is curve
    assert not view.cancel_button.isEnabled()
    assert "completed" in view.title.text()
    assert jobs.shutdown(5)


def test_redraw_is_timer_driven_not_per_event(qtbot):
    _jobs, view = make_view(qtbot)
    view.job_id = 1  # pretend to follow a job
    for step in range(1, 1001):
        view.add_iteration(step, {"rmse": 1.0 / step}, {})
    # Nothing is drawn until the timer (or refresh) runs.
    assert view.point_count() == 0
    view.refresh()
    assert view.point_count() == 1000
    x, _y = view.curves[("loss", "train", "rmse")].getData()
    assert np.asarray(x).max() <= 1000


def test_cancel_button_cancels_the_followed_job(qtbot):
    jobs, view = make_view(qtbot)
    release = threading.Event()
    job_id = jobs.submit_job(FakeTraining(5, release), kind="train")
    qtbot.waitUntil(lambda: view.job_id == job_id and view.cancel_button.isEnabled(), timeout=5000)
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=5000)
    assert jobs.entry(job_id).state.value == "cancelled"
    assert jobs.shutdown(5)


def test_other_job_kinds_are_ignored(qtbot):
    jobs, view = make_view(qtbot)
    job_id = jobs.submit_job(FunctionJob("load", lambda ctx: ctx.iteration(1, {"loss": 1.0})), kind="load")
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=5000)
    view.refresh()
    assert view.job_id is None and view.point_count() == 0
    assert jobs.shutdown(5)


def follow_held_job(qtbot, jobs, view) -> threading.Event:
    """Start a training job that reports nothing and waits: the view follows it live."""
    release = threading.Event()
    job_id = jobs.submit_job(FakeTraining(0, release), kind="train")
    qtbot.waitUntil(lambda: view.job_id == job_id, timeout=5000)
    return release


def test_axis_ranges_change_in_steps_not_at_every_refresh(qtbot):
    # Every range change re-ticks and re-lays out the axes on the GUI thread,
    # which shares the cores with the fit: 200 refreshes must not mean 200 changes.
    jobs, view = make_view(qtbot)
    release = follow_held_job(qtbot, jobs, view)
    view.timer.stop()  # this test drives the refreshes
    changes = []
    view.loss_plot.getViewBox().sigXRangeChanged.connect(lambda *_: changes.append("x"))
    view.loss_plot.getViewBox().sigYRangeChanged.connect(lambda *_: changes.append("y"))
    for step in range(1, 201):
        view.add_iteration(step, {}, {"logloss": 0.7 * math.exp(-step / 50) + 0.1})
        view.refresh()
    assert view.point_count() == 200
    assert len(changes) < 30
    (x0, x1), (y0, y1) = view.loss_plot.getViewBox().viewRange()
    # ... yet the whole curve is in view.
    assert x0 <= 1 and x1 >= 200
    assert y0 <= 0.7 * math.exp(-200 / 50) + 0.1 and y1 >= 0.7 * math.exp(-1 / 50) + 0.1
    release.set()
    qtbot.waitUntil(lambda: jobs.is_idle() and view.settled, timeout=5000)
    # Finished: the x range fits the run (no room left for steps to come).
    assert view.loss_plot.getViewBox().viewRange()[0][1] < 220
    assert jobs.shutdown(5)


def test_a_hidden_view_draws_nothing_and_catches_up_when_shown(qtbot):
    jobs = JobsModel()
    view = LiveTrainingView(jobs)
    tabs = behind_another_tab(qtbot, view)
    release = threading.Event()
    job_id = jobs.submit_job(FakeTraining(100, release), kind="train")
    qtbot.waitUntil(lambda: view.job_id == job_id and len(view.buffers) == 4
                    and all(b.n == 100 for b in view.buffers.values()), timeout=5000)
    qtbot.wait(3 * view.REFRESH_MS)  # timer ticks while the tab is hidden
    assert view.point_count() == 0
    tabs.setCurrentWidget(view)
    assert view.point_count() == 4 * 100
    release.set()
    qtbot.waitUntil(jobs.is_idle, timeout=5000)
    assert jobs.shutdown(5)


class OneStepFit:
    """A fit that reports no iterations (like ridge), for ``seconds``, then ends."""

    title = "Train one-step"

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.spec = type("Spec", (), {"algorithm": "ridge"})()

    def run(self, ctx):
        ctx.progress(0.05, "Fitting")
        while not self.release.is_set():
            ctx.check()
            self.release.wait(0.01)
        return {"status": "completed"}


def test_each_run_gets_its_own_axes_legend_and_best_marker(qtbot):
    jobs, view = make_view(qtbot)
    first = jobs.submit_job(FakeTraining(80), kind="train")
    qtbot.waitUntil(lambda: jobs.entry(first).state.finished and view.settled, timeout=10000)
    assert view.loss_plot.getPlotItem().getAxis("left").labelText == "logloss"
    assert any(line.isVisible() for line in view.best_lines)

    # A regression one-step fit follows: nothing of the classifier's run stays.
    release = threading.Event()
    second = jobs.submit_job(OneStepFit(release), kind="train")
    qtbot.waitUntil(lambda: view.job_id == second and view.settled, timeout=10000)
    assert view.progress.maximum() == 0  # a busy bar, not a frozen "Fitting 5%"
    assert view.loss_plot.getPlotItem().getAxis("left").labelText == "loss"
    assert view.metric_plot.getPlotItem().getAxis("left").labelText == "score"
    assert not view.loss_legend.items and not view.metric_legend.items
    assert not any(line.isVisible() for line in view.best_lines)
    assert view.point_count() == 0
    release.set()
    qtbot.waitUntil(lambda: jobs.entry(second).state.finished and view.settled, timeout=10000)
    assert view.progress.maximum() == 100
    texts = [i.toPlainText() for i in view.loss_plot.getPlotItem().items if hasattr(i, "toPlainText")]
    assert any("one step" in t for t in texts)


def test_a_cancelled_iterative_run_does_not_claim_to_train_in_one_step(qtbot):
    jobs, view = make_view(qtbot)
    release = threading.Event()
    job = FakeTraining(0, release)
    job.spec = type("Spec", (), {"algorithm": "xgboost"})()
    job_id = jobs.submit_job(job, kind="train")
    qtbot.waitUntil(lambda: view.job_id == job_id, timeout=10000)
    assert view.progress.maximum() == 100  # iterations will be counted
    jobs.cancel(job_id)
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished and view.settled, timeout=10000)
    texts = [i.toPlainText() for i in view.loss_plot.getPlotItem().items if hasattr(i, "toPlainText")]
    assert texts and not any("one step" in t for t in texts)
    assert any("Cancelled" in t for t in texts)


def test_a_regression_run_with_losses_only_says_why_the_metric_panel_is_empty(qtbot):
    class Losses:
        title = "Train xgboost regression"

        def run(self, ctx):
            for step in range(1, 30):
                ctx.iteration(step, {"rmse": 10 / step, "mae": 8 / step}, {"rmse": 11 / step, "mae": 9 / step})
            return {"status": "completed"}

    jobs, view = make_view(qtbot)
    job_id = jobs.submit_job(Losses(), kind="train")
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished and view.settled, timeout=10000)
    texts = [i.toPlainText() for i in view.metric_plot.getPlotItem().items if hasattr(i, "toPlainText")]
    assert any("only losses" in t for t in texts)
    assert view.loss_plot.getPlotItem().getAxis("left").labelText == "mae, rmse"


def test_the_live_best_marker_follows_the_same_loss_as_the_recorded_best_iteration(qtbot):
    class TwoLosses:
        title = "Train xgboost regression"

        def run(self, ctx):
            for step in range(1, 20):  # RMSE is lowest at step 12, MAE at step 5
                ctx.iteration(step, {"rmse": 1.0, "mae": 1.0}, {"rmse": abs(step - 12) + 1.0, "mae": abs(step - 5) + 1.0})
            return {"status": "completed"}

    jobs, view = make_view(qtbot)
    job_id = jobs.submit_job(TwoLosses(), kind="train")
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=10000)
    # The registry's loss (RMSE before MAE), as training's best_iteration_step picks it; the
    # marker used to take the first loss by name (MAE).
    assert view.best_step() == 12


def number_the_ticks(view: LiveTrainingView, ticks: dict) -> None:
    """From now on ``ticks["now"]`` is the number of the timer tick running (None between ticks)."""

    def counted_tick():
        ticks["n"] += 1
        ticks["now"] = ticks["n"]
        try:
            view._tick()
        finally:
            ticks["now"] = None

    view.timer.timeout.disconnect()
    view.timer.timeout.connect(counted_tick)


def test_each_timer_tick_changes_at_most_one_axis_of_one_plot(qtbot):
    # Re-ranging a pyqtgraph plot re-ticks its axes and repaints it: a run's
    # start and end did it to every plot in one event-loop turn (the worst
    # GUI stalls of a run); then to one plot a tick.  An axis re-ticks (pyqtgraph measures every tick label again, ~4 ms)
    # in the paint after its range or label changes.  A run's start cleared
    # a panel's curves and set both its axes in one tick, and its first
    # points set both again: ~13-16 ms of one turn.  Now the curves' removal
    # and each axis get a tick of their own, at a run's start and end alike.
    jobs, view = make_view(qtbot)
    first = jobs.submit_job(FakeTraining(60), kind="train")
    qtbot.waitUntil(lambda: jobs.entry(first).state.finished and view.settled, timeout=10000)

    ticks = {"now": None, "n": 0}
    changes: list[tuple[int | None, str]] = []
    for name, plot in (("loss", view.loss_plot), ("metric", view.metric_plot)):
        box, item = plot.getViewBox(), plot.getPlotItem()
        box.sigXRangeChanged.connect(lambda *_, n=name: changes.append((ticks["now"], f"{n} x")))
        box.sigYRangeChanged.connect(lambda *_, n=name: changes.append((ticks["now"], f"{n} y")))
        item.getAxis("left").label.document().contentsChanged.connect(
            lambda n=name: changes.append((ticks["now"], f"{n} y")))
    removals: list[int | None] = []
    real_remove = view.loss_plot.removeItem
    view.loss_plot.removeItem = lambda curve: (removals.append(ticks["now"]), real_remove(curve))

    number_the_ticks(view, ticks)
    second = jobs.submit_job(FakeTraining(120), kind="train")
    qtbot.waitUntil(lambda: jobs.entry(second).state.finished and view.settled, timeout=10000)
    assert changes and removals, "the second run re-ranged its plots and removed the first run's curves"
    assert all(tick is not None for tick, _axis in changes), "an axis changed outside a timer tick"
    per_tick: dict[int, set[str]] = {}
    for tick, axis in changes:
        per_tick.setdefault(tick, set()).add(axis)
    assert max(len(axes) for axes in per_tick.values()) == 1, per_tick
    assert not set(removals) & set(per_tick), "the old curves went in the same tick as an axis change"
    assert {axis for _t, axis in changes} == {"loss x", "loss y", "metric x", "metric y"}
    assert jobs.shutdown(5)


class PlannedFit:
    """A boosting-like fit that says how many rounds it plans (``Iteration.total``), at a human pace."""

    title = "Train planned"

    def __init__(self, total: int, pause: float = 0.012) -> None:
        self.total = total
        self.pause = pause

    def run(self, ctx):
        import time as _time

        for step in range(1, self.total + 1):
            ctx.check()
            ctx.iteration(step, {"logloss": 0.7 * 0.98 ** step + 0.1, "accuracy": 0.8 + 0.15 * (1 - 0.98 ** step)},
                          {"logloss": 0.7 * 0.98 ** step + 0.15, "accuracy": 0.78 + 0.15 * (1 - 0.98 ** step)},
                          total=self.total)
            _time.sleep(self.pause)
        return {"status": "completed"}


def test_a_followed_run_sets_its_axes_once_instead_of_following_the_curves(qtbot):
    # Every range change re-ticks pyqtgraph's axes and repaints the plot on
    # the GUI thread (6-8 ms each).  The x axis used to grow by half as the
    # steps passed it (10, 15, 22, ... 200: 9 changes a plot per run) and the
    # y axes followed the curves; now the planned steps fix x from the first
    # point, and a falling loss / rising score stays inside a range anchored
    # at 0 / 1.
    jobs, view = make_view(qtbot)
    changes: dict[str, list[tuple]] = {"loss": [], "metric": []}
    for name, plot in (("loss", view.loss_plot), ("metric", view.metric_plot)):
        plot.getViewBox().sigRangeChanged.connect(
            lambda _vb, ranges, *_, n=name: view._live and changes[n].append(tuple(map(tuple, ranges))))
    job_id = jobs.submit_job(PlannedFit(150), kind="train")
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished and view.settled, timeout=20000)
    for name, seen in changes.items():
        # The reset to (0, 1), then the planned range: nothing while the curves grow.
        assert len(seen) <= 3, f"{name}: the axes moved {len(seen)} times while the run was followed: {seen}"
        assert seen[-1][0][1] >= 150, f"{name}: the x axis does not span the planned 150 steps: {seen[-1]}"
    assert jobs.shutdown(5)


def test_the_progress_bar_paints_with_the_next_frame_not_inside_set_value(qtbot):
    # QProgressBar.setValue repaints at once, and a repaint paints every dirty
    # widget of the window: the live plots changed in the same tick were
    # painted inside it.  Ours waits for the next frame like any update().
    from workbench.gui.widgets import ProgressBar

    from .conftest import PaintCounter

    bar = ProgressBar()
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    paints = PaintCounter(bar)
    qtbot.wait(50)
    paints.n = 0
    bar.setValue(40)
    assert paints.n == 0, "setValue painted the bar (and the window's dirty widgets) at once"
    qtbot.waitUntil(lambda: paints.n > 0, timeout=2000)
    assert bar.value() == 40


def test_the_resource_strip_shows_the_jobs_cpu_and_memory(qtbot):
    jobs, view = make_view(qtbot)
    job_id = jobs.submit_job(FakeTraining(200), kind="train")
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=10000)
    qtbot.waitUntil(lambda: view.resources.sample_count >= 4, timeout=3000)
    assert "CPU 150 %" in view.resources.summary()
    assert "memory 500 MB (peak 500)" in view.resources.summary()
    image = view.resources.grab().toImage()
    assert not image.isNull() and image.height() == view.resources.height()
    # A new run starts from an empty strip (its placeholder), not the last run's lines.
    view.reset("next run")
    assert view.resources.sample_count == 0 and view.resources.summary() == ""
    assert view.resources.placeholder == view.resources.PLACEHOLDER
    # A run over before two samples says so (not "appear here while it runs").
    short = jobs.submit_job(FakeTraining(5), kind="train")
    qtbot.waitUntil(lambda: jobs.entry(short).state.finished, timeout=10000)
    assert view.resources.sample_count < 2 and view.resources.placeholder == view.resources.TOO_SHORT
    assert jobs.shutdown(5)
