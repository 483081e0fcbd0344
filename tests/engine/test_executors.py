"""Executors: same event stream inline and in a process; cancel, crashes, limits.

The jobs are portable test kinds (dataclasses of plain values, registered
with the executors through ``job_kinds``): a worker process rebuilds them
from their JSON spec by importing this module by name.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import ClassVar

import psutil
import pytest

from workbench.engine.errors import Cancelled, DataError
from workbench.engine.jobs.events import Failure, Iteration, Log, ResourceSample, Result
from workbench.engine.jobs.kinds import DataclassJob
from workbench.engine.project.runs import RunFolderOwner
from workbench.engine.jobs.process import (
    InlineExecutor,
    JobFailed,
    JobState,
    ProcessExecutor,
)


# -- jobs ---------------------------------------------------------------------
@dataclass
class StepJob(DataclassJob):
    """An iterative job that reports metrics and checks for cancel every step."""

    kind: ClassVar[str] = "test-steps"
    steps: int = 5
    delay: float = 0.0
    title: str = "steps"

    def run(self, ctx):
        ctx.log("starting")
        for i in range(1, self.steps + 1):
            ctx.check()
            time.sleep(self.delay)
            ctx.iteration(i, {"loss": 1.0 / i}, {"loss": 1.5 / i})
            ctx.progress(i / self.steps, f"step {i}/{self.steps}")
        return {"status": "completed", "steps": self.steps, "title": self.title}


@dataclass
class BusyJob(DataclassJob):
    """One long C call that holds the GIL and never checks the cancel flag."""

    kind: ClassVar[str] = "test-busy"
    title: str = "busy"

    def run(self, ctx):
        ctx.log("entering C")
        ctypes.PyDLL(None).sleep(30)  # PyDLL: the GIL stays held
        return {"status": "completed"}


@dataclass
class CrashJob(DataclassJob):
    kind: ClassVar[str] = "test-crash"
    how: str = "abort"

    @property
    def title(self) -> str:
        return f"crash-{self.how}"

    def run(self, ctx):
        ctx.log("about to crash")
        if self.how == "abort":
            os.abort()
        ctypes.string_at(0)  # SIGSEGV
        return {}


@dataclass
class MemoryHogJob(DataclassJob):
    """Grows by 20 MB every 20 ms, up to 1.5 GB."""

    kind: ClassVar[str] = "test-hog"
    title: str = "hog"

    def run(self, ctx):
        hoard = []
        for _ in range(75):
            ctx.check()
            hoard.append(b"\x01" * (20 * 2**20))
            time.sleep(0.02)
        return {"status": "completed", "mb": 20 * len(hoard)}


@dataclass
class FailingJob(DataclassJob):
    kind: ClassVar[str] = "test-failing"
    title: str = "failing"

    def run(self, ctx):
        raise ValueError("boom")


@dataclass
class DataErrorJob(DataclassJob):
    kind: ClassVar[str] = "test-data-error"
    title: str = "bad data"

    def run(self, ctx):
        raise DataError("The file has no rows. Choose a file with data.")


@dataclass
class ThreadInfoJob(DataclassJob):
    kind: ClassVar[str] = "test-threads"
    title: str = "threads"

    def run(self, ctx):
        from workbench.engine.jobs.threads import current_thread_limit

        return {"limit": current_thread_limit(), "omp": os.environ.get("OMP_NUM_THREADS")}


@dataclass
class HugePageJob(DataclassJob):
    kind: ClassVar[str] = "test-hugepages"
    title: str = "huge pages"

    def run(self, ctx):
        from workbench.engine.jobs.pages import numpy_uses_huge_pages

        return {"advised": numpy_uses_huge_pages()}


@dataclass
class RunFolderCrashJob(DataclassJob, RunFolderOwner):
    """A training-like job (project_root + run_id) whose worker dies."""

    kind: ClassVar[str] = "test-run-dies"
    project_root: str = ""
    run_id: str = ""
    title: str = "run that dies"

    def run(self, ctx):
        os.abort()


class UnregisteredJob:
    """A job of no registered kind: it can only run in this process."""

    title = "unregistered"

    def __init__(self) -> None:
        self.callback = lambda: None

    def run(self, ctx):
        return {}


TEST_JOBS = (StepJob, BusyJob, CrashJob, MemoryHogJob, FailingJob, DataErrorJob, ThreadInfoJob, RunFolderCrashJob,
             HugePageJob)


# -- helpers ------------------------------------------------------------------
def kinds(events) -> list[str]:
    return [e.kind for e in events if not isinstance(e, ResourceSample)]


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def started_log(handle, text: str) -> bool:
    return any(isinstance(e, Log) and e.message == text for e in handle.events)


def own_children() -> list[psutil.Process]:
    """Child processes, without multiprocessing's resource tracker (one per app)."""
    children = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                children.append(child)
        except psutil.Error:
            pass
    return children


@pytest.fixture(scope="module")
def executor():
    ex = ProcessExecutor(max_concurrent=1, threads_per_job=1, warm_imports=("numpy",), job_kinds=TEST_JOBS)
    yield ex
    pids = ex.worker_pids
    ex.shutdown(wait=True, cancel_jobs=True)
    assert not any(psutil.pid_exists(pid) for pid in pids), "a worker outlived shutdown"


# -- same stream from both executors ------------------------------------------
def test_inline_and_process_give_the_same_events_and_result(executor):
    inline_events, process_events = [], []
    inline_result = InlineExecutor(threads_per_job=1).run(StepJob(), inline_events.append)
    handle = executor.submit(StepJob(), process_events.append)
    process_result = handle.wait(timeout=30)

    assert inline_result == process_result == {"status": "completed", "steps": 5, "title": "steps"}
    assert kinds(inline_events) == kinds(process_events)
    assert kinds(process_events)[-1] == "result"
    iterations = [e for e in process_events if isinstance(e, Iteration)]
    assert [e.step for e in iterations] == [1, 2, 3, 4, 5]
    assert iterations[-1].valid == {"loss": pytest.approx(0.3)}
    assert process_events[-1] == Result(payload=process_result, t=process_events[-1].t)
    assert handle.state is JobState.COMPLETED and handle.events == process_events


@pytest.mark.parametrize("make", ["inline", "process"])
def test_errors_become_failures_with_a_message_for_a_person(make, executor):
    ex = InlineExecutor() if make == "inline" else executor
    handle = ex.submit(FailingJob())
    with pytest.raises(JobFailed, match="Unexpected error: ValueError: boom"):
        handle.wait(timeout=30)
    failure = handle.events[-1]
    assert isinstance(failure, Failure) and "ValueError: boom" in failure.traceback
    assert handle.state is JobState.FAILED

    handle = ex.submit(DataErrorJob())
    with pytest.raises(DataError) as raised:  # the same error type, even across processes
        handle.wait(timeout=30)
    assert str(raised.value) == handle.error == "The file has no rows. Choose a file with data."


@pytest.mark.parametrize("make", ["inline", "process"])
def test_jobs_run_inside_their_thread_cap(make, executor):
    ex = InlineExecutor(threads_per_job=1) if make == "inline" else executor
    assert ex.run(ThreadInfoJob()) == {"limit": 1, "omp": "1"}


def test_workers_keep_numpy_arrays_off_huge_pages(executor):
    """A worker's huge-page faults slowed the window's turns 10-40x (bench/RESULTS.md, issue 19)."""
    advised = executor.run(HugePageJob())["advised"]
    if advised is None:
        pytest.skip("the kernel cannot say here (no transparent huge pages, or not Linux)")
    assert advised is False


def test_inline_cancel_from_another_thread():
    ex = InlineExecutor()
    handle = ex.create(StepJob(steps=1000, delay=0.01))
    runner = threading.Thread(target=ex.execute, args=(handle,))
    runner.start()
    wait_until(lambda: handle.state is JobState.RUNNING)
    handle.cancel()
    runner.join(timeout=5)
    assert handle.state is JobState.CANCELLED
    with pytest.raises(Cancelled):
        handle.wait()
    assert handle.events[-1] == Log(level="warning", message="Cancelled.", t=handle.events[-1].t)


# -- cancel ---------------------------------------------------------------------
def test_cancel_of_a_long_c_call_stops_within_two_seconds(executor):
    old_pids = executor.worker_pids
    handle = executor.submit(BusyJob())
    wait_until(lambda: started_log(handle, "entering C"))
    time.sleep(0.1)  # now inside sleep(30)

    start = time.monotonic()
    handle.cancel()
    with pytest.raises(Cancelled):
        handle.wait(timeout=10)
    elapsed = time.monotonic() - start

    assert elapsed < 2.5
    assert handle.state is JobState.CANCELLED
    assert not any(psutil.pid_exists(pid) for pid in old_pids)
    assert "worker process was stopped" in handle.events[-1].message
    # the pool replaced the stopped worker
    assert executor.run(StepJob(steps=2))["steps"] == 2


def test_cancel_of_a_cooperative_job_is_fast_and_keeps_the_worker(executor):
    handle = executor.submit(StepJob(steps=1000, delay=0.02))
    wait_until(lambda: any(isinstance(e, Iteration) for e in handle.events))
    pids = executor.worker_pids

    start = time.monotonic()
    handle.cancel()
    with pytest.raises(Cancelled):
        handle.wait(timeout=10)

    assert time.monotonic() - start < 0.9  # well inside the 1 s grace: no kill
    assert handle.events[-1].message == "Cancelled."
    assert executor.worker_pids == pids  # no need to kill a job that listens


def test_jobs_queue_in_fifo_order_and_a_queued_job_cancels_at_once(executor):
    handles = [executor.submit(StepJob(steps=3, delay=0.05, title=f"job {i}")) for i in range(3)]
    extra = executor.submit(StepJob(title="never"))
    assert extra.state is JobState.QUEUED
    assert extra.cancel()
    assert extra.state is JobState.CANCELLED and extra.started_at is None

    for handle in handles:
        handle.wait(timeout=30)
    assert [h.result["title"] for h in handles] == ["job 0", "job 1", "job 2"]
    for before, after in zip(handles, handles[1:]):
        assert after.started_at >= before.finished_at  # one at a time, in order
    assert kinds(extra.events) == []


# -- faults -------------------------------------------------------------------
@pytest.mark.parametrize("how, signame", [("abort", "SIGABRT"), ("segv", "SIGSEGV")])
def test_a_crashing_worker_fails_the_job_and_the_next_job_runs(executor, how, signame):
    handle = executor.submit(CrashJob(how=how))
    with pytest.raises(JobFailed) as raised:
        handle.wait(timeout=30)
    assert "worker process crashed" in str(raised.value) and signame in str(raised.value)
    assert handle.failure.error_type == "WorkerCrashed"
    assert executor.run(StepJob(steps=2))["steps"] == 2


def test_a_worker_killed_from_outside_fails_the_job(executor):
    handle = executor.submit(StepJob(steps=1000, delay=0.02))
    wait_until(lambda: handle.state is JobState.RUNNING)
    os.kill(executor.worker_pids[0], signal.SIGKILL)
    with pytest.raises(JobFailed, match=r"killed \(SIGKILL\).*out of memory"):
        handle.wait(timeout=30)
    assert executor.run(StepJob(steps=1))["steps"] == 1


def test_a_job_above_the_memory_limit_is_stopped():
    with ProcessExecutor(memory_limit_mb=200, threads_per_job=1, warm_imports=(), job_kinds=TEST_JOBS) as ex:
        handle = ex.submit(MemoryHogJob())
        with pytest.raises(JobFailed, match="exceeded the memory limit of 200 MB"):
            handle.wait(timeout=30)
        assert handle.failure.error_type == "MemoryLimitExceeded"
        assert ex.run(StepJob(steps=1))["steps"] == 1


def test_a_run_folder_gets_a_final_status_when_its_worker_dies(executor, tmp_path):
    run_folder = tmp_path / "runs" / "r-1"
    run_folder.mkdir(parents=True)
    handle = executor.submit(RunFolderCrashJob(str(tmp_path), "r-1"))
    with pytest.raises(JobFailed):
        handle.wait(timeout=30)
    result = json.loads((run_folder / "result.json").read_text())
    assert result["status"] == "failed"


# -- monitoring, API edges, clean-up --------------------------------------------
def test_resource_samples_arrive_while_a_job_runs(executor):
    handle = executor.submit(StepJob(steps=40, delay=0.05))
    handle.wait(timeout=30)
    samples = [e for e in handle.events if isinstance(e, ResourceSample)]
    assert len(samples) >= 2
    assert all(s.rss_mb > 5 for s in samples)
    assert samples[-1].gpu_percent is None  # no GPU on the test machines


def test_iter_events_streams_until_the_job_ends(executor):
    handle = executor.submit(StepJob(steps=3, delay=0.05))
    streamed = list(handle.iter_events(timeout=30))
    assert kinds(streamed) == kinds(handle.events)
    assert streamed[-1].kind == "result"


def test_a_job_of_no_registered_kind_is_refused_at_submit(executor):
    with pytest.raises(TypeError, match="cannot be sent to a worker process: .*not a registered job kind"):
        executor.submit(UnregisteredJob())
    assert InlineExecutor().run(UnregisteredJob()) == {}  # in this process, any job runs


def test_shutdown_leaves_no_child_processes(executor):
    ex = ProcessExecutor(warm_imports=(), job_kinds=TEST_JOBS)
    assert ex.run(StepJob(steps=1))["steps"] == 1
    pids = ex.worker_pids
    ex.shutdown(wait=True)
    assert pids and not any(psutil.pid_exists(pid) for pid in pids)
    others = set(executor.worker_pids)  # the shared executor's idle worker
    assert [c for c in own_children() if c.pid not in others] == []
    with pytest.raises(RuntimeError):
        ex.submit(StepJob())


class RunFolderFailingJob(RunFolderCrashJob):
    kind: ClassVar[str] = "test-run-fails"

    def run(self, ctx):
        raise ValueError("a library bug")


def test_a_failed_job_leaves_its_run_folder_failed_with_the_error(tmp_path):
    (tmp_path / "runs" / "r-2").mkdir(parents=True)
    handle = InlineExecutor().submit(RunFolderFailingJob(str(tmp_path), "r-2"))
    result = json.loads((tmp_path / "runs" / "r-2" / "result.json").read_text())
    assert (result["status"], result["message"]) == ("failed", handle.error)


def test_resource_samples_are_recorded_in_the_run_folder(tmp_path):
    """The run keeps its CPU/memory history (issue: resource monitor recorded in the run)."""
    import shutil
    from pathlib import Path

    from workbench.engine import Project, RunSpec, TrainJob
    from workbench.engine.jobs.process import ProcessExecutor

    samples = Path(__file__).resolve().parents[2] / "sample_projects" / "diabetes"
    proj = tmp_path / "diabetes"
    shutil.copytree(samples, proj, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    spec = RunSpec(dataset="diabetes", algorithm="gradient_boosting", target="progression",
                   params={"n_estimators": 400}, learning_curve=False)
    with ProcessExecutor(sample_interval=0.1) as ex:
        handle = ex.submit(TrainJob(proj, spec))
        handle.wait(120)
    record = Project.open(proj).runs()[-1]
    assert record.status == "completed"
    summary = record.resource_summary()
    assert summary is not None and summary["samples"] >= 1
    assert summary["peak_rss_mb"] > 50


def test_a_new_executor_warms_a_worker_before_any_job():
    # A front end starts its executor early so that the first fit finds the
    # imports done; `warm` says when that is so.
    import time

    with ProcessExecutor(max_concurrent=1, threads_per_job=1, warm_imports=("numpy",)) as ex:
        deadline = time.monotonic() + 60
        while not ex.warm and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ex.warm


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_a_background_thread_lowers_only_its_own_priority():
    from workbench.engine import lower_thread_priority
    from workbench.engine.jobs.threads import BACKGROUND_NICENESS

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before, seen = nice(), []
    thread = threading.Thread(target=lambda: seen.append((lower_thread_priority(), nice())))
    thread.start()
    thread.join()
    assert seen == [(True, min(19, before + BACKGROUND_NICENESS))]
    assert nice() == before


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's children lists are Linux's")
def test_a_jobs_process_tree_is_listed_without_reading_every_process(monkeypatch):
    # psutil's children(recursive=True) reads the stat file of every process
    # on the machine, in Python: ~3 ms with 66 processes here, ~20 ms on a
    # desktop with hundreds, twice a second in the window's process while a
    # fit runs.  The kernel lists each task's children directly.
    import subprocess

    from workbench.engine.jobs.resources import ProcessSampler

    grandchild = "import time; time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys, time; "
                               f"subprocess.Popen([sys.executable, '-c', {grandchild!r}]); time.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while len(psutil.Process(parent.pid).children()) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        [inner] = psutil.Process(parent.pid).children()
        sampler = ProcessSampler(os.getpid(), include_gpu=False)

        def every_process(*_args, **_kwargs):
            raise AssertionError("listed the machine's processes to find the job's")

        monkeypatch.setattr(psutil.Process, "children", every_process)
        pids = {p.pid for p in sampler._tree()}
        sample = sampler.sample()
        monkeypatch.undo()
        assert {os.getpid(), parent.pid, inner.pid} <= pids
        assert sample.rss_mb > 0
    finally:
        for proc in psutil.Process(parent.pid).children(recursive=True) + [psutil.Process(parent.pid)]:
            proc.kill()
        parent.wait(10)
