"""Run options: validation fraction on the Model tab, "Jobs at once" in the Run menu."""

from __future__ import annotations

import threading

import pytest

from workbench.gui import settings as ui_settings
from workbench.gui.jobs import COMPUTE_LANE, FunctionJob, JobsModel, JobState
from workbench.gui.executor_setting import ExecutorSetting
from workbench.gui.main_window import TAB_MODEL, MainWindow

from .conftest import wait_idle


def test_validation_fraction_reaches_the_spec_for_iterative_learners_only(qtbot, window):
    window.tabs.setCurrentIndex(TAB_MODEL)
    roles, form = window.roles, window.model_form
    roles.target_combo.setCurrentIndex(roles.target_combo.findData("label"))
    form.select_algorithm("logistic_regression")
    assert not roles.validation_fraction.isEnabled()
    form.select_algorithm("xgboost")
    assert roles.validation_fraction.isEnabled()
    assert roles.validation_fraction.value() == pytest.approx(0.1)
    assert (roles.validation_fraction.minimum(), roles.validation_fraction.maximum()) == (0.05, 0.45)
    roles.validation_fraction.setValue(0.25)
    form.param_form.fields["n_estimators"].set_value(5)
    form.param_form.changed.emit()
    job_id = form.train()
    assert job_id is not None, form.error.text()
    assert window.jobs.entry(job_id).job.spec.validation_fraction == pytest.approx(0.25)
    wait_idle(qtbot, window.jobs)
    assert window.jobs.entry(job_id).state == JobState.COMPLETED
    run = window.project.run(window.jobs.entry(job_id).job.run_id)
    assert run.spec.validation_fraction == pytest.approx(0.25)


class FakeExecutor:
    """Stands in for the ProcessExecutor: records how it was made (no worker processes)."""

    made: list["FakeExecutor"] = []

    def __init__(self, max_concurrent=None, threads_per_job=None, **_kw):
        self.max_concurrent, self.threads_per_job = max_concurrent, threads_per_job
        self.closed = False
        FakeExecutor.made.append(self)

    def shutdown(self, wait=True, cancel_jobs=False):
        self.closed = True


@pytest.fixture
def four_cores(monkeypatch):
    import workbench.engine.jobs.threads as threads

    import workbench.engine as engine

    monkeypatch.setattr(threads, "cpu_count", lambda: 4)
    monkeypatch.setattr(engine, "cpu_count", lambda: 4)  # what the front ends import
    monkeypatch.setattr(ExecutorSetting, "process_executor_class", staticmethod(lambda: FakeExecutor))
    FakeExecutor.made = []
    ui_settings.set_executor_kind("process")


def jobs_menu_action(window, n):
    return next(a for a in window.jobs_at_once_menu.actions() if a.data() == n)


def test_jobs_at_once_is_applied_to_the_executor_and_persists(qtbot, four_cores):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: bool(FakeExecutor.made), timeout=10000)
    assert [a.data() for a in window.jobs_at_once_menu.actions()] == [1, 2, 3, 4]
    assert jobs_menu_action(window, 2).isChecked()  # default: half the cores
    first = FakeExecutor.made[-1]
    assert (first.max_concurrent, first.threads_per_job) == (2, 2)
    assert window.jobs.lane_limit(COMPUTE_LANE) == 2

    jobs_menu_action(window, 4).trigger()
    latest = FakeExecutor.made[-1]
    assert first.closed and latest is window.executor_setting.executor
    assert (latest.max_concurrent, latest.threads_per_job) == (4, 1)
    assert window.jobs.lane_limit(COMPUTE_LANE) == 4
    window.shutdown()

    again = MainWindow()
    qtbot.addWidget(again)
    assert ui_settings.jobs_at_once() == 4 and jobs_menu_action(again, 4).isChecked()
    again.shutdown()


def test_thread_worker_trains_one_at_a_time(qtbot, four_cores):
    ui_settings.set_executor_kind("thread")
    window = MainWindow()
    qtbot.addWidget(window)
    jobs_menu_action(window, 3).trigger()
    assert ui_settings.jobs_at_once() == 3
    # Thread caps are process-wide: without worker processes the lane stays at one.
    assert window.jobs.lane_limit(COMPUTE_LANE) == 1 and not FakeExecutor.made
    window.shutdown()


def test_lane_limit_runs_that_many_jobs_at_once(qtbot):
    jobs = JobsModel()
    release = threading.Event()
    jobs.set_lane_limit(COMPUTE_LANE, 2)
    ids = [jobs.submit_job(FunctionJob(f"job {i}", lambda ctx: release.wait(10)), kind="train") for i in range(3)]
    states = [jobs.entry(i).state for i in ids]
    assert states == [JobState.RUNNING, JobState.RUNNING, JobState.QUEUED]
    release.set()
    wait_idle(qtbot, jobs, timeout=10000)
    assert all(jobs.entry(i).state == JobState.COMPLETED for i in ids)
    jobs.shutdown()
