"""Every kind of job travels as data and runs the same inline and in a worker process (issue 18).

Export, predict, a run's held-out rows, profile and drift are engine jobs
like training: a JSON-able spec (``to_dict``/``from_dict``), a JSON result,
progress and cancel through the context.  They run here on a bundled sample
project, once in this process and once in a worker.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from workbench.engine import (
    AddDatasetJob,
    DataError,
    DriftJob,
    ExportJob,
    HeldOutPredictionsJob,
    InlineExecutor,
    JOB_KINDS,
    PredictJob,
    ProcessExecutor,
    ProfileJob,
    Project,
    RunSpec,
    SpecError,
    TrainJob,
    is_portable,
)
from workbench.engine.jobs.kinds import ENGINE_JOB_KINDS
from workbench.engine.jobs.wire import decode, encode

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kinds") / "penguins_sex"
    shutil.copytree(SAMPLES / "penguins_sex", root, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    return root


@pytest.fixture(scope="module")
def run_id(project) -> str:
    spec = RunSpec(dataset="penguins", algorithm="logistic_regression", target="sex", learning_curve=False)
    return InlineExecutor().run(TrainJob(project, spec))["run_id"]


@pytest.fixture(scope="module")
def executor():
    with ProcessExecutor(max_concurrent=1, threads_per_job=1, warm_imports=()) as ex:
        yield ex


def one_of_each(project: Path, run_id: str, out: Path) -> list:
    """A job of every registered kind (what a front end would submit)."""
    from workbench.engine import (
        BinaryDiagnosticsJob,
        CompareJob,
        DaskXGBoostJob,
        ExplainJob,
        ReportJob,
        RetrainJob,
        TuneJob,
    )
    from workbench.engine.spec import ColumnPrep

    data = str(project / "data" / "penguins.csv")
    spec = RunSpec(dataset="penguins", algorithm="knn", target="sex", params={"n_neighbors": 7},
                   preparation={"bill_length_mm": ColumnPrep(clip=(30.0, 60.0))}, seed=4)
    return [
        TrainJob(project, spec),
        DaskXGBoostJob(project, RunSpec(dataset="penguins", algorithm="xgboost", target="sex"), "tcp://h:8786"),
        TuneJob(project, spec, strategy="random", n_trials=3, cv=0, space_overrides={"n_neighbors": "1:20"}),
        CompareJob(project, spec, ["knn", "logistic_regression"], cv=0, metric="accuracy", timeout=60),
        RetrainJob(project, run_id, data, append=True),
        ExportJob(project, run_id, str(out / "m.onnx")),
        PredictJob(str(out / "p.csv"), project_root=project, run_id=run_id, data_path=data, drift=True),
        HeldOutPredictionsJob(project, run_id, str(out / "rows.parquet")),
        ProfileJob(project, "penguins", "sex"),
        AddDatasetJob(project, data, "penguins_again"),
        DriftJob(data, project_root=project, run_id=run_id),
        ExplainJob(project, run_id, data, rows=2, row_offset=3, dependence=False),
        BinaryDiagnosticsJob(project, run_id, cost_fp=1.0, cost_fn=5.0),
        ReportJob(project, run_id, str(out / "r.html")),
    ]


def test_every_kind_round_trips_as_json(project, tmp_path):
    jobs = one_of_each(project, "20260101-000000-knn-abcd", tmp_path)
    assert {job.kind for job in jobs} == set(JOB_KINDS)  # a new kind gets a line above
    for job in jobs:
        assert is_portable(job)
        message = decode(encode(ENGINE_JOB_KINDS.message(job)))
        back = ENGINE_JOB_KINDS.build(message)
        assert type(back) is type(job)
        assert back.to_dict() == job.to_dict()
        assert back.title == job.title
        json.dumps(job.to_dict(), allow_nan=False)  # plain JSON values, nothing else


def test_a_spec_that_cannot_run_is_one_line_before_any_work(tmp_path):
    with pytest.raises(SpecError, match="needs a run .* or an exported .onnx model"):
        PredictJob(str(tmp_path / "p.csv"), data_path="x.csv")
    with pytest.raises(SpecError, match="one data file, or one dataset"):
        PredictJob(str(tmp_path / "p.csv"), model_path="m.onnx")


@pytest.mark.parametrize("where", ["inline", "process"])
def test_export_predict_rows_profile_and_drift_run_inline_and_in_a_worker(where, project, run_id, executor,
                                                                          tmp_path):
    ex = InlineExecutor(threads_per_job=1) if where == "inline" else executor
    data = str(project / "data" / "penguins.csv")

    events: list = []
    report = ex.submit(ExportJob(project, run_id, str(tmp_path / "m.onnx")), events.append).wait(120)
    assert Path(report["path"]).stat().st_size == report["bytes"] > 0
    assert report["parity"]["label_agreement"] == 1.0
    assert any(e.kind == "progress" and "ONNX" in e.message for e in events)

    summary = ex.run(PredictJob(str(tmp_path / "p.csv"), project_root=project, run_id=run_id, data_path=data,
                                drift=True, mark_problems=True))
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert summary["rows"] == len(predictions) == 344 and "prediction" in predictions.columns
    assert summary["problem_count"] == len(summary["problem_rows"]) > 0  # the sample has missing values
    assert summary["drift"]["drifted"] is False and summary["drift_error"] == ""

    rows = ex.run(HeldOutPredictionsJob(project, run_id, str(tmp_path / "rows.parquet")))
    assert len(pd.read_parquet(tmp_path / "rows.parquet")) == rows["rows"] == 67  # a fifth of the 333 labelled rows

    profile = ex.run(ProfileJob(project, "penguins", "sex"))
    assert (profile["target"], profile["task"]) == ("sex", "classification")
    assert profile["profile"]["rows"] == 344 and "bill_length_mm" in profile["profile"]["columns"]

    drift = ex.run(DriftJob(data, project_root=project, run_id=run_id))
    assert drift["run_id"] == run_id and not drift["drifted"]


def test_adding_a_file_runs_in_a_worker_and_a_bad_file_says_why(executor, tmp_path):
    root = tmp_path / "p"
    Project.init(root)
    good = tmp_path / "extra.csv"
    good.write_text("a,b\n1,2\n3,4\n")
    assert executor.run(AddDatasetJob(root, good)) == {"name": "extra"}
    assert "extra" in Project.open(root).datasets

    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02binary\x00garbage" * 50)
    with pytest.raises(DataError) as raised:  # the engine's own error type and message, across the pipe
        executor.run(AddDatasetJob(root, bad))
    assert "broken.csv" in str(raised.value) or "binary" in str(raised.value).lower()
    assert "broken" not in Project.open(root).datasets


def test_a_strict_prediction_names_the_bad_column_from_the_worker(project, run_id, executor, tmp_path):
    from workbench.engine import DataError

    bad = pd.read_csv(project / "data" / "penguins.csv").head(5)
    bad["bill_length_mm"] = bad["bill_length_mm"].astype(object)
    bad.loc[2, "bill_length_mm"] = "n/a?"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    job = PredictJob(str(tmp_path / "p.csv"), project_root=project, run_id=run_id, data_path=str(tmp_path / "bad.csv"))
    with pytest.raises(DataError, match="'bill_length_mm' should hold numbers but has 'n/a\\?'"):
        executor.run(job)
    assert not (tmp_path / "p.csv").exists()
