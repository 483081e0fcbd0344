"""LightGBM and CatBoost through a real run: live curves, early stopping, device, importances, ONNX."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quality_helpers import project_with, train_run

SMALL = {"lightgbm": {"n_estimators": 200, "learning_rate": 0.3}, "catboost": {"iterations": 200, "learning_rate": 0.3}}


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    city = rng.choice(["north", "south", "east"], n)
    score = x[:, 0] + 0.5 * x[:, 1] + (city == "north") + rng.normal(0, 0.8, n)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "city": city,
                         "label": np.where(score > 0.4, "yes", "no"), "amount": 10 * score})


@pytest.mark.parametrize("key", ["lightgbm", "catboost"])
@pytest.mark.parametrize(("target", "task"), [("label", "classification"), ("amount", "regression")])
def test_run_stops_early_records_device_importances_and_exports(key, target, task, tmp_path):
    pytest.importorskip(key)
    from workbench.engine.model import TrainedModel
    from workbench.engine.onnx.run_export import export_run

    project = project_with(tmp_path, _frame())
    ignore = ["amount"] if target == "label" else ["label"]
    result, logs = train_run(project, key, target, ignore=ignore,
                             params={**SMALL[key], "early_stopping_rounds": 5}, device="cpu")
    assert result["status"] == "completed" and result["task"] == task
    history = result["history"]
    assert history and history[-1]["train"] and history[-1]["valid"]  # live train + valid curves
    assert result["n_iterations"] < 200 and result["best_iteration"] is not None  # stopped early
    assert result["device"] == "cpu"
    assert result["metrics"]["accuracy" if task == "classification" else "r2"] > (
        result["baseline"]["accuracy" if task == "classification" else "r2"]
    )
    importances = result["evaluation"]["importances"]
    assert importances["method"] == "native" and set(importances["values"]) >= {"a", "b", "city"}
    TrainedModel.load(project.runs_dir / result["run_id"])  # skops reloads it (trusted types)
    report = export_run(project.root, result["run_id"])
    assert report["parity"]["within_tolerance"], report["parity"]


@pytest.mark.parametrize("key", ["lightgbm", "catboost"])
def test_balanced_classes_raise_recall_of_the_rare_class(key, tmp_path):
    pytest.importorskip(key)
    rng = np.random.default_rng(3)
    n = 600
    x = rng.normal(size=(n, 2))
    rare = (x[:, 0] + rng.normal(0, 1.0, n)) > 1.6  # about 10 % of rows
    project = project_with(tmp_path, pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "rare": np.where(rare, "y", "n")}))
    params = {"n_estimators": 40} if key == "lightgbm" else {"iterations": 40}
    plain, _ = train_run(project, key, "rare", params=params)
    balanced, _ = train_run(project, key, "rare", params={**params, "class_weight": "balanced"})
    assert balanced["metrics"]["recall"] > plain["metrics"]["recall"]


@pytest.mark.parametrize("key", ["lightgbm", "catboost"])
def test_cuda_without_a_usable_gpu_falls_back_and_records_the_cpu(key, tmp_path, monkeypatch):
    pytest.importorskip(key)
    import workbench.engine.training.device as device

    monkeypatch.setattr(device, "cuda_available", lambda refresh=False: False)
    project = project_with(tmp_path, _frame(120))
    params = {"n_estimators": 5} if key == "lightgbm" else {"iterations": 5}
    result, logs = train_run(project, key, "label", ignore=["amount"], params=params, device="cuda")
    assert result["status"] == "completed" and result["device"] == "cpu"
    assert any("could not use the GPU" in e.message for e in logs)
    assert any("fell back to the CPU" in e.message for e in logs)
