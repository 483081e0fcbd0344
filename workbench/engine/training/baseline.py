"""The baseline every run is measured against.

A model that does not beat "always the majority class" / "always the mean"
has learnt nothing usable, yet its metrics can look respectable (a kNN on
titanic scored 0.379 accuracy under a 0.621 majority rate and nobody was
told).  Every run therefore scores the catalog's ``baseline`` entry on the
same training rows and test rows (and the same CV folds) and records it in
``result["baseline"]``; :func:`beats_baseline` decides whether the run log
gets a warning.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from workbench.engine.catalog import BuildContext, get_algorithm


def baseline_scores(task: str, y_train: np.ndarray, y_test: np.ndarray,
                    classes: Sequence[Any] = (), seed: int = 0) -> dict[str, Any]:
    """Metrics of the default ``baseline`` model fitted on ``y_train``, scored on ``y_test``."""
    from workbench.engine.training.evaluation import score_predictions

    algorithm = get_algorithm("baseline")
    params = algorithm.defaults(task)
    model = algorithm.factory(params, BuildContext(task=task, seed=seed, n_classes=len(classes)))
    X_train = np.zeros((len(y_train), 1), dtype=np.float32)
    X_test = np.zeros((len(y_test), 1), dtype=np.float32)
    model.fit(X_train, y_train)
    pred = model.predict(X_test)
    proba = model.predict_proba(X_test) if task == "classification" else None
    if proba is not None and proba.shape[1] != len(classes):
        proba = None  # a class absent from the training rows: probabilities cannot be matched
    return score_predictions(task, y_test, pred, proba, classes)


def beats_baseline(task: str, metrics: dict[str, Any], baseline: dict[str, Any]) -> tuple[bool, str]:
    """Whether ``metrics`` is strictly better than ``baseline`` on the headline metric, and a sentence."""
    from workbench.engine.metrics import headline_metric

    name = headline_metric(task)
    ours, theirs = metrics.get(name), baseline.get(name)
    if not isinstance(ours, (int, float)) or not isinstance(theirs, (int, float)):
        return True, ""
    what = "always predicting the most frequent class" if task == "classification" else (
        "always predicting the training mean"
    )
    if ours > theirs:
        return True, f"Baseline ({what}): {name} {theirs:.4g}; this model {ours:.4g}."
    return False, (
        f"This model does not beat the baseline: {name} {ours:.4g} against {theirs:.4g} for {what}. "
        "Check the features, the preparation and the parameters before using it."
    )
