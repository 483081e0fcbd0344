"""The worker pipe rebuilds plain data and exact job classes only (issue 12.1).

A pickle names callables and unpickling calls them; "numpy." or "pandas."
prefixes admitted numpy.load and pandas.read_pickle, which run a second,
unrestricted pickle from any file.  Hostile payloads try to create a marker.
(The spawned worker imports this module by name, so jobs live at top level.)
"""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from workbench.engine.jobs.process import JobFailed, JobState, ProcessExecutor
from workbench.engine.jobs.worker import job_message, load_job, load_worker_message


class _CallsOnLoad:
    """Unpickles as ``func(*args)``."""

    def __init__(self, func, *args) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


class _MarkerBomb:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


class CarrierJob:
    """A job whose data smuggles a call."""

    title = "carrier"

    def __init__(self, extra) -> None:
        self.extra = extra

    def run(self, ctx):
        return {"status": "completed"}


class OddResultJob:
    """Returns an object that is not plain data."""

    title = "odd result"

    def run(self, ctx):
        return {"frame": _CallsOnLoad(print, "would run in the app")}


@pytest.mark.parametrize("via", ["pandas.read_pickle", "exec"])
def test_a_job_payload_that_names_a_library_call_is_refused(tmp_path, via):
    marker = tmp_path / "marker"
    if via == "exec":
        extra = _MarkerBomb(str(marker))
    else:
        bomb = tmp_path / "bomb.pkl"
        bomb.write_bytes(pickle.dumps(_MarkerBomb(str(marker))))
        extra = _CallsOnLoad(pd.read_pickle, str(bomb))
    with pytest.raises(pickle.UnpicklingError, match="may not contain"):
        load_job(pickle.dumps(CarrierJob(extra)), __name__)
    assert not marker.exists()


def test_a_payload_must_be_the_class_its_header_names():
    payload = pickle.dumps(CarrierJob(extra=[1, 2.0, "x"]))
    job = load_job(payload, __name__, "CarrierJob")
    assert job.extra == [1, 2.0, "x"]
    with pytest.raises(pickle.UnpicklingError):
        load_job(payload, __name__, "OddResultJob")
    with pytest.raises(pickle.UnpicklingError):
        load_job(pickle.dumps({"not": "a job"}), __name__, "CarrierJob")


def test_a_train_job_crosses_the_pipe_with_its_spec(tmp_path):
    from workbench.engine import RunSpec, TrainJob
    from workbench.engine.spec import ColumnPrep

    spec = RunSpec(dataset="d", algorithm="ridge", target="y", params={"alpha": 0.5},
                   preparation={"x": ColumnPrep(clip=(0.0, 1.0))}).validate()
    job = TrainJob(tmp_path, spec)
    header, _, payload = job_message("j1", pickle.dumps(job), job).partition(b"\n")
    back = load_job(payload, type(job).__module__, type(job).__qualname__)
    assert back.spec == spec and back.run_id == job.run_id


def test_the_app_refuses_a_worker_message_that_names_code(tmp_path):
    marker = tmp_path / "marker"
    with pytest.raises(pickle.UnpicklingError):
        load_worker_message(pickle.dumps(("done", "j", "completed", {"x": _MarkerBomb(str(marker))}, None)))
    assert not marker.exists()
    import numpy as np

    assert load_worker_message(pickle.dumps(("event", "j", {"v": np.float64(1.5)})))[2]["v"] == 1.5


def test_a_job_that_returns_code_fails_and_the_executor_carries_on():
    with ProcessExecutor(max_concurrent=1, threads_per_job=1, warm_imports=()) as ex:
        handle = ex.submit(OddResultJob())
        with pytest.raises(JobFailed):
            handle.wait(60)
        assert handle.state is JobState.FAILED
        assert "refused" in handle.failure.message
        assert ex.run(CarrierJob([1])) == {"status": "completed"}
