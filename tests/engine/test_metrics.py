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
