"""Per-row feature contributions that add up to the model's raw output.

Two methods, and every explanation says which one produced its numbers:

``tree_shap``
    XGBoost's own exact TreeSHAP (``Booster.predict(pred_contribs=True)``) on
    the prepared columns, summed back to the ORIGINAL columns (the one-hot
    parts of a category add up to the category's contribution).  The raw
    output is the margin: log-odds for a binary classifier, the class's
    margin for a multiclass one (softmax input), the prediction for a
    regressor.  ``base_value + sum(contributions) == raw_output`` holds to
    float32 rounding, and ``raw_output`` is checked against the model's own
    ``predict(output_margin=True)``.

``sampling_shapley``
    Any other model: a Monte-Carlo estimate of interventional Shapley values
    (Strumbelj & Kononenko 2014) on the original columns directly.  For each
    sampled permutation and background row the features are switched from
    the background row's value to the explained row's value one at a time;
    each switch's change of the output is credited to that feature.  The
    changes of one chain telescope, so the contributions add up EXACTLY to
    ``raw_output - base_value`` whatever the number of samples; only their
    split between features is an estimate.  Antithetic permutations (each
    one also walked backwards) halve the variance for the same cost.  The raw
    output is the probability of the positive class (binary), of the
    explained class (multiclass), or the prediction (regression).

The engine never imports Qt; scikit-learn and XGBoost are imported lazily.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.engine.errors import SpecError

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext
    from workbench.engine.model import TrainedModel

METHOD_TEXT = {
    "tree_shap": "exact TreeSHAP (XGBoost pred_contribs), margin scale",
    "sampling_shapley": "sampled Shapley values (permutations over a background sample), probability/prediction scale",
}
BACKGROUND_ROWS = 64
MIN_PERMUTATIONS = 4
MAX_PERMUTATIONS = 64


class NoTreeShap(Exception):
    """The exact path does not apply to this model; use the sampling one."""


def _xgboost_estimator(pipeline: Any) -> Any:
    est = pipeline.steps[-1][1] if hasattr(pipeline, "steps") else pipeline
    try:
        import xgboost as xgb
    except ImportError:
        return None
    return est if isinstance(est, xgb.XGBModel) else None


def _iteration_range(est: Any) -> tuple[int, int]:
    """The trees the sklearn wrapper's predict uses (best iteration if early-stopped)."""
    try:
        return (0, int(est.best_iteration) + 1)
    except (AttributeError, TypeError):
        return (0, 0)


def _sources(pipeline: Any, names: list[str]) -> list[str]:
    # The mapping prepared column -> original column that importances use too.
    from workbench.engine.training.importances import MappingBroken, output_sources, split_pipeline

    steps, _ = split_pipeline(pipeline)
    try:
        return output_sources(steps, names)
    except MappingBroken as exc:
        raise NoTreeShap(str(exc)) from None


def tree_shap(model: "TrainedModel", X: pd.DataFrame) -> dict[str, Any]:
    """Exact contributions of an XGBoost pipeline on canonical rows ``X``."""
    import xgboost as xgb

    est = _xgboost_estimator(model.pipeline)
    if est is None:
        raise NoTreeShap("not an XGBoost model")
    names = [f.name for f in model.info.features]
    sources = _sources(model.pipeline, names)
    Xt = model.pipeline[:-1].transform(X)
    if hasattr(Xt, "toarray"):
        Xt = Xt.toarray()
    Xt = np.asarray(Xt, dtype=np.float32)
    if Xt.shape[1] != len(sources):
        raise NoTreeShap("prepared width does not match the column mapping")
    booster = est.get_booster()
    rng = _iteration_range(est)
    dm = xgb.DMatrix(Xt, missing=est.missing)
    contribs = np.asarray(booster.predict(dm, pred_contribs=True, iteration_range=rng), dtype=np.float64)
    # What the model really outputs (the sklearn wrapper, same trees).
    margin = np.asarray(est.predict(Xt, output_margin=True), dtype=np.float64)
    n = len(X)
    if contribs.ndim == 3:  # multiclass: (rows, classes, features + 1)
        explained = margin.reshape(n, -1).argmax(axis=1)
        per_row = contribs[np.arange(n), explained]
        raw = margin.reshape(n, -1)[np.arange(n), explained]
    else:
        explained = None
        per_row = contribs
        raw = margin.reshape(n)
    base = per_row[:, -1]
    original = _sum_to_columns(per_row[:, :-1], sources, names)
    residual = raw - base - original.sum(axis=1)
    scale = max(1.0, float(np.max(np.abs(raw)))) if n else 1.0
    if n and np.max(np.abs(residual)) > 1e-4 * scale:
        raise NoTreeShap(f"TreeSHAP does not add up to the margin (gap {np.max(np.abs(residual)):.2g})")
    # XGBoost returns float32 contributions: on a target around 1e5 their sum
    # misses the float32 margin by float32 rounding (~1e-2 absolute).  That
    # rounding residual is spread over the row's contributions in proportion
    # to their size, so base + sum == the model's real output in float64.
    weight = np.abs(original)
    total = weight.sum(axis=1, keepdims=True)
    weight = np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0 / max(1, original.shape[1]))
    original = original + residual[:, None] * weight
    return {"method": "tree_shap", "contributions": original, "base": base, "raw": raw,
            "explained_class": explained, "rounding_residual": float(np.max(np.abs(residual))) if n else 0.0}


def _sum_to_columns(values: np.ndarray, sources: list[str], names: list[str]) -> np.ndarray:
    index = {name: i for i, name in enumerate(names)}
    out = np.zeros((values.shape[0], len(names)), dtype=np.float64)
    for j, src in enumerate(sources):
        out[:, index[src]] += values[:, j]
    return out


# ---------------------------------------------------------------------------
# Model-agnostic: sampled Shapley values on the original columns
# ---------------------------------------------------------------------------
def output_function(model: "TrainedModel", explained_class: np.ndarray | None = None):
    """``f(canonical frame, class codes) -> raw output`` and the scale's name."""
    pipe = model.pipeline
    task = model.task
    if task == "clustering":
        raise SpecError("Clustering models have no output to explain per feature.")
    if task == "regression":
        return (lambda X, cls: np.asarray(pipe.predict(X), dtype=np.float64).ravel()), "prediction"
    has_proba = hasattr(pipe, "predict_proba")
    if has_proba:
        try:
            pipe.predict_proba  # noqa: B018 (an SVC without probability raises AttributeError here)
        except AttributeError:
            has_proba = False
    if has_proba:
        def f(X, cls):
            p = np.asarray(pipe.predict_proba(X), dtype=np.float64)
            return p[np.arange(len(p)), cls]
        return f, "probability"
    if hasattr(pipe, "decision_function") and len(model.classes) == 2:
        return (lambda X, cls: np.asarray(pipe.decision_function(X), dtype=np.float64).ravel()), "decision"
    raise SpecError(f"A {model.info.algorithm} model gives neither probabilities nor scores to explain.")


def _chain_masks(order: np.ndarray) -> np.ndarray:
    """(F+1, F) boolean: step k has the first k features of ``order`` switched on."""
    F = len(order)
    masks = np.zeros((F + 1, F), dtype=bool)
    for k in range(1, F + 1):
        masks[k] = masks[k - 1]
        masks[k, order[k - 1]] = True
    return masks


def sampling_shapley(model: "TrainedModel", X: pd.DataFrame, background: pd.DataFrame, *,
                     budget_s: float, seed: int = 0, ctx: "JobContext | None" = None) -> dict[str, Any]:
    """Sampled Shapley contributions of canonical rows ``X`` (see module doc)."""
    names = [f.name for f in model.info.features]
    n, F = len(X), len(names)
    rng = np.random.default_rng(seed)
    if len(background) > BACKGROUND_ROWS:
        background = background.iloc[rng.choice(len(background), BACKGROUND_ROWS, replace=False)]
    background = background.reset_index(drop=True)
    f, scale = output_function(model)
    if model.task == "classification":
        classes_of_x = np.asarray(model.pipeline.predict(X)).astype(int) if len(model.classes) > 2 else None
    else:
        classes_of_x = None
    positive = 1 if model.task == "classification" and len(model.classes) == 2 else 0

    def cls_for(rows: np.ndarray) -> np.ndarray:
        if classes_of_x is None:
            return np.full(len(rows), positive, dtype=int)
        return classes_of_x[rows]

    x_cols = [X[c].to_numpy() for c in names]
    b_cols = [background[c].to_numpy() for c in names]

    # Time one chain of all rows to size the number of permutations to the budget.
    t0 = time.perf_counter()
    totals = np.zeros((n, F))
    base_sum = np.zeros(n)
    done = 0
    target = MAX_PERMUTATIONS
    while done < target:
        if ctx is not None:
            ctx.check()
        order = rng.permutation(F)
        b = int(rng.integers(len(background)))
        for walk in (order, order[::-1]):  # antithetic pair
            masks = _chain_masks(walk)                       # (F+1, F)
            reps = F + 1
            rows = np.repeat(np.arange(n), reps)             # which explained row
            m = np.tile(masks, (n, 1))                       # (n*(F+1), F)
            data = {}
            for j, c in enumerate(names):
                xb = x_cols[j][rows]
                bb = np.repeat(b_cols[j][b : b + 1], len(rows))
                data[c] = np.where(m[:, j], xb, bb).astype(x_cols[j].dtype, copy=False)
            out = f(pd.DataFrame(data), cls_for(rows)).reshape(n, reps)
            deltas = np.diff(out, axis=1)                    # (n, F): step k credits walk[k]
            totals[:, walk] += deltas
            base_sum += out[:, 0]
            done += 1
        if done == 2:
            per_pair = time.perf_counter() - t0
            affordable = int(budget_s / max(per_pair / 2, 1e-6))
            target = int(np.clip(affordable, MIN_PERMUTATIONS, MAX_PERMUTATIONS))
    contributions = totals / done
    base = base_sum / done
    raw = base + contributions.sum(axis=1)
    return {"method": "sampling_shapley", "contributions": contributions, "base": base, "raw": raw,
            "explained_class": classes_of_x, "permutations": done, "background_rows": len(background),
            "scale": scale}
