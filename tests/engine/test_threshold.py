"""A binary classifier's chosen threshold: saved with the run, used by every predictor."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from workbench.engine import (
    BinaryDiagnosticsJob, OnnxPredictor, Project, RunSpec, SpecError, TrainJob, export_run, set_threshold,
)

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    dest = tmp_path_factory.mktemp("threshold") / "penguins"
    shutil.copytree(SAMPLES / "penguins_sex", dest, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    project = Project.open(dest)
    job = TrainJob(dest, RunSpec(dataset="penguins", algorithm="logistic_regression", target="sex",
                                 n_threads=1, learning_curve=False))
    job.run()
    return project, job.run_id


def test_calibration_and_threshold_curves_cover_the_held_out_rows(run):
    project, run_id = run
    data = BinaryDiagnosticsJob(project.root, run_id, cost_fp=1, cost_fn=5).run()
    cal = data["calibration"]
    assert sum(b["count"] for b in cal["bins"]) == cal["rows"] == data["threshold"]["rows"] > 0
    curve = data["threshold"]
    assert len(curve["thresholds"]) == len(curve["precision"]) == len(curve["f1"]) == len(curve["cost"])
    # Recall can only fall as the threshold rises.
    recall = [r for r in curve["recall"] if r is not None]
    assert all(a >= b for a, b in zip(recall, recall[1:]))
    assert 0 < curve["min_cost_threshold"] < 1 and data["positive_class"] == "male"


def test_saved_threshold_changes_native_and_onnx_predictions(run):
    project, run_id = run
    record = project.run(run_id)
    export_run(project.root, run_id)
    frame = project.load_dataset("penguins").dropna(subset=["sex"])
    before = record.load_model().predict(frame)
    p_male = record.load_model().predict_proba(frame)[:, 1]
    saved = set_threshold(project.root, run_id, 0.9)
    assert saved["written"] == ["model.json", "result.json", "model.onnx"]
    after = record.load_model().predict(frame)
    expected = np.where(p_male >= 0.9, "male", "female")
    assert (after == expected).all() and (after != before).any()
    onnx_labels = OnnxPredictor(record.onnx_path).predict(frame)
    assert (onnx_labels == expected).all()
    assert record.result.threshold_value == 0.9
    # What `workbench serve` answers with, from the ONNX file or the run folder.
    from workbench.engine.serving.backends import NativeBackend, OnnxBackend

    assert (OnnxBackend(record.onnx_path).predict(frame)[0] == expected).all()
    assert (NativeBackend(project.root, run_id).predict(frame)[0] == expected).all()
    set_threshold(project.root, run_id, None)
    assert (record.load_model().predict(frame) == before).all()
    assert (OnnxPredictor(record.onnx_path).predict(frame) == before).all()
    with pytest.raises(SpecError, match="between 0 and 1"):
        set_threshold(project.root, run_id, 1.5)
