"""One metric registry decides direction, loss/score and display name."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine import METRICS, headline_metric, is_loss, metric_direction, metric_display_name
from workbench.engine.training.evaluation import score_predictions


@pytest.mark.parametrize(("name", "direction"), [
    ("accuracy", "max"), ("valid_accuracy", "max"), ("cv_roc_auc", "max"), ("r2", "max"),
    ("log_loss", "min"), ("valid_logloss", "min"), ("train_mlogloss", "min"), ("rmse", "min"),
    ("davies_bouldin", "min"), ("error@0.7", "min"), ("multi_logloss", "min"), ("some_new_loss", "min"),
    ("silhouette", "max"),
])
def test_direction(name, direction):
    assert metric_direction(name) == direction
    assert is_loss(name) == (direction == "min")


def test_display_names_are_for_people():
    assert metric_display_name("valid_log_loss") == "Log loss"
    assert metric_display_name("r2") == "R²"


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_metric_a_run_reports_is_registered(task):
    rng = np.random.default_rng(0)
    if task == "classification":
        y = rng.integers(0, 2, 50)
        proba = np.column_stack([1 - (p := rng.random(50)), p])
        scores = score_predictions(task, y, (p > 0.5).astype(int), proba, [0, 1])
    else:
        y = rng.normal(5, 1, 50)
        scores = score_predictions(task, y, y + rng.normal(0, 0.1, 50), None, None)
    assert set(scores) - set(METRICS) == set()
    assert headline_metric(task) in scores


@pytest.mark.parametrize(("names", "chosen"), [
    ({"accuracy", "logloss"}, "logloss"), ({"mae", "rmse", "r2"}, "rmse"), ({"loss", "logloss"}, "logloss"),
    ({"r2", "huber"}, "huber"), ({"accuracy", "r2"}, None), (set(), None),
])
def test_the_loss_that_stands_for_a_run_comes_from_the_registry(names, chosen):
    from workbench.engine import preferred_loss

    assert preferred_loss(names) == chosen


def test_the_best_iteration_is_found_on_any_registered_loss():
    from workbench.engine.training.job import best_iteration_step

    # A regressor whose validation curve is MAE only used to get no best iteration.
    history = [{"step": s, "train": {"mae": 1.0 / s}, "valid": {"mae": abs(s - 7) + 1.0}} for s in range(1, 12)]
    assert best_iteration_step(history) == 7
    both = [{"step": s, "train": {}, "valid": {"mae": float(s), "rmse": abs(s - 4) + 1.0}} for s in range(1, 9)]
    assert best_iteration_step(both) == 4  # RMSE before MAE, as the live view's marker


def test_a_run_is_listed_by_its_headline_else_a_validation_number():
    from workbench.engine import headline_of

    scored = {"f1_macro": 0.8, "accuracy": 0.9}
    assert headline_of("classification", scored) == ("accuracy", 0.9)
    assert headline_of("classification", scored, recorded="f1_macro") == ("f1_macro", 0.8)
    # A run cancelled mid-fit has only its live curves' last values.
    live = {"train_logloss": 0.5, "valid_logloss": 0.6, "valid_error": 0.2}
    assert headline_of("classification", live) == ("valid_error", 0.2)
    assert headline_of(None, {"n": True, "x": float("nan"), "rmse": 3}) == ("rmse", 3.0)
    assert headline_of("regression", {}) is None
