"""Partial dependence and ICE curves for a model's top features.

Brute-force partial dependence over the whole pipeline (so categories are
varied as the raw values a user knows), on a row sample;
the number of rows used is recorded with every curve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.engine.json_values import json_safe
from workbench.engine.model import text_numbers

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext
    from workbench.engine.model import TrainedModel

GRID_POINTS = 20
ICE_LINES = 30
MAX_CATEGORIES = 30


def feature_grid(column: pd.Series, categorical: bool, points: int = GRID_POINTS) -> np.ndarray:
    """The values a curve visits: scikit-learn's rule (``_grid_from_X``).

    Categories: every value seen.  Numbers: the unique values when there are
    fewer than ``points``, else ``points`` evenly spaced values between the
    5th and 95th percentiles.
    """
    values = column.dropna().to_numpy()
    if categorical:
        return np.unique(values.astype(str))
    uniques = np.unique(values.astype(np.float64))
    if len(uniques) < points:
        return uniques
    lo, hi = np.percentile(values.astype(np.float64), [5, 95])
    return np.linspace(lo, hi, points)


def _average_outputs(model: "TrainedModel", frame: pd.DataFrame) -> np.ndarray:
    """(rows, outputs): class probabilities, or the prediction as one output."""
    pipe = model.pipeline
    if model.task == "classification" and hasattr(pipe, "predict_proba"):
        try:
            return np.asarray(pipe.predict_proba(frame), dtype=float)
        except AttributeError:
            pass
    if model.task == "classification" and hasattr(pipe, "decision_function"):
        d = np.asarray(pipe.decision_function(frame), dtype=float)
        return d.reshape(len(frame), -1)
    return np.asarray(pipe.predict(frame), dtype=float).reshape(len(frame), 1)


def partial_dependence_curves(model: "TrainedModel", X: pd.DataFrame, features: list[str], *,
                              ctx: "JobContext | None" = None, seed: int = 0) -> dict[str, Any]:
    """``{feature: {"grid", "average", "ice", "kind", "rows", "output"}}`` on canonical rows ``X``.

    ``average`` is the mean model output over the rows with the feature set
    to each grid value (brute-force partial dependence, the same numbers as
    ``sklearn.inspection.partial_dependence(method="brute")``, which
    tests/engine/test_explain.py checks); ``ice`` holds up to
    :data:`ICE_LINES` of the individual curves.  All grid points go through
    the pipeline in ONE call: scikit-learn calls it once per grid point, and
    a pipeline's per-call overhead (~0.1 s for a ColumnTransformer on a busy
    2-core machine) made that 6.7x (XGBoost) to 8.6x (random forest) slower
    on 300 rows (bench/explain.py, bench/RESULTS.md).  Output:
    probability of the positive class (binary), of each class (multiclass:
    ``average`` is a list per class, ``classes`` names them) or the
    prediction (regression).
    """
    infos = {f.name: f for f in model.info.features}
    rng = np.random.default_rng(seed)
    n = len(X)
    ice_rows = np.sort(rng.choice(n, min(ICE_LINES, n), replace=False)) if n else np.array([], int)
    binary = model.task == "classification" and len(model.classes) == 2
    out: dict[str, Any] = {}
    for i, name in enumerate(features):
        if ctx is not None:
            ctx.check()
            ctx.progress(i / max(1, len(features)), f"Partial dependence of {name}")
        info = infos.get(name)
        categorical = info is not None and info.value_kind == "categorical"
        from_text = info is not None and info.from_text
        # Numbers given as text: a curve over the numbers, fed back as the text the model takes.
        values = pd.Series(text_numbers(X[name]), index=X.index) if from_text else X[name]
        grid = feature_grid(values, categorical)
        if len(grid) < 2 or (categorical and len(grid) > MAX_CATEGORIES):
            continue
        stacked = X.loc[X.index.repeat(len(grid))].reset_index(drop=True)
        column = np.tile(grid, n)
        if from_text:
            stacked[name] = np.array([repr(float(v)) for v in column], dtype=object)
        else:
            stacked[name] = column.astype(object) if categorical else column.astype(X[name].dtype)
        pred = _average_outputs(model, stacked).reshape(n, len(grid), -1)   # (rows, grid, outputs)
        average = pred.mean(axis=0).T                                         # (outputs, grid)
        individual = np.transpose(pred, (2, 0, 1))                            # (outputs, rows, grid)
        if model.task == "classification" and not binary and average.shape[0] > 1:
            avg_out: Any = average.tolist()
            ice_out: Any = individual[:, ice_rows].tolist()
        else:
            # A binary classifier's curve is of the positive class (code 1).
            avg_out = average[-1].tolist()
            ice_out = individual[-1][ice_rows].tolist()
        out[name] = json_safe({
            "grid": [str(g) for g in grid] if categorical else [float(g) for g in grid],
            "average": avg_out,
            "ice": ice_out,
            "kind": "categorical" if categorical else "numeric",
            "rows": int(n),
            "output": "probability" if model.task == "classification" else "prediction",
            **({"classes": [str(c) for c in model.classes]} if model.task == "classification" and not binary else {}),
        })
    return out
