"""Pearson correlations of a frame's numeric columns, missing values allowed.

Used by the profile (the correlation matrix) and by its target checks (the
leakage correlations).  Rows are sampled by the caller; each pair of columns
uses the rows where both are present.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

MAX_CORRELATION_COLUMNS = 50


def float_matrix(df: pd.DataFrame, cols: list[str], index: np.ndarray | None) -> np.ndarray:
    parts = []
    for c in cols:
        s = df[c] if index is None else df[c].take(index)  # subset first: fewer values to convert
        parts.append(s.to_numpy(dtype="float64", na_value=np.nan))
    x = np.column_stack(parts) if parts else np.empty((0, 0))
    x[~np.isfinite(x)] = np.nan  # infinities count as missing, as in training
    return x


def one_blas_thread() -> Any:
    """Run the correlation products on one BLAS thread.

    They are small (<= 50 000 x 50); a second thread saves ~0.07 s on an
    idle machine but, when other work holds the cores, every product waits
    for it: 1.0-2.1 s instead of 0.15-0.3 s (measured, 2 busy cores).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def pairwise_corr(x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """Pearson r of the columns of x (with those of y), each pair on the rows
    where both are present.  Four matrix products instead of a Python loop
    over pairs; columns are centred first to keep the sums well conditioned."""
    same = y is None
    y = x if y is None else y
    mx, my = ~np.isnan(x), ~np.isnan(y)
    if mx.all() and my.all() and len(x) >= 3:
        # nothing missing: one product of standardised columns
        with np.errstate(invalid="ignore", divide="ignore"):
            zx = (x - x.mean(axis=0)) / x.std(axis=0)
            zy = zx if same else (y - y.mean(axis=0)) / y.std(axis=0)
            r = zx.T @ zy / len(x)
        return np.clip(r, -1.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xc = np.where(mx, x - np.nanmean(x, axis=0), 0.0)
        yc = np.where(my, y - np.nanmean(y, axis=0), 0.0)
        fx, fy = mx.astype("float64"), my.astype("float64")
        n = fx.T @ fy
        sx, sy = xc.T @ fy, fx.T @ yc
        sxx, syy = (xc * xc).T @ fy, fx.T @ (yc * yc)
        sxy = xc.T @ yc
        cov = sxy - sx * sy / n
        var_x = sxx - sx * sx / n
        var_y = syy - sy * sy / n
        r = cov / np.sqrt(var_x * var_y)
    r[(n < 3) | (var_x <= 0) | (var_y <= 0)] = np.nan
    return np.clip(r, -1.0, 1.0)


def correlation_matrix(df: pd.DataFrame, numeric: list[str], index: np.ndarray | None) -> dict[str, Any]:
    if len(numeric) < 2:
        return {"columns": numeric, "matrix": [[1.0] * len(numeric)] if numeric else []}
    x = float_matrix(df, numeric, index)
    if len(numeric) > MAX_CORRELATION_COLUMNS:
        # keep the most variable columns (the brief cap); variance is cheap
        keep = np.argsort(-np.nan_to_num(np.nanvar(x, axis=0), nan=-1.0), kind="stable")
        keep = np.sort(keep[:MAX_CORRELATION_COLUMNS])
        numeric = [numeric[i] for i in keep]
        x = x[:, keep]
    with one_blas_thread():
        r = pairwise_corr(x)
    np.fill_diagonal(r, 1.0)
    return {"columns": numeric, "matrix": r.tolist()}
