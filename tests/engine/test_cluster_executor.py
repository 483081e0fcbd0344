"""The Dask executor against a real LocalCluster: same events, cancel, faults.

Skipped when the ``[dask]`` extra is not installed; CI installs it.
"""

from __future__ import annotations

import ctypes
import os
import time

import pytest

distributed = pytest.importorskip("distributed")

from workbench.engine import RunSpec, TrainJob  # noqa: E402
from workbench.engine.errors import Cancelled, ClusterError  # noqa: E402
from workbench.engine.jobs.cluster import DaskExecutor  # noqa: E402
from workbench.engine.jobs.events import Iteration, Log, Result  # noqa: E402
from workbench.engine.project.folder import Project  # noqa: E402
from workbench.engine.jobs.handle import JobState  # noqa: E402

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "sample_projects")


class StepJob:
    def __init__(self, steps: int = 5, delay: float = 0.0) -> None:
        self.steps, self.delay, self.title = steps, delay, "steps"

    def run(self, ctx):
        ctx.log("starting")
        for i in range(1, self.steps + 1):
            ctx.check()
            time.sleep(self.delay)
            ctx.iteration(i, {"loss": 1.0 / i}, {"loss": 1.5 / i})
        return {"status": "completed", "steps": self.steps}


class StuckJob:
    """One long C call that never polls the cancel flag."""

    title = "stuck"

    def run(self, ctx):
        ctx.log("entering C")
        ctypes.CDLL(None).sleep(60)
        return {"status": "completed"}


class DieJob:
    title = "die"

    def run(self, ctx):
        ctx.log("about to die")
        time.sleep(0.3)
        os._exit(9)


@pytest.fixture(scope="module")
def cluster():
    import dask
    from distributed import LocalCluster

    # As `workbench cluster local` does: a job that kills its worker is not
    # retried on the next one (it would kill that one too).
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit="1GiB", silence_logs=40) as lc:
        yield lc


@pytest.fixture
def executor(cluster):
    ex = DaskExecutor(cluster.scheduler_address, cancel_grace=1.0)
    yield ex
    ex.shutdown(cancel_jobs=True)


def test_events_arrive_in_order_and_the_result_matches(executor):
    events = []
    handle = executor.submit(StepJob(steps=6), events.append)
    result = handle.wait(timeout=60)
    assert result == {"status": "completed", "steps": 6}
    its = [e for e in events if isinstance(e, Iteration)]
    assert [e.step for e in its] == [1, 2, 3, 4, 5, 6]
    assert isinstance(events[-1], Result)
    assert handle.state is JobState.COMPLETED


def _seconds_to_cancel_once_it_runs(handle, first_event: type) -> float:
    """Wait for the job's first ``first_event``, cancel, and time until it has ended."""
    deadline = time.monotonic() + 30
    while not any(isinstance(e, first_event) for e in handle.events):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    t0 = time.monotonic()
    handle.cancel()
    with pytest.raises(Cancelled):
        handle.wait(timeout=20)
    return time.monotonic() - t0


def test_cancel_reaches_a_polling_job_within_seconds(executor):
    handle = executor.submit(StepJob(steps=400, delay=0.05))
    assert _seconds_to_cancel_once_it_runs(handle, Iteration) < 3.0
    assert handle.state is JobState.CANCELLED


def test_cancel_stops_a_job_stuck_in_one_c_call(executor):
    handle = executor.submit(StuckJob())
    assert _seconds_to_cancel_once_it_runs(handle, Log) < 10.0


def test_a_worker_that_dies_is_reported_as_such(executor):
    handle = executor.submit(DieJob())
    with pytest.raises(Exception) as info:
        handle.wait(timeout=90)
    assert "worker" in str(info.value).lower()
    assert handle.state is JobState.FAILED


def test_unreachable_scheduler_is_one_clear_line():
    t0 = time.monotonic()
    with pytest.raises(ClusterError) as info:
        DaskExecutor("tcp://127.0.0.1:9", connect_timeout=1.0)
    assert time.monotonic() - t0 < 10
    message = str(info.value)
    assert "127.0.0.1:9" in message and "\n" not in message


def test_a_training_run_on_the_cluster_matches_the_local_run(executor, tmp_path):
    import shutil

    src = os.path.join(SAMPLES, "penguins_sex")
    proj = tmp_path / "p"
    shutil.copytree(src, proj, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    project = Project.open(proj)
    spec = RunSpec(dataset="penguins", algorithm="xgboost", target="sex", params={"n_estimators": 30},
                   seed=1).validate()
    events = []
    remote = executor.submit(TrainJob(project.root, spec), events.append).wait(timeout=180)
    local = TrainJob(project.root, spec)
    from workbench.engine import InlineExecutor

    local_result = InlineExecutor().run(local)
    assert remote["status"] == "completed"
    assert any(isinstance(e, Iteration) for e in events)
    assert remote["metrics"]["accuracy"] == pytest.approx(local_result["metrics"]["accuracy"], abs=1e-9)
    runs = {r.run_id: r for r in Project.open(proj).runs()}
    assert runs[remote["run_id"]].status == "completed"


def test_tuning_trials_run_on_both_workers_and_keep_finished_ones(cluster, tmp_path):
    import shutil

    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)  # a worker restarted by an earlier test may still be starting

    from workbench.engine import TuneJob

    proj = tmp_path / "p"
    shutil.copytree(os.path.join(SAMPLES, "penguins_sex"), proj,
                    ignore=shutil.ignore_patterns("runs", ".workbench-cache", "tunes"))
    spec = RunSpec(dataset="penguins", algorithm="knn", target="sex", seed=3).validate()
    job = TuneJob(proj, spec, strategy="random", n_trials=8, cv=3,
                  space_overrides={"n_neighbors": "1:40"}, scheduler=cluster.scheduler_address)
    from workbench.engine import InlineExecutor

    result = InlineExecutor().run(job)
    assert result["status"] == "completed"
    assert result["n_trials"] == 8 and result["n_complete"] == 8
    assert len({t["number"] for t in result["trials"]}) == 8
    workers = {t.get("worker") for t in result["trials"]}
    assert len(workers) == 2, workers
    assert (proj / "tunes" / job.tune_id / "optuna.journal").exists()


def _partitioned_penguins(tmp_path, parts: int = 4):
    import shutil

    import pandas as pd

    proj = tmp_path / "p"
    shutil.copytree(os.path.join(SAMPLES, "penguins_sex"), proj,
                    ignore=shutil.ignore_patterns("runs", ".workbench-cache", "tunes"))
    frame = pd.read_csv(proj / "data" / "penguins.csv")
    folder = tmp_path / "penguins_parts"
    folder.mkdir()
    for i in range(parts):
        frame.iloc[i::parts].to_parquet(folder / f"part-{i}.parquet")
    return proj, folder


def test_partitioned_parquet_trains_xgboost_across_workers_and_exports(cluster, tmp_path):
    from workbench.engine import InlineExecutor, export_run
    from workbench.engine.training.distributed import DaskXGBoostJob

    proj, folder = _partitioned_penguins(tmp_path)
    project = Project.open(proj)
    entry = project.add_dataset(folder, "big", copy=False)
    assert entry.rows == 344
    spec = RunSpec(dataset="big", algorithm="xgboost", target="sex", params={"n_estimators": 40}, seed=2).validate()
    events = []
    job = DaskXGBoostJob(proj, spec, cluster.scheduler_address)
    summary = InlineExecutor().run(job, events.append)
    assert summary["status"] == "completed"
    steps = [e.step for e in events if isinstance(e, Iteration)]
    assert steps == list(range(1, 41))
    assert summary["metrics"]["accuracy"] > 0.75
    record = Project.open(proj).run(summary["run_id"])
    assert record.status == "completed" and record.result.extra["distributed"]["parts"] == 4
    report = export_run(proj, summary["run_id"])
    assert report["parity"]["label_agreement"] == 1.0, report["parity"]


def test_changed_partition_changes_the_fingerprint(tmp_path):
    from workbench.engine.data.partitioned import fingerprint_folder

    _, folder = _partitioned_penguins(tmp_path, parts=2)
    before = fingerprint_folder(folder)
    import pandas as pd

    part = pd.read_parquet(folder / "part-1.parquet")
    part.iloc[:1, 2] = 99.0
    part.to_parquet(folder / "part-1.parquet")
    assert fingerprint_folder(folder) != before
