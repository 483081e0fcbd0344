"""Feature importances, always reported per ORIGINAL input column.

Native importances (``feature_importances_`` or ``|coef_|``) are computed on
the prepared columns and summed back to the input column each came from,
following the pipeline (ColumnTransformer, selectors, element-wise steps);
where that mapping cannot be traced (PCA) permutation importance on the raw
columns is used instead.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from workbench.engine.errors import TrainingError
from workbench.engine.training.evaluation import finite_or_none, sample_indices, headline_metric

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext


# ---------------------------------------------------------------------------
# Feature importances
# ---------------------------------------------------------------------------
class MappingBroken(Exception):
    """Transformed columns cannot be traced back to input columns."""


def feature_importances(pipeline: Any, X_frame: pd.DataFrame, y: Any,
                        feature_names: Sequence[Any], task: str, *, seed: int = 0,
                        max_rows: int = 2000, n_repeats: int = 5,
                        ctx: "JobContext | None" = None) -> dict[str, Any]:
    """Importance of each original input column, highest first.

    Parameters
    ----------
    pipeline : fitted estimator
        Usually ``Pipeline([("prep", ...), ("model", estimator)])`` taking the
        canonical frame.
    X_frame : DataFrame
        Canonical input rows (columns = original features) used by the
        permutation method; held-out rows are best.
    y : array-like
        Targets of ``X_frame`` (class codes for classification).
    feature_names : sequence of str (or FeatureInfo)
        The original input columns, in model order.
    task : str
    seed, max_rows, n_repeats : permutation settings (rows are sampled).
    ctx : JobContext, optional
        Checked for cancellation between permutation repeats.  No progress is
        reported: this is a short step of a bigger job.

    Returns
    -------
    dict
        ``{"method": "native" | "permutation" | "none", "values": {column: importance}}``
        with ``values`` in descending order of importance (nested rather than
        flat so a column may be called "method").  ``native`` comes
        from the estimator's ``feature_importances_`` or ``|coef_|`` (mean over
        classes), summed over the transformed columns that come from each
        input column and normalised to sum to 1.  ``permutation`` is the mean
        drop of the model's score (accuracy / R^2) when the column is
        shuffled; it can be slightly negative for useless columns.  Clustering
        gives ``{"method": "none", "values": {}}``.
    """
    names = [getattr(f, "name", f) for f in feature_names]
    if task == "clustering":
        return {"method": "none", "values": {}}
    try:
        values = _native_importances(pipeline, names)
        method = "native"
    except MappingBroken:
        values = _permutation_importances(pipeline, X_frame, y, names, task,
                                          seed=seed, max_rows=max_rows, n_repeats=n_repeats, ctx=ctx)
        method = "permutation"
    ordered = sorted(values.items(), key=lambda kv: (-kv[1] if math.isfinite(kv[1]) else math.inf))
    return {"method": method, "values": {str(k): finite_or_none(v) for k, v in ordered}}


def split_pipeline(pipeline: Any) -> tuple[list[Any], Any]:
    """(flat list of transformer steps, final estimator)."""
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline):
        return [], pipeline
    steps: list[Any] = []

    def flatten(p: Any) -> None:
        for _, step in p.steps:
            if isinstance(step, Pipeline):
                flatten(step)
            elif step is not None and step != "passthrough":
                steps.append(step)

    flatten(pipeline[:-1])
    return steps, pipeline.steps[-1][1]


def _raw_importances(estimator: Any) -> np.ndarray:
    # Wrappers such as TransformedTargetRegressor keep the fitted model inside.
    for attr in ("regressor_", "best_estimator_"):
        if hasattr(estimator, attr):
            estimator = getattr(estimator, attr)
    values = getattr(estimator, "feature_importances_", None)
    if values is None:
        coef = getattr(estimator, "coef_", None)
        if coef is None:
            raise MappingBroken("no native importances")
        coef = np.abs(np.asarray(coef, dtype=float))
        values = coef.mean(axis=0) if coef.ndim == 2 else coef
    values = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(values)):
        raise MappingBroken("non-finite native importances")
    return values


def _native_importances(pipeline: Any, names: list[str]) -> dict[str, float]:
    steps, estimator = split_pipeline(pipeline)
    try:
        values = _raw_importances(estimator)
    except (AttributeError, ValueError) as exc:  # e.g. coef_ of a non-linear SVC
        raise MappingBroken(str(exc)) from None
    source = output_sources(steps, names)
    if len(source) != len(values):
        raise MappingBroken("importance length does not match the mapped columns")
    totals = dict.fromkeys(names, 0.0)
    for col, v in zip(source, values):
        totals[col] += float(v)
    grand = sum(totals.values())
    if grand > 0:
        totals = {k: v / grand for k, v in totals.items()}
    return totals


def output_sources(steps: list[Any], names: list[str]) -> list[str]:
    """For each column the estimator sees, the input column it comes from."""
    from sklearn.compose import ColumnTransformer

    if not steps:
        return list(names)
    first = steps[0]
    if not isinstance(first, ColumnTransformer):
        # A step before the column transformer could reorder or mix columns.
        raise MappingBroken(f"unexpected first preparation step {type(first).__name__}")
    source = _column_transformer_sources(first, names)
    for step in steps[1:]:
        source = _through_step(step, source)
    return source


def _column_transformer_sources(ct: Any, names: list[str]) -> list[str]:
    inputs = list(getattr(ct, "feature_names_in_", names))
    if not set(map(str, inputs)) <= set(names):
        raise MappingBroken("column transformer inputs are not the original columns")
    width = max((s.stop for s in ct.output_indices_.values()), default=0)
    source: list[str | None] = [None] * width
    for name, trans, cols in ct.transformers_:
        out = ct.output_indices_.get(name, slice(0, 0))
        if trans == "drop" or out.stop <= out.start:
            continue
        cols = _column_names(cols, inputs)
        mapped = _transformer_sources(trans, cols, out.stop - out.start)
        source[out] = mapped
    if any(s is None for s in source):
        raise MappingBroken("some transformed columns have no source")
    return source  # type: ignore[return-value]


def _column_names(cols: Any, inputs: list[str]) -> list[str]:
    if isinstance(cols, (str, int, np.integer)):
        cols = [cols]
    elif isinstance(cols, slice) or callable(cols):
        raise MappingBroken("column selector is not a list")
    arr = np.asarray(cols)
    if arr.dtype == bool:
        return [inputs[i] for i in np.flatnonzero(arr)]
    return [inputs[int(c)] if isinstance(c, (int, np.integer)) else str(c) for c in cols]


def _transformer_sources(trans: Any, cols: list[str], n_out: int) -> list[str]:
    """Input column of each of the ``n_out`` outputs of one transformer."""
    if len(cols) == 1:
        return cols * n_out
    if trans == "passthrough":
        if n_out == len(cols):
            return list(cols)
        raise MappingBroken("passthrough width mismatch")
    try:
        out_names = [str(n) for n in trans.get_feature_names_out(cols)]
    except Exception:  # not implemented by a custom step, or refuses names
        out_names = None
    if out_names is not None and len(out_names) == n_out:
        matched = [_match_prefix(n, cols) for n in out_names]
        if all(m is not None for m in matched):
            return matched  # type: ignore[return-value]
    # Scalers, imputers, casts: one output per input, in order.
    if n_out == len(cols):
        return list(cols)
    raise MappingBroken(f"cannot trace the outputs of {type(trans).__name__}")


def _match_prefix(out_name: str, cols: list[str]) -> str | None:
    """The input column an output name comes from: ``col`` or ``col_<suffix>``.

    The longest matching column wins (columns ``a`` and ``a_b``: ``a_b_x``
    belongs to ``a_b``).  Missing-value indicators are named
    ``missingindicator_<col>``.
    """
    name = out_name.removeprefix("missingindicator_")
    if name in cols:
        return name
    best = None
    for c in cols:
        if name.startswith(c + "_") and (best is None or len(c) > len(best)):
            best = c
    return best


def _through_step(step: Any, source: list[str]) -> list[str]:
    """Carry the column sources through a step after the column transformer."""
    if hasattr(step, "get_support"):  # feature selection keeps a subset
        mask = np.asarray(step.get_support())
        if len(mask) != len(source):
            raise MappingBroken("selector width mismatch")
        return [s for s, keep in zip(source, mask) if keep]
    if hasattr(step, "components_") or hasattr(step, "n_components"):
        # PCA and friends mix every column into every output.
        raise MappingBroken(f"{type(step).__name__} mixes columns")
    n_in = getattr(step, "n_features_in_", len(source))
    if n_in != len(source):
        raise MappingBroken("step width mismatch")
    # Element-wise steps (a float32 cast, a scaler) keep columns in place; the
    # final length check against the estimator guards anything else.
    return source


def _permutation_importances(pipeline, X_frame, y, names, task, *, seed, max_rows,
                             n_repeats, ctx) -> dict[str, float]:
    from sklearn.inspection import permutation_importance

    missing = [n for n in names if n not in X_frame.columns]
    if missing:
        raise TrainingError("Cannot compute importances: the data lacks column(s) " + ", ".join(missing) + ".")
    X = X_frame[names]
    y_arr = np.asarray(y)
    idx = sample_indices(len(X), max_rows, seed)
    X, y_arr = X.iloc[idx], y_arr[idx]
    if task == "regression":
        y_arr = y_arr.astype(np.float64)
    n_repeats = max(int(n_repeats), 1)
    scoring = headline_metric(task)
    runs = []
    # One repeat per call so a cancel is seen between repeats.
    for r in range(n_repeats):
        if ctx is not None:
            ctx.check()
        result = permutation_importance(pipeline, X, y_arr, scoring=scoring, n_repeats=1,
                                        random_state=seed + r)
        runs.append(result.importances[:, 0])
    if ctx is not None:
        ctx.check()
    mean = np.mean(runs, axis=0)
    return {n: float(v) for n, v in zip(names, mean)}
