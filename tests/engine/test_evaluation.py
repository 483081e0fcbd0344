"""Scores, curves, importances and learning curves from engine.evaluation."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from workbench.engine.errors import Cancelled
from workbench.engine.training.evaluation import (
    clustering_evaluation,
    cv_summary,
    evaluation_data,
    headline_metric,
    learning_curve_data,
    metric_direction,
    score_predictions,
)
from workbench.engine.jobs.events import JobContext, Progress
from workbench.engine.training.importances import feature_importances


def assert_json_safe(obj) -> None:
    # allow_nan=False: NaN/inf must already have become None.
    json.dumps(obj, allow_nan=False)


# ---------------------------------------------------------------------------
# score_predictions
# ---------------------------------------------------------------------------
def test_binary_scores_match_hand_computed_values():
    y_true = [0, 0, 1, 1, 1]
    y_pred = [0, 1, 1, 1, 0]
    p1 = np.array([0.1, 0.6, 0.8, 0.7, 0.4])
    proba = np.column_stack([1 - p1, p1])

    s = score_predictions("classification", y_true, y_pred, proba, classes=["no", "yes"])

    # class 0: precision 1/2, recall 1/2; class 1: precision 2/3, recall 2/3
    assert s["accuracy"] == pytest.approx(3 / 5)
    assert s["balanced_accuracy"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert s["f1_macro"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert s["f1_weighted"] == pytest.approx((2 * 1 / 2 + 3 * 2 / 3) / 5)
    assert s["precision"] == pytest.approx(2 / 3)  # positive class
    # 5 of the 6 (positive, negative) pairs are ordered correctly
    assert s["roc_auc"] == pytest.approx(5 / 6)
    expected_ll = -np.mean(np.log([0.9, 0.4, 0.8, 0.7, 0.4]))
    assert s["log_loss"] == pytest.approx(expected_ll)
    assert_json_safe(s)


def test_multiclass_scores_match_hand_computed_values():
    y_true = [0, 1, 2, 2]
    y_pred = [0, 2, 2, 2]
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.1, 0.2, 0.7], [0.2, 0.1, 0.7]])

    s = score_predictions("classification", y_true, y_pred, proba, classes=["a", "b", "c"])

    # per class P/R/F: a 1/1/1, b 0/0/0, c 2/3, 1, 0.8
    assert s["accuracy"] == pytest.approx(3 / 4)
    assert s["precision_macro"] == pytest.approx((1 + 0 + 2 / 3) / 3)
    assert s["recall_macro"] == pytest.approx(2 / 3)
    assert s["f1_macro"] == pytest.approx(0.6)
    assert s["f1_weighted"] == pytest.approx((1 + 0 + 2 * 0.8) / 4)
    assert s["balanced_accuracy"] == pytest.approx(2 / 3)
    assert s["roc_auc"] == pytest.approx(1.0)  # every class ranked perfectly
    assert s["log_loss"] == pytest.approx(-np.mean(np.log([0.8, 0.7, 0.7, 0.7])))
    assert "f1" not in s  # positive-class metrics are for binary problems only
    assert_json_safe(s)


def test_probabilities_of_a_model_that_missed_a_class_are_ignored_not_misread():
    # Trained without class "c": two probability columns for three classes.
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    s = score_predictions("classification", [0, 1, 2], [0, 1, 0], proba, classes=["a", "b", "c"])
    assert s["accuracy"] == pytest.approx(2 / 3)
    assert "log_loss" not in s and "roc_auc" not in s
    d = evaluation_data("classification", [0, 1, 2], [0, 1, 0], proba, classes=["a", "b", "c"])
    assert d["roc"] == []


def test_auc_omitted_without_proba_or_when_a_class_is_absent():
    assert "roc_auc" not in score_predictions("classification", [0, 1, 0], [0, 1, 1])
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    s = score_predictions("classification", [0, 1, 0], [0, 1, 0], proba, classes=["a", "b", "c"])
    assert "roc_auc" not in s
    assert "log_loss" in s


def test_regression_scores_match_hand_computed_values():
    y_true = [1.0, 2.0, 3.0, 4.0]
    y_pred = [1.5, 2.0, 2.0, 5.0]  # errors -0.5, 0, 1, -1

    s = score_predictions("regression", y_true, y_pred)

    assert s["mae"] == pytest.approx(0.625)
    assert s["mse"] == pytest.approx(0.5625)
    assert s["rmse"] == pytest.approx(0.75)
    assert s["r2"] == pytest.approx(1 - 2.25 / 5.0)
    assert s["median_ae"] == pytest.approx(0.75)
    assert s["mape"] == pytest.approx((0.5 + 0 + 1 / 3 + 1 / 4) / 4)
    assert_json_safe(s)


def test_mape_left_out_when_truth_has_zeros_and_r2_none_for_constant_truth():
    s = score_predictions("regression", [0.0, 0.0, 0.0], [0.1, -0.1, 0.0])
    assert "mape" not in s
    assert s["r2"] is None
    assert_json_safe(s)


# ---------------------------------------------------------------------------
# evaluation_data
# ---------------------------------------------------------------------------
def test_confusion_matrix_counts_and_row_normalisation():
    y_true = [0, 1, 2, 2, 2]
    y_pred = [0, 2, 2, 2, 1]
    d = evaluation_data("classification", y_true, y_pred, classes=["a", "b", "c"])

    assert d["labels"] == ["a", "b", "c"]
    assert d["confusion_matrix"]["counts"] == [[1, 0, 0], [0, 0, 1], [0, 1, 2]]
    norm = np.array(d["confusion_matrix"]["normalized"])
    assert np.allclose(norm.sum(axis=1), 1.0)
    assert norm[2].tolist() == pytest.approx([0, 1 / 3, 2 / 3])
    assert [c["support"] for c in d["per_class"]] == [1, 1, 3]
    assert d["roc"] == [] and d["pr"] == []  # no probabilities, no curves
    assert_json_safe(d)


def _noisy_binary(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.2, n), 0, 1)
    return y, np.column_stack([1 - p1, p1])


def test_binary_curves_are_downsampled_and_span_the_full_range():
    y, proba = _noisy_binary()
    d = evaluation_data("classification", y, proba.argmax(axis=1), proba, classes=[False, True], max_points=50)

    assert len(d["roc"]) == 1 and len(d["pr"]) == 1
    roc = d["roc"][0]
    assert roc["label"] is True
    assert 2 <= len(roc["fpr"]) <= 50 and len(roc["fpr"]) == len(roc["tpr"])
    assert (roc["fpr"][0], roc["tpr"][0]) == (0.0, 0.0)
    assert (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    assert np.all(np.diff(roc["fpr"]) >= 0)
    assert roc["auc"] == pytest.approx(score_predictions("classification", y, proba.argmax(1), proba)["roc_auc"])

    pr = d["pr"][0]
    assert len(pr["recall"]) <= 50 and len(pr["recall"]) == len(pr["precision"])
    assert pr["recall"][0] == 0.0 and pr["recall"][-1] == 1.0
    assert 0.5 < pr["average_precision"] <= 1.0
    assert len(json.dumps(d)) < 10_000  # stays small in result.json
    assert_json_safe(d)


def test_multiclass_curves_one_per_class():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 600)
    logits = rng.normal(0, 1, (600, 3))
    logits[np.arange(600), y] += 2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    d = evaluation_data("classification", y, proba.argmax(1), proba, classes=["x", "y", "z"], max_points=30)

    assert [c["label"] for c in d["roc"]] == ["x", "y", "z"]
    for curve in d["roc"]:
        assert len(curve["fpr"]) <= 30
        assert curve["fpr"][0] == 0.0 and curve["tpr"][-1] == 1.0
        assert 0.7 < curve["auc"] <= 1.0
    assert_json_safe(d)


def test_regression_data_has_residual_summary_sample_and_histogram():
    rng = np.random.default_rng(2)
    y_true = rng.normal(0, 1, 5000)
    y_pred = y_true + rng.normal(0.5, 0.1, 5000)  # biased model: residual mean -0.5
    d = evaluation_data("regression", y_true, y_pred)

    assert d["residuals"]["mean"] == pytest.approx(-0.5, abs=0.01)
    sample = d["sample"]
    assert len(sample["y_true"]) == len(sample["y_pred"]) == len(sample["residual"]) == 2000
    assert sample["n_total"] == 5000
    r = np.array(sample["y_true"]) - np.array(sample["y_pred"])
    assert np.allclose(r, sample["residual"])
    hist = d["histogram"]
    assert len(hist["edges"]) == len(hist["counts"]) + 1
    assert sum(hist["counts"]) == 5000
    assert_json_safe(d)


# ---------------------------------------------------------------------------
# clustering
# ---------------------------------------------------------------------------
def test_clustering_metrics_on_blobs_and_noise_counted_apart():
    from sklearn.datasets import make_blobs

    X, labels = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=0)
    labels = labels.copy()
    labels[:10] = -1
    metrics, data = clustering_evaluation(X, labels)

    assert metrics["n_clusters"] == 3
    assert metrics["silhouette"] > 0.6
    assert metrics["calinski_harabasz"] > 100
    assert 0 < metrics["davies_bouldin"] < 1
    assert data["noise"] == 10
    assert data["clusters"] == [0, 1, 2]
    assert sum(data["sizes"]) == 290
    assert metrics["noise_fraction"] == pytest.approx(10 / 300)
    assert_json_safe([metrics, data])


def test_single_cluster_has_no_silhouette():
    X = np.random.default_rng(0).normal(size=(50, 2))
    metrics, data = clustering_evaluation(X, np.zeros(50, dtype=int))
    assert metrics["silhouette"] is None and metrics["davies_bouldin"] is None
    assert data["sizes"] == [50]
    assert_json_safe([metrics, data])


# ---------------------------------------------------------------------------
# feature importances
# ---------------------------------------------------------------------------
FEATURES = ["noise_a", "color", "signal", "noise_b"]


def _frame(task, n=500, seed=0):
    """Only 'signal' matters a lot; 'color' (one-hot encoded) matters a little."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "noise_a": rng.normal(size=n).astype(np.float32),
        "color": rng.choice(np.array(["red", "green", "blue"], dtype=object), n),
        "signal": rng.normal(size=n).astype(np.float32),
        "noise_b": rng.normal(size=n).astype(np.float32),
    })
    target = 3.0 * X["signal"].to_numpy() + 0.8 * (X["color"] == "red").to_numpy() + rng.normal(0, 0.1, n)
    if task == "classification":
        return X, (target > np.median(target)).astype(int)
    return X, target


def _pipeline(estimator, *, scale=False, extra=None):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = ["noise_a", "signal", "noise_b"]
    ct = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["color"]),
         ("num", StandardScaler() if scale else "passthrough", numeric)],
    )
    prep_steps = [("columns", ct)] + ([("extra", extra)] if extra is not None else [])
    return Pipeline([("prep", Pipeline(prep_steps)), ("model", estimator)])


def _check_ranking(imp, method):
    assert imp["method"] == method
    columns = list(imp["values"])
    assert sorted(columns) == sorted(FEATURES)  # original names, no one-hot names
    values = list(imp["values"].values())
    assert values == sorted(values, reverse=True)
    assert columns[0] == "signal"
    assert columns[1] == "color"  # its one-hot columns summed back together
    assert_json_safe(imp)


def test_native_importances_of_a_forest_map_back_to_input_columns():
    from sklearn.ensemble import RandomForestRegressor

    X, y = _frame("regression")
    pipe = _pipeline(RandomForestRegressor(n_estimators=30, random_state=0, n_jobs=1)).fit(X, y)
    imp = feature_importances(pipe, X, y, FEATURES, "regression")

    _check_ranking(imp, "native")
    assert sum(imp["values"].values()) == pytest.approx(1.0)


def test_native_importances_from_linear_coefficients():
    from sklearn.linear_model import LogisticRegression

    X, y = _frame("classification")
    pipe = _pipeline(LogisticRegression(max_iter=500), scale=True).fit(X, y)
    imp = feature_importances(pipe, X, y, FEATURES, "classification")
    assert imp["method"] == "native"
    assert next(iter(imp["values"])) == "signal"


def test_permutation_importances_for_models_without_native_ones():
    from sklearn.svm import SVR

    X, y = _frame("regression")
    pipe = _pipeline(SVR(), scale=True).fit(X, y)
    imp = feature_importances(pipe, X, y, FEATURES, "regression", max_rows=300, n_repeats=3)
    _check_ranking(imp, "permutation")


def test_permutation_importances_for_a_knn_classifier():
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _frame("classification")
    pipe = _pipeline(KNeighborsClassifier(), scale=True).fit(X, y)
    imp = feature_importances(pipe, X, y, FEATURES, "classification", max_rows=300, n_repeats=2)
    assert imp["method"] == "permutation"
    assert next(iter(imp["values"])) == "signal"


def test_pca_breaks_the_column_mapping_so_permutation_is_used():
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestRegressor

    X, y = _frame("regression", n=300)
    pipe = _pipeline(RandomForestRegressor(n_estimators=10, random_state=0, n_jobs=1),
                     extra=PCA(n_components=4)).fit(X, y)
    imp = feature_importances(pipe, X, y, FEATURES, "regression", max_rows=200, n_repeats=2)
    assert imp["method"] == "permutation"
    assert sorted(imp["values"]) == sorted(FEATURES)


def test_feature_selection_keeps_the_native_mapping():
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.feature_selection import SelectKBest, f_regression

    X, y = _frame("regression", n=300)
    pipe = _pipeline(RandomForestRegressor(n_estimators=10, random_state=0, n_jobs=1),
                     extra=SelectKBest(f_regression, k=3)).fit(X, y)
    imp = feature_importances(pipe, X, y, FEATURES, "regression")
    assert imp["method"] == "native"
    assert next(iter(imp["values"])) == "signal"
    assert sorted(imp["values"]) == sorted(FEATURES)


def test_native_mapping_with_prefix_named_columns_in_one_encoder():
    # 'a_b_x' is an output of column 'a_b', not of column 'a' with category 'b_x'.
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(3)
    X = pd.DataFrame({
        "a": rng.choice(np.array(["p", "q"], dtype=object), 300),
        "a_b": rng.choice(np.array(["x", "y", "z"], dtype=object), 300),
        "t": rng.normal(size=300).astype(np.float32),
    })
    X.loc[:30, "t"] = np.nan
    y = (X["a_b"] == "x").to_numpy().astype(int)
    ct = ColumnTransformer([
        ("cat", OneHotEncoder(sparse_output=False), ["a", "a_b"]),
        ("num", SimpleImputer(add_indicator=True), ["t"]),
    ])
    pipe = Pipeline([("prep", ct), ("model", DecisionTreeClassifier(random_state=0))]).fit(X, y)
    imp = feature_importances(pipe, X, y, ["a", "a_b", "t"], "classification")
    assert imp["method"] == "native"
    assert imp["values"]["a_b"] == pytest.approx(1.0)
    assert imp["values"]["a"] == 0.0


def test_permutation_importances_stop_when_cancelled():
    from sklearn.svm import SVR

    X, y = _frame("regression", n=200)
    pipe = _pipeline(SVR(), scale=True).fit(X, y)
    ctx = JobContext()
    ctx.cancel_token.cancel()
    with pytest.raises(Cancelled):
        feature_importances(pipe, X, y, FEATURES, "regression", ctx=ctx)


# ---------------------------------------------------------------------------
# learning curve
# ---------------------------------------------------------------------------
def test_learning_curve_shapes_and_progress():
    from sklearn.linear_model import LogisticRegression

    X, y = _frame("classification", n=600)
    events = []
    ctx = JobContext(events.append, min_interval=0.0)
    d = learning_curve_data(lambda: _pipeline(LogisticRegression(max_iter=300), scale=True), X, y,
                            "classification", sizes=(0.2, 0.5, 1.0), cv=3, ctx=ctx)

    assert d["metric"] == "accuracy"
    assert len(d["train_sizes"]) == 3
    assert d["train_sizes"] == sorted(d["train_sizes"]) and d["train_sizes"][-1] == 400
    for key in ("train_mean", "train_std", "valid_mean", "valid_std"):
        assert len(d[key]) == 3
    assert all(0.8 < v <= 1.0 for v in d["valid_mean"])  # an easy problem
    progress = [e.fraction for e in events if isinstance(e, Progress)]
    assert len(progress) == 9  # one per fit: 3 sizes x 3 folds
    assert progress == sorted(progress) and progress[-1] < 1.0  # the caller finishes the job
    assert_json_safe(d)


def test_learning_curve_caps_rows_and_can_be_cancelled():
    from sklearn.linear_model import Ridge

    X, y = _frame("regression", n=900)
    d = learning_curve_data(lambda: Ridge(), X[["signal", "noise_a"]], y, "regression",
                            sizes=(0.5, 1.0), cv=3, max_rows=300)
    assert d["metric"] == "r2" and d["n_rows"] == 300 and d["train_sizes"][-1] == 200

    ctx = JobContext()
    ctx.cancel_token.cancel()
    with pytest.raises(Cancelled):
        learning_curve_data(lambda: Ridge(), X[["signal"]], y, "regression", ctx=ctx)


# ---------------------------------------------------------------------------
# metric names and cv summary
# ---------------------------------------------------------------------------
def test_headline_metric_and_direction():
    assert headline_metric("classification") == "accuracy"
    assert headline_metric("regression") == "r2"
    assert headline_metric("clustering") == "silhouette"
    for name in ("accuracy", "f1_macro", "r2", "roc_auc", "silhouette", "auc"):
        assert metric_direction(name) == "max", name
    for name in ("mae", "rmse", "mse", "log_loss", "valid_logloss", "merror", "davies_bouldin"):
        assert metric_direction(name) == "min", name


def test_cv_summary_mean_std_and_missing_folds():
    folds = [{"accuracy": 0.8, "roc_auc": 0.9}, {"accuracy": 0.9}, {"accuracy": 1.0, "roc_auc": float("nan")}]
    s = cv_summary(folds)
    assert s["accuracy"]["mean"] == pytest.approx(0.9)
    assert s["accuracy"]["std"] == pytest.approx(np.std([0.8, 0.9, 1.0]))
    assert s["accuracy"]["folds"] == [0.8, 0.9, 1.0]
    assert s["roc_auc"]["folds"] == [0.9, None, None]
    assert s["roc_auc"]["mean"] == pytest.approx(0.9)
    assert_json_safe(s)
    assert math.isclose(cv_summary([{"r2": 0.5}])["r2"]["std"], 0.0)
