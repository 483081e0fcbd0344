"""Checks of the column to predict: class balance, imbalance and leakage.

Leakage is a feature that is almost a copy of the target: correlated with it
at |r| >= ``LEAKAGE_CORRELATION`` (on the sampled rows), or a categorical
whose every value goes with exactly one class.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.json_values import json_safe
from workbench.engine.data.column_profile import ColumnProfile
from workbench.engine.data.correlation import one_blas_thread, pairwise_corr
from workbench.engine.data.schema import Schema

IMBALANCE_RATIO = 0.10  # minority / majority below this -> imbalance
IMBALANCE_MIN_ROWS = 20  # or fewer rows than this in the smallest class
LEAKAGE_CORRELATION = 0.95
MAX_CLASSES = 20  # a numeric target with at most this many integer values is class-like


def _is_class_like(s: pd.Series, kind: str, n_unique: int) -> bool:
    if kind in ("categorical", "boolean"):
        return True
    if kind == "numeric" and n_unique <= MAX_CLASSES:
        values = s.dropna().to_numpy(dtype="float64")
        return bool(np.all(np.mod(values, 1.0) == 0))
    return False


def target_checks(
    df: pd.DataFrame,
    schema: Schema,
    columns: dict[str, ColumnProfile],
    target: str,
    index: np.ndarray | None,
) -> tuple[dict[str, int] | None, list[dict[str, Any]]]:
    y = df[target]
    tcol = columns[target]
    warnings: list[dict[str, Any]] = []
    class_like = _is_class_like(y, tcol.kind, tcol.n_unique)
    balance = None
    if class_like:
        counts = y.value_counts(dropna=True)
        balance = {str(json_safe(k)): int(v) for k, v in counts.items()}
        if len(counts) >= 2:
            minority, majority = int(counts.iloc[-1]), int(counts.iloc[0])
            if minority < IMBALANCE_RATIO * majority or minority < IMBALANCE_MIN_ROWS:
                warnings.append(
                    {
                        "column": target,
                        "code": "imbalance",
                        "message": (
                            f"Target '{target}' is imbalanced: class {counts.index[-1]!s} has "
                            f"{minority:,} rows against {majority:,} for {counts.index[0]!s}. "
                            "Use a stratified split and look at balanced metrics (F1, balanced accuracy)."
                        ),
                        # class_weight="balanced", for a learner that has it (the catalog says)
                        "actions": ["balance_classes", "ignore"],
                    }
                )
    warnings += _leakage_by_correlation(df, schema, columns, target, class_like, index)
    if class_like:
        warnings += _leakage_by_mapping(df, schema, columns, target, index)
    return balance, warnings


def _target_as_number(y: pd.Series, class_like: bool, n_unique: int) -> np.ndarray | None:
    if pd.api.types.is_numeric_dtype(y.dtype) or pd.api.types.is_bool_dtype(y.dtype):
        return y.to_numpy(dtype="float64", na_value=np.nan)
    if class_like and n_unique == 2:  # binary labels -> 0/1
        codes = pd.Series(pd.factorize(y, sort=True)[0], index=y.index).to_numpy(dtype="float64")
        codes[codes < 0] = np.nan
        return codes
    return None


def _leakage_by_correlation(
    df: pd.DataFrame,
    schema: Schema,
    columns: dict[str, ColumnProfile],
    target: str,
    class_like: bool,
    index: np.ndarray | None,
) -> list[dict[str, Any]]:
    t = _target_as_number(df[target], class_like, columns[target].n_unique)
    features = [c for c in schema.columns("numeric") + schema.columns("boolean")
                if c != target and columns[c].n_unique > 1]
    if t is None or not features:
        return []
    if pd.api.types.is_bool_dtype(df[target].dtype):
        t = t.astype("float64")
    t = t if index is None else t[index]
    t = np.where(np.isfinite(t), t, np.nan)[:, None]
    x = np.column_stack([_feature_as_number(df[c], index) for c in features])
    x[~np.isfinite(x)] = np.nan
    with one_blas_thread():
        r = pairwise_corr(x, t)[:, 0]
    out = []
    for name, value in zip(features, r):
        if np.isfinite(value) and abs(value) >= LEAKAGE_CORRELATION:
            out.append(
                {
                    "column": name,
                    "code": "leakage",
                    "message": (
                        f"'{name}' is almost a copy of the target '{target}' (correlation "
                        f"{value:+.3f}). It may leak the answer; leave it out unless it is "
                        "known before the prediction is made."
                    ),
                }
            )
    return out


def _feature_as_number(s: pd.Series, index: np.ndarray | None) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        return v if index is None else v[index]
    # Text booleans: factorised codes are enough for |r|.  Sample first: the
    # string work on 1M rows took 0.3 s, on the 50k sampled rows 15 ms.
    s = s if index is None else s.iloc[index]
    codes, _ = pd.factorize(s.astype(str).str.strip().str.lower().where(s.notna()), sort=True)
    v = codes.astype("float64")
    v[codes < 0] = np.nan
    return v


def _leakage_by_mapping(
    df: pd.DataFrame,
    schema: Schema,
    columns: dict[str, ColumnProfile],
    target: str,
    index: np.ndarray | None,
) -> list[dict[str, Any]]:
    """A categorical feature whose every value goes with exactly one class.

    Checked on the row sample first: a value seen with two classes there
    rules the column out, so the full check runs only for suspects.
    """
    out = []
    candidates = [
        c
        for c in schema.columns("categorical") + schema.columns("boolean")
        if c != target and columns[c].n_unique >= 2
    ]
    if index is not None:
        sample = df.iloc[index]
        candidates = [c for c in candidates if _determines(sample[c], sample[target], None)]
    for name in candidates:
        n_unique = columns[name].n_unique
        if _determines(df[name], df[target], n_unique):
            out.append(
                {
                    "column": name,
                    "code": "leakage",
                    "message": (
                        f"'{name}' determines the target '{target}' exactly (each of its "
                        f"{n_unique} values goes with one class). It may leak the answer; "
                        "leave it out unless it is known before the prediction is made."
                    ),
                }
            )
    return out


def _determines(feature: pd.Series, target: pd.Series, n_unique: int | None) -> bool:
    f_codes = pd.factorize(feature)[0].astype("int64")
    t_codes, classes = pd.factorize(target)
    t_codes = t_codes.astype("int64")
    both = (f_codes >= 0) & (t_codes >= 0)
    present = int(both.sum())
    f_present = f_codes[both]
    distinct = len(pd.unique(f_present)) if n_unique is None else n_unique
    # a value seen once maps trivially to its class: demand repeated values
    if present == 0 or (n_unique is not None and distinct > present / 2):
        return False
    pairs = f_present * max(len(classes), 1) + t_codes[both]
    return len(pd.unique(pairs)) == len(pd.unique(f_present))
