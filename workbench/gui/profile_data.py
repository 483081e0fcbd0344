"""Read the engine's dataset Profile into the plain pieces the views draw.

The views need a few things per column (statistics, a histogram or top
values, warnings) and a correlation matrix.  This module is the one place
that knows the Profile's JSON shape (``Profile.to_dict()``).  It only reads:
nothing here computes from the data, because it runs on the GUI thread and
one ``nunique`` or ``value_counts`` of a 5M-row column freezes the window for
a second.  A piece the profile lacks is simply not shown; the profile itself
is computed by the engine in a worker.
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
            out.append({"column": w.get("column"), "code": w.get("code", ""), "message": w.get("message", ""),
                         "actions": list(w.get("actions") or []), "columns": list(w.get("columns") or []),
                         "missing_values": list(w.get("missing_values") or [])})
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


def column_stats(profile: Any, column: str, kind: str = "") -> list[tuple[str, str]]:
    """(label, text) rows for the profile panel of ``column`` (empty without a profile)."""
    info = column_profile(profile, column)
    if isinstance(info.get("stats"), dict):
        info = {**info, **info["stats"]}  # Profile nests numeric statistics
    if kind and "kind" not in info:
        info["kind"] = kind
    rows: list[tuple[str, str]] = []
    for key, label in _STAT_LABELS:
        aliases = {"missing": ("missing", "n_missing", "null_count"), "unique": ("unique", "n_unique", "distinct"),
                   "median": ("median", "q50", "p50"), "q25": ("q25", "p25"), "q75": ("q75", "p75"),
                   "dtype": ("dtype", "storage")}.get(key, (key,))
        value = next((info[a] for a in aliases if a in info), None)
        if value is None:
            continue
        text = _fmt(value)
        if key == "missing" and isinstance(info.get("missing_fraction"), (int, float)):
            text += f"  ({float(info['missing_fraction']):.1%})"
        elif key == "unique" and info.get("n_unique_exact") is False:
            text = "≈ " + text
        rows.append((label, text))
    return rows


def histogram(profile: Any, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(edges, counts) of a numeric or date column, from the profile."""
    hist = column_profile(profile, column).get("histogram")
    if isinstance(hist, dict) and hist.get("edges") and hist.get("counts") is not None:
        return np.asarray(hist["edges"], float), np.asarray(hist["counts"], float)
    return None


def top_values(profile: Any, column: str, n: int = 15) -> list[tuple[str, float]]:
    """Most frequent values with their counts (categorical columns), from the profile."""
    info = column_profile(profile, column)
    top = info.get("top") or info.get("top_values")
    pairs: list[tuple[str, float]] = []
    if isinstance(top, dict):
        pairs = [(str(k), float(v)) for k, v in top.items()]
    elif isinstance(top, list):
        for item in top:
            if isinstance(item, dict):
                value = item.get("value")
                pairs.append(("(missing)" if _isna(value) else str(value), float(item.get("count", 0))))
            elif isinstance(item, (list, tuple)) and len(item) >= 2:
                pairs.append((str(item[0]), float(item[1])))
    return pairs[:n]


def class_balance(profile: Any, target: str) -> list[tuple[str, float]]:
    """Rows per class of ``target`` when the profile was made for that target."""
    d = as_dict(profile)
    balance = d.get("class_balance")
    if d.get("target") != target or not isinstance(balance, dict):
        return []
    return [(str(k), float(v)) for k, v in balance.items()]


def n_unique(profile: Any, column: str) -> int | None:
    value = column_profile(profile, column).get("n_unique")
    return int(value) if isinstance(value, (int, float)) else None


def _isna(value: Any) -> bool:
    try:
        return bool(value != value) or value is None
    except Exception:  # noqa: BLE001
        return False


def correlations(profile: Any, max_columns: int = 30) -> tuple[list[str], np.ndarray] | None:
    """(column names, matrix) of numeric correlations, from the profile."""
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
    return None


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)
