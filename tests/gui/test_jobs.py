"""The job queue: states, events relayed on the GUI thread, cancel, failures."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from PySide6.QtCore import QThread

from workbench.engine import DataError
from workbench.gui.jobs import DATA_LANE, FunctionJob, JobsModel, JobState


@pytest.fixture
def jobs(qtbot):
    model = JobsModel()
    yield model
    assert model.shutdown(timeout_s=10)


def test_job_completes_and_its_events_arrive_on_the_gui_thread(qtbot, jobs):
    seen = []
    jobs.jobEvent.connect(lambda job_id, event: seen.append((event, QThread.currentThread())))

    def work(ctx):
        for i in range(5):
            ctx.iteration(i + 1, {"loss": 1.0 / (i + 1)}, {"loss": 1.2 / (i + 1)})
        ctx.progress(1.0, "done")
        return 42

    values = []
    job_id = jobs.submit_job(FunctionJob("count", work), on_done=lambda e: values.append(e.value))
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=5000)
    entry = jobs.entry(job_id)
    assert entry.state == JobState.COMPLETED
    assert values == [42]
    assert entry.fraction == 1.0
    iterations = [e for e, _ in seen if e.kind == "iteration"]
    assert [e.step for e in iterations] == [1, 2, 3, 4, 5]
    gui_thread = jobs.thread()
    assert all(thread is gui_thread for _, thread in seen)


def test_workbench_error_fails_the_job_with_its_message(qtbot, jobs):
    def work(ctx):
        raise DataError("The file has no header row.")

    job_id = jobs.submit_job(FunctionJob("load", work))
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=5000)
    assert jobs.entry(job_id).state == JobState.FAILED
    assert jobs.entry(job_id).error == "The file has no header row."


def test_unexpected_exception_is_reported_with_traceback_not_raised(qtbot, jobs, caplog):
    def work(ctx):
        return 1 / 0

    job_id = jobs.submit_job(FunctionJob("crash", work))
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=5000)
    entry = jobs.entry(job_id)
    assert entry.state == JobState.FAILED
    assert "ZeroDivisionError" in entry.error
    assert "Traceback" in entry.traceback


def test_cancel_running_job_ends_cancelled(qtbot, jobs):
    started = threading.Event()

    def work(ctx):
        started.set()
        while True:
            ctx.check()
            time.sleep(0.005)

    job_id = jobs.submit_job(FunctionJob("forever", work))
    qtbot.waitUntil(started.is_set, timeout=5000)
    qtbot.waitUntil(lambda: jobs.entry(job_id).state == JobState.RUNNING, timeout=5000)
    assert jobs.cancel_current()
    assert jobs.entry(job_id).state == JobState.CANCELLING
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=5000)
    assert jobs.entry(job_id).state == JobState.CANCELLED


def test_one_job_per_lane_and_queued_jobs_can_be_cancelled(qtbot, jobs):
    release = threading.Event()
    order = []

    def blocking(ctx):
        order.append("first")
        while not release.is_set():
            ctx.check()
            time.sleep(0.005)

    first = jobs.submit_job(FunctionJob("first", blocking))
    second = jobs.submit_job(FunctionJob("second", lambda ctx: order.append("second")))
    third = jobs.submit_job(FunctionJob("third", lambda ctx: order.append("third")))
    other_lane = jobs.submit_job(FunctionJob("data", lambda ctx: order.append("data")), lane=DATA_LANE)
    qtbot.waitUntil(lambda: jobs.entry(other_lane).state.finished, timeout=5000)
    # The compute lane is busy: the others wait, the data lane does not.
    assert jobs.entry(second).state == JobState.QUEUED
    jobs.cancel(third)
    assert jobs.entry(third).state == JobState.CANCELLED
    release.set()
    qtbot.waitUntil(lambda: jobs.entry(second).state.finished, timeout=5000)
    assert jobs.entry(first).state == JobState.COMPLETED
    assert "third" not in order
    assert order.index("first") < order.index("second")
    assert jobs.is_idle()


def test_table_shows_state_progress_and_elapsed(qtbot, jobs):
    job_id = jobs.submit_job(FunctionJob("quick", lambda ctx: ctx.progress(0.5, "halfway")))
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=5000)
    assert jobs.rowCount() == 1
    assert jobs.index(0, 0).data() == "quick"
    assert jobs.index(0, 1).data().startswith("completed")
    assert jobs.index(0, 2).data() == 100
    assert ":" in jobs.index(0, 3).data()
    jobs.clear_finished()
    assert jobs.rowCount() == 0


def test_qt_item_model_virtuals_are_not_shadowed(jobs):
    # Views call model.submit() with no arguments when editing may end (focus
    # changes, clicks); a Python method of that name used to break that call.
    assert jobs.submit() is True
    assert jobs.rowCount() == 0


def test_a_burst_of_events_is_spread_over_event_loop_turns(qtbot, jobs):
    # A job's first seconds send a burst of events, and its end triggers the
    # run list, live view and Results: handled in one turn, that was the
    # longest frame of a run.  One drain now stops after a few ms, and a job's
    # end closes its turn; nothing is lost or reordered.
    seen = []
    jobs.jobEvent.connect(lambda job_id, event: event.kind == "iteration" and seen.append(event.step))
    queued = threading.Event()

    def work(ctx):
        for i in range(3000):
            ctx.iteration(i + 1, {"loss": 1.0})
        queued.set()
        return "done"

    values = []
    job_id = jobs.submit_job(FunctionJob("burst", work), on_done=lambda e: values.append(e.value))
    assert queued.wait(10)  # the GUI thread is not running its loop: everything waits in the queue
    time.sleep(0.2)  # ... including the job's end
    jobs._drain()  # one event-loop turn's worth
    assert 0 < len(seen) < 3000
    assert not jobs.entry(job_id).state.finished
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=10000)
    assert seen == list(range(1, 3001))
    assert values == ["done"]


def test_a_finished_local_job_does_not_keep_its_value_or_what_it_captured(qtbot):
    # The row stays in the jobs panel; the frame a "Load" returned, or the
    # frame a "Sort" captured, goes once its on_done has it: every dataset
    # opened stayed in memory while its row was listed.
    import gc
    import weakref

    class Frame:  # stands in for a DataFrame (weakly referenceable)
        pass

    jobs = JobsModel()
    captured, returned = Frame(), []
    got = []

    def work(ctx, _captured=captured):
        frame = Frame()
        returned.append(weakref.ref(frame))
        return frame

    # The session's on_done closures hold the frame they were made for, too.
    held = Frame()
    job_id = jobs.submit_job(FunctionJob("load", work),
                             on_done=lambda e, _held=held: got.append(e.value is not None))
    captured_ref, held_ref = weakref.ref(captured), weakref.ref(held)
    del captured, work, held
    qtbot.waitUntil(lambda: jobs.entry(job_id).state.finished, timeout=5000)
    gc.collect()
    assert got == [True]  # on_done had the value
    assert jobs.entry(job_id).state == JobState.COMPLETED  # the row is still listed
    assert returned[0]() is None and captured_ref() is None and held_ref() is None
    jobs.shutdown()


def test_only_jobs_a_person_can_follow_get_a_cancel_button(qtbot, jobs):
    # A preview is over in milliseconds and leaves the panel: the button made
    # for it cost up to 12 ms of the dataset click and was never seen.
    from workbench.gui.jobs_panel import JobsPanel

    panel = JobsPanel(jobs)
    qtbot.addWidget(panel)
    panel.show()
    release = threading.Event()
    preview = jobs.submit_job(FunctionJob("Preview x", lambda ctx: release.wait(5)), kind="preview", lane="preview")
    load = jobs.submit_job(FunctionJob("Load x", lambda ctx: release.wait(5)), kind="load", lane=DATA_LANE)
    qtbot.waitUntil(lambda: jobs.entry(load).state == JobState.RUNNING, timeout=5000)
    assert panel.cancel_button(preview) is None
    assert panel.cancel_button(load) is not None and panel.cancel_button(load).isVisible()
    release.set()
    qtbot.waitUntil(jobs.is_idle, timeout=5000)
    assert panel.cancel_button(load) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_a_local_job_runs_below_the_gui_thread(qtbot, jobs):
    # A frame's load in a thread of the window shared the 2 cores equally
    # with the GUI thread (and its Arrow threads inherit its nice value).
    def niceness(ctx):
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    got = []
    jobs.submit_job(FunctionJob("Load x", niceness), kind="load", lane=DATA_LANE, on_done=lambda e: got.append(e.value))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert got[0] >= min(19, gui + 10)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == gui  # the GUI thread keeps its own
