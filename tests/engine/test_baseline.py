"""Every run is measured against the majority-class / mean baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quality_helpers import project_with, train_run, warnings_in


def _noise(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Features that carry no signal and a 70/30 label: nothing can beat the majority."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n),
        "label": np.where(rng.random(n) < 0.7, "common", "rare"),
        "amount": rng.normal(50, 10, n),
    })


def test_a_model_below_the_majority_rate_is_warned_about(tmp_path):
    project = project_with(tmp_path, _noise())
    result, logs = train_run(project, "knn", "label", params={"n_neighbors": 1})
    majority = result["baseline"]["accuracy"]
    assert majority == pytest.approx(0.7, abs=0.05)
    assert result["metrics"]["accuracy"] < majority
    assert any("does not beat the baseline" in w and "accuracy" in w for w in warnings_in(logs))


def test_a_useful_model_is_not_warned_and_baseline_is_on_the_same_folds(tmp_path):
    frame = _noise()
    frame["label"] = np.where(frame["a"] + 0.1 * frame["b"] > 0.5, "common", "rare")
    project = project_with(tmp_path, frame)
    result, logs = train_run(project, "logistic_regression", "label", cv=3)
    assert result["metrics"]["accuracy"] > result["baseline"]["accuracy"]
    assert not any("baseline" in w for w in warnings_in(logs))
    assert len(result["baseline_cv"]["accuracy"]["folds"]) == 3


def test_regression_baseline_is_the_training_mean(tmp_path):
    project = project_with(tmp_path, _noise())
    result, logs = train_run(project, "baseline", "amount", ignore=["label"])
    # The baseline model IS the baseline: identical scores, and no warning that
    # it fails to beat itself (compare runs it first, every time).
    assert result["metrics"]["rmse"] == pytest.approx(result["baseline"]["rmse"])
    assert result["metrics"]["r2"] <= 0.0
    assert not any("does not beat the baseline" in w for w in warnings_in(logs))


def test_baseline_classifier_trains_and_exports(tmp_path):
    from workbench.engine.onnx.run_export import export_run

    project = project_with(tmp_path, _noise())
    result, _ = train_run(project, "baseline", "label")
    assert result["status"] == "completed"
    assert result["metrics"]["accuracy"] == pytest.approx(result["baseline"]["accuracy"])
    assert result["metrics"]["log_loss"] is not None  # prior probabilities, not a one-hot row
    report = export_run(project.root, result["run_id"])
    assert report["parity"]["within_tolerance"] and report["parity"]["label_agreement"] == 1.0
