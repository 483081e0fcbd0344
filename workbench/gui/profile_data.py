"""Read the engine's dataset Profile into the plain pieces the views draw.

The views need a few things per column (statistics, a histogram or top
values, warnings) and a correlation matrix.  This module is the one place
that knows the Profile's JSON shape (``Profile.to_dict()``); when a piece is
missing it falls back to computing it from the frame, which is cheap for the
one column on screen.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def as_dict(profile: Any) -> dict[str, Any]:
    if profile is None:
        return {}
    if isinstance(profile, dict):
        return profile
    to_dict = getattr(profile, "to_dict", None)
    return to_dict() if callable(to_dict) else {}


def column_profile(profile: Any, column: str) -> dict[str, Any]:
    cols = as_dict(profile).get("columns") or {}
    if isinstance(cols, dict):
        return dict(cols.get(column) or {})
    for c in cols:  # a list of column dicts
        if isinstance(c, dict) and str(c.get("name")) == column:
            return dict(c)
    return {}


def warnings(profile: Any) -> list[dict[str, Any]]:
    """All profile warnings: dicts with column, code, message (column may be None)."""
    if profile is None:
        return []
    items = getattr(profile, "warnings", None)
    if items is None:
        items = as_dict(profile).get("warnings") or []
    out = []
    for w in items:
        if isinstance(w, dict):
            out.append({"column": w.get("column"), "code": w.get("code", ""), "message": w.get("message", "")})
        else:
            out.append({"column": getattr(w, "column", None), "code": getattr(w, "code", ""),
                        "message": getattr(w, "message", str(w))})
    return out


def column_warnings(profile: Any, column: str) -> list[dict[str, Any]]:
    return [w for w in warnings(profile) if w.get("column") == column]


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


_STAT_LABELS = (
    ("kind", "Type"),
    ("dtype", "Storage"),
    ("count", "Values"),
    ("missing", "Missing"),
    ("unique", "Unique"),
    ("mean", "Mean"),
    ("std", "Std. dev."),
    ("min", "Min"),
    ("q25", "25%"),
    ("median", "Median"),
    ("q75", "75%"),
    ("max", "Max"),
    ("zeros", "Zeros"),
    ("n_infinite", "Infinite"),
)


def column_stats(profile: Any, frame: Any, column: str, kind: str = "") -> list[tuple[str, str]]:
    """(label, text) rows for the profile panel of ``column``."""
    info = column_profile(profile, column)
    if isinstance(info.get("stats"), dict):
        info = {**info, **info["stats"]}  # Profile nests numeric statistics
    series = frame[column] if frame is not None and column in frame.columns else None
    if not info and series is not None:
        info = _quick_stats(series)
    if kind and "kind" not in info:
        info["kind"] = kind
    rows: list[tuple[str, str]] = []
    n = len(series) if series is not None else None
    for key, label in _STAT_LABELS:
        aliases = {"missing": ("missing", "n_missing", "null_count"), "unique": ("unique", "n_unique", "distinct"),
                   "median": ("median", "q50", "p50"), "q25": ("q25", "p25"), "q75": ("q75", "p75"),
                   "dtype": ("dtype", "storage")}.get(key, (key,))
        value = next((info[a] for a in aliases if a in info), None)
        if value is None:
            continue
        text = _fmt(value)
        if key == "missing" and n:
            try:
                text += f"  ({float(value) / n:.1%})"
            except (TypeError, ValueError):
                pass
        rows.append((label, text))
    return rows


def _quick_stats(series: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"dtype": str(series.dtype), "missing": int(series.isna().sum())}
    try:
        out["unique"] = int(series.nunique())
    except TypeError:
        pass
    if series.dtype.kind in "biuf":
        values = series.to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if finite.size:
            out.update(mean=float(finite.mean()), std=float(finite.std()), min=float(finite.min()),
                       median=float(np.median(finite)), max=float(finite.max()))
    return out


def histogram(profile: Any, frame: Any, column: str, bins: int = 30) -> tuple[np.ndarray, np.ndarray] | None:
    """(edges, counts) of a numeric column, from the profile or computed."""
    info = column_profile(profile, column)
    hist = info.get("histogram")
    if isinstance(hist, dict) and hist.get("edges") and hist.get("counts") is not None:
        return np.asarray(hist["edges"], float), np.asarray(hist["counts"], float)
    if frame is None or column not in frame.columns:
        return None
    series = frame[column]
    if getattr(series.dtype, "kind", "O") not in "biuf":
        if "datetime" not in str(series.dtype):
            return None
        values = series.astype("int64").to_numpy(dtype=float) / 86400e9
    else:
        values = series.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    counts, edges = np.histogram(finite, bins=bins)
    return edges, counts.astype(float)


def top_values(profile: Any, frame: Any, column: str, n: int = 15) -> list[tuple[str, float]]:
    """Most frequent values with their counts (categorical columns, targets)."""
    info = column_profile(profile, column)
    top = info.get("top") or info.get("top_values")
    pairs: list[tuple[str, float]] = []
    if isinstance(top, dict):
        pairs = [(str(k), float(v)) for k, v in top.items()]
    elif isinstance(top, list):
        for item in top:
            if isinstance(item, dict):
                pairs.append((str(item.get("value")), float(item.get("count", 0))))
            elif isinstance(item, (list, tuple)) and len(item) >= 2:
                pairs.append((str(item[0]), float(item[1])))
    if pairs:
        return pairs[:n]
    if frame is None or column not in frame.columns:
        return []
    counts = frame[column].value_counts(dropna=False).head(n)
    return [("(missing)" if _isna(k) else str(k), float(v)) for k, v in counts.items()]


def _isna(value: Any) -> bool:
    try:
        return bool(value != value) or value is None
    except Exception:  # noqa: BLE001
        return False


def correlations(profile: Any, frame: Any, max_columns: int = 30) -> tuple[list[str], np.ndarray] | None:
    """(column names, matrix) of numeric correlations, from the profile or computed."""
    d = as_dict(profile)
    corr = d.get("correlation") or d.get("correlations")
    if isinstance(corr, dict):
        names = corr.get("columns") or corr.get("names")
        matrix = corr.get("matrix") or corr.get("values")
        if names and matrix is not None:
            m = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
            return [str(n) for n in names][:max_columns], m[:max_columns, :max_columns]
        # {col: {col: r}} mapping
        if corr and all(isinstance(v, dict) for v in corr.values()):
            names = list(corr)[:max_columns]
            m = np.array([[_num(corr[a].get(b)) for b in names] for a in names], dtype=float)
            return names, m
    if frame is None:
        return None
    numeric = frame.select_dtypes("number")
    if numeric.shape[1] < 2:
        return None
    numeric = numeric.iloc[: 200_000, :max_columns]
    return [str(c) for c in numeric.columns], numeric.corr().to_numpy()


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)
