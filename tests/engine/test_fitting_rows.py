"""Which rows a model trains on, in which order, and what the run log says about it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quality_helpers import project_with, train_run, warnings_in


def _regression_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2],
                         "y": 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(0, 0.3, n)})


def test_without_early_stopping_the_model_trains_on_every_training_row(tmp_path):
    project = project_with(tmp_path, _regression_frame())
    result, logs = train_run(project, "gradient_boosting", "y", params={"n_estimators": 15})
    from workbench.engine.model import TrainedModel

    model = TrainedModel.load(project.runs_dir / result["run_id"])
    estimator = model.pipeline.named_steps["model"]
    # Each tree of a GradientBoosting model saw n_samples rows: all 160, not 144.
    assert estimator.estimators_[0, 0].tree_.n_node_samples[0] == result["rows"]["train"] == 160
    assert any("trains on all 160 training rows" in e.message for e in logs)
    assert all(not h["valid"] for h in result["history"])  # no curve drawn from unseen rows


def test_with_early_stopping_the_hold_out_is_said_in_the_log(tmp_path):
    project = project_with(tmp_path, _regression_frame())
    result, logs = train_run(project, "gradient_boosting", "y",
                             params={"n_estimators": 15, "early_stopping_rounds": 3})
    assert any("Early stopping is on: 16 of the 160 training rows" in e.message for e in logs)
    assert result["history"][-1]["valid"]


def _sorted_by_class(n: int = 240, seed: int = 1) -> pd.DataFrame:
    """A file sorted by its label, with a feature that ties a lot (kNN breaks ties by row order)."""
    rng = np.random.default_rng(seed)
    label = np.where(rng.random(n) < 0.6, "no", "yes")
    x = rng.integers(0, 3, n).astype(float)  # three values only: many equal distances
    frame = pd.DataFrame({"x": x + (label == "yes") * rng.integers(0, 2, n), "label": label})
    return frame.sort_values("label", kind="stable").reset_index(drop=True)


def test_training_rows_are_not_in_file_order(tmp_path):
    from workbench.engine.catalog import get_algorithm
    from workbench.engine.spec import RunSpec
    from workbench.engine.training.problem import build_setup, holdout_split

    frame = _sorted_by_class()
    spec = RunSpec(dataset="d", algorithm="knn", target="label")
    setup = build_setup(frame, spec, get_algorithm("knn"))
    train_idx, test_idx = holdout_split(setup, spec)
    assert not np.all(np.diff(train_idx) > 0)  # a seeded shuffle, not file order
    again, _ = holdout_split(setup, spec)
    assert np.array_equal(train_idx, again)  # ... and the same one every time
    assert np.all(np.diff(test_idx) > 0)


def test_stacking_and_calibration_use_shuffled_seeded_folds():
    from workbench.engine.catalog import BuildContext, get_algorithm

    for key, task in (("stacking", "classification"), ("stacking", "regression"), ("svm", "classification")):
        algo = get_algorithm(key)
        est = algo.factory(algo.defaults(task), BuildContext(task=task, seed=7))
        cv = est.cv
        assert cv.shuffle and cv.random_state == 7, (key, task)


def test_library_warnings_go_to_the_run_log_not_stderr(tmp_path, capfd):
    project = project_with(tmp_path, _regression_frame())
    # One coordinate-descent pass with a tiny tol cannot converge: scikit-learn warns.
    _, logs = train_run(project, "lasso", "y", params={"max_iter": 1, "tol": 1e-10, "alpha": 1e-4})
    assert any("Library warning: ConvergenceWarning" in w for w in warnings_in(logs))
    assert "ConvergenceWarning" not in capfd.readouterr().err


def test_a_slow_kernel_svm_is_estimated_before_it_starts():
    from workbench.engine.training.advice import cost_warning

    text = cost_warning("svm", {"kernel": "rbf", "probability": True}, 43_000, "classification")
    assert text and "minutes" in text and "kernel=linear" in text
    assert cost_warning("svm", {"kernel": "rbf", "probability": False}, 2_000, "classification") is None
    assert cost_warning("svm", {"kernel": "linear"}, 43_000, "classification") is None
    assert "6 times" in cost_warning("stacking", {"cv": 5}, 43_000, "regression")


def test_clustering_says_which_columns_it_used_and_flags_a_label(tmp_path):
    frame = _regression_frame()
    frame["kind"] = np.where(frame["a"] > 0, "big", "small")
    project = project_with(tmp_path, frame)
    _, logs = train_run(project, "kmeans", None, params={"n_clusters": 2})
    assert any("Clustering on 5 column(s): a, b, c, y, kind." in w and "--ignore" in w for w in warnings_in(logs))
    _, logs = train_run(project, "kmeans", None, params={"n_clusters": 2}, ignore=["kind"])
    assert any(e.message.startswith("Clustering on 4 column(s)") for e in logs)
    assert not any("Clustering on" in w for w in warnings_in(logs))
