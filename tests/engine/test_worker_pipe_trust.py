"""The worker pipe carries JSON only; a worker builds only registered job kinds (issues 12.1, 18).

A pickle names callables and unpickling calls them.  Jobs now travel as
``{"kind", "spec"}`` and are rebuilt from the registry of job kinds, so a
message naming anything else is refused in one line and nothing a worker
receives is ever unpickled.  Hostile payloads try to create a marker file.
(The spawned worker imports this module by name for the test kinds.)
"""

from __future__ import annotations

import multiprocessing
import pickle
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from workbench.engine.jobs.kinds import ENGINE_JOB_KINDS, JOB_KINDS, DataclassJob, RefusedJob, is_portable
from workbench.engine.jobs.process import JobFailed, JobState, ProcessExecutor
from workbench.engine.jobs.worker import WorkerProcess
from workbench.engine.jobs.wire import NotPlainData, decode, encode
from workbench.engine.jobs.worker import job_message


class _MarkerBomb:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


@dataclass
class EchoJob(DataclassJob):
    kind: ClassVar[str] = "test-echo"
    text: str = ""
    title: str = "echo"

    def run(self, ctx):
        return {"text": self.text, "n": np.int64(3), "x": np.float32(0.5)}


@dataclass
class OddResultJob(DataclassJob):
    """Returns an object that is not plain data."""

    kind: ClassVar[str] = "test-odd-result"
    title: str = "odd result"

    def run(self, ctx):
        return {"callable": print}


def _read(conn, timeout: float = 60.0) -> dict:
    assert conn.poll(timeout), "no answer from the worker"
    return decode(conn.recv_bytes())


def _done(conn) -> dict:
    while True:
        message = _read(conn)
        if message["type"] == "done":
            return message


@pytest.fixture
def worker():
    w = WorkerProcess(multiprocessing.get_context("spawn"), 1, (), 1, ENGINE_JOB_KINDS.extended([EchoJob]))
    assert _read(w.conn)["type"] == "ready"
    yield w
    if w.process.is_alive():
        w.process.kill()
    w.process.join(10)
    w.conn.close()


def test_a_worker_refuses_a_kind_that_is_not_registered_in_one_line_and_carries_on(worker):
    for kind in ("builtins:exec", "os.system", "workbench.engine.jobs.kinds:JobKinds"):
        worker.conn.send_bytes(job_message("j1", {"kind": kind, "spec": {"cmd": "touch /tmp/x"}}))
        done = _done(worker.conn)
        assert done["state"] == "failed"
        message = done["failure"]["message"]
        assert message.startswith("Refused a job of kind") and "not a registered job kind" in message
        assert "\n" not in message
    worker.conn.send_bytes(job_message("j2", {"kind": "test-echo", "spec": {"text": "still here"}}))
    done = _done(worker.conn)
    assert (done["state"], done["result"]) == ("completed", {"text": "still here", "n": 3, "x": 0.5})


def test_a_spec_with_settings_its_class_does_not_have_is_refused(worker):
    worker.conn.send_bytes(job_message("j1", {"kind": "test-echo", "spec": {"text": "x", "__reduce__": "exec"}}))
    done = _done(worker.conn)
    assert done["state"] == "failed" and "has no setting '__reduce__'" in done["failure"]["message"]


def test_a_worker_never_unpickles_what_it_receives(worker, tmp_path):
    marker = tmp_path / "marker"
    worker.conn.send_bytes(pickle.dumps(_MarkerBomb(str(marker))))
    worker.process.join(20)  # not a JSON message: the worker leaves without answering
    assert worker.process.exitcode == 0
    assert not marker.exists()


def test_every_registered_kind_resolves_to_its_class():
    for kind in JOB_KINDS:
        cls = ENGINE_JOB_KINDS.resolve(kind)
        assert cls.kind == kind and callable(cls.from_dict)
    with pytest.raises(RefusedJob, match="not a registered job kind"):
        ENGINE_JOB_KINDS.build({"kind": "nope", "spec": {}})
    with pytest.raises(RefusedJob):
        ENGINE_JOB_KINDS.build(["train", {}])


def test_a_train_job_crosses_the_pipe_with_its_spec(tmp_path):
    from workbench.engine import RunSpec, TrainJob
    from workbench.engine.spec import ColumnPrep

    spec = RunSpec(dataset="d", algorithm="ridge", target="y", params={"alpha": 0.5},
                   preparation={"x": ColumnPrep(clip=(0.0, 1.0))}).validate()
    job = TrainJob(tmp_path, spec)
    assert is_portable(job)
    back = ENGINE_JOB_KINDS.build(decode(encode(ENGINE_JOB_KINDS.message(job))))
    assert type(back) is TrainJob and back.spec == spec and back.run_id == job.run_id


def test_the_app_reads_json_only():
    with pytest.raises(ValueError):
        decode(pickle.dumps(("done", "j", "completed", {}, None)))
    with pytest.raises(NotPlainData):
        encode({"result": {"callable": print}})
    assert decode(encode({"v": np.float64(1.5), "a": np.arange(2)})) == {"v": 1.5, "a": [0, 1]}


def test_a_job_that_returns_code_fails_and_the_executor_carries_on():
    with ProcessExecutor(max_concurrent=1, threads_per_job=1, warm_imports=(),
                         job_kinds=[OddResultJob, EchoJob]) as ex:
        handle = ex.submit(OddResultJob())
        with pytest.raises(JobFailed):
            handle.wait(60)
        assert handle.state is JobState.FAILED
        assert "refused" in handle.failure.message
        assert ex.run(EchoJob(text="ok"))["text"] == "ok"
