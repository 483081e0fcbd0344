"""Dataset-level warnings a data scientist would raise before training.

Duplicate rows, near-copies among the features (|r| >= ``HIGH_CORRELATION``),
more columns than rows, numbers read as text because of a few stray values
(which values, in which rows), and zeros a physical measure cannot have.
Each warning names its column(s) and, where one makes sense, the action a
front end can offer in one click (``"actions"``: ``drop_column`` of
``"column"``; ``treat_as_missing`` of the warning's ``"missing_values"``,
which a run applies as ``ColumnPrep.missing_values``; ``ignore``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from workbench.engine.data.column_profile import ColumnProfile

HIGH_CORRELATION = 0.95
MAX_CORRELATED_PAIRS = 10  # one warning per pair, the strongest first
# A text column is "numbers with strays" when at most this share of its
# values (and at most STRAY_MAX_ROWS rows) fail to parse as numbers ...
STRAY_MAX_SHARE = 0.02
STRAY_MAX_ROWS = 50
# ... or when the values that fail are a handful of distinct texts and most
# rows are numbers, however many rows hold them: "?" for a tenth of the
# rows, or a concatenated export's header line every 10,000 rows of a
# million (the limits above alone missed both).
STRAY_MAX_DISTINCT = 5
STRAY_MAX_SHARE_FEW_DISTINCT = 0.5
STRAY_SHOWN = 5
# Zeros are suspicious when they are rare and the smallest non-zero value is
# far from 0 compared with the spread of the rest (glucose 0 among 44..199;
# not pregnancies 0 among 1..17).
ZERO_MAX_SHARE = 0.5
ZERO_GAP_IQR = 1.0


def _warning(code: str, column: str | None, message: str, *, columns: list[str] | None = None,
             actions: tuple[str, ...] = ("ignore",), **extra: Any) -> dict[str, Any]:
    out = {"column": column, "code": code, "message": message, "actions": list(actions)}
    if columns:
        out["columns"] = columns
    out.update(extra)
    return out


def duplicate_rows_warning(duplicates: int, rows: int) -> list[dict[str, Any]]:
    if duplicates <= 0:
        return []
    return [_warning("duplicate_rows", None,
                     f"{duplicates:,} row(s) ({duplicates / max(rows, 1):.1%}) repeat an earlier row exactly; "
                     "they weigh double in training and can leak between the training and test split.")]


def wide_data_warning(rows: int, n_columns: int) -> list[dict[str, Any]]:
    if n_columns <= rows:
        return []
    return [_warning("wide_data", None,
                     f"More columns ({n_columns:,}) than rows ({rows:,}): most models will overfit; "
                     "select a few features or collect more rows.")]


def correlated_pairs(correlation: dict[str, Any], target: str | None) -> list[dict[str, Any]]:
    """One warning per pair of features with |r| >= HIGH_CORRELATION (strongest first)."""
    names = correlation.get("columns") or []
    matrix = correlation.get("matrix") or []
    if len(names) < 2:
        return []
    m = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = m[i, j]
            if np.isfinite(r) and abs(r) >= HIGH_CORRELATION and target not in (names[i], names[j]):
                pairs.append((abs(r), r, names[i], names[j]))
    pairs.sort(reverse=True)
    return [
        _warning("high_correlation", b,
                 f"'{a}' and '{b}' are nearly copies of each other (r = {r:+.3f}); keep one of them.",
                 columns=[a, b], actions=("drop_column", "ignore"))
        for _abs, r, a, b in pairs[:MAX_CORRELATED_PAIRS]
    ]


def numbers_read_as_text(s: pd.Series, name: str) -> list[dict[str, Any]]:
    """A text column whose values are numbers but for a few strays (a repeated header line, "n/a")."""
    if s.dtype != object and not isinstance(s.dtype, pd.StringDtype):
        return []
    present = s.dropna()
    if present.empty:
        return []
    # On distinct values: a million rows of a few hundred codes parse in microseconds,
    # and a real text column is rejected on its first few hundred values.
    uniq = pd.Series(pd.unique(present.astype(str).str.strip()))
    uniq = uniq[uniq != ""]
    if uniq.empty or pd.to_numeric(uniq.head(200), errors="coerce").notna().mean() < 0.5:
        return []
    bad_values = set(uniq[pd.to_numeric(uniq, errors="coerce").isna()])
    if not bad_values or len(bad_values) == len(uniq):
        return []
    as_text = present.astype(str).str.strip()
    bad = as_text.isin(bad_values)
    n_bad = int(bad.sum())
    few_rows = n_bad <= max(1, min(STRAY_MAX_ROWS, STRAY_MAX_SHARE * len(as_text)))
    few_markers = len(bad_values) <= STRAY_MAX_DISTINCT and n_bad < STRAY_MAX_SHARE_FEW_DISTINCT * len(as_text)
    if not (few_rows or few_markers):
        return []
    strays = as_text[bad]
    # Every stray, as the file holds it: treat_as_missing needs them all.
    missing = sorted({str(v) for v in s[strays.index].dropna()})
    positions = [int(p) + 1 for p in np.flatnonzero(s.index.isin(strays.index))[:STRAY_SHOWN]]
    values = ", ".join(repr(v) for v in pd.unique(strays.to_numpy())[:STRAY_SHOWN])
    where = ", ".join(str(p) for p in positions) + (" …" if n_bad > STRAY_SHOWN else "")
    share = f" ({n_bad / len(as_text):.1%} of the rows)" if n_bad > STRAY_MAX_ROWS else ""
    # The column's own name among the strays: its header line, repeated.
    why = "the header line, repeated" if name.strip().lower() in {v.lower() for v in bad_values} \
        else "a code for 'unknown'?"
    return [_warning("numbers_as_text", name,
                     f"'{name}' is numbers read as text because of {n_bad:,} stray value(s){share}: {values} "
                     f"in data row(s) {where} ({why}). Treat them as missing, fix the file, "
                     "or drop the column.",
                     actions=("treat_as_missing", "drop_column", "ignore"),
                     stray_values=[str(v) for v in pd.unique(strays)[:STRAY_SHOWN]],
                     stray_rows=positions, missing_values=missing)]


def impossible_zeros(s: pd.Series, name: str, col: ColumnProfile) -> list[dict[str, Any]]:
    """Zeros in a positive measure whose other values are far from 0 (a 0 standing for 'unknown')."""
    if col.kind != "numeric" or not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return []
    values = s.to_numpy(dtype="float64", na_value=np.nan)
    values = values[np.isfinite(values)]
    if values.size < 10:
        return []
    zeros = int(np.count_nonzero(values == 0))
    nonzero = values[values != 0]
    if zeros == 0 or zeros > ZERO_MAX_SHARE * values.size or nonzero.size < 5 or nonzero.min() < 0:
        return []
    q1, q3 = np.percentile(nonzero, [25, 75])
    if q3 - q1 <= 0 or nonzero.min() < ZERO_GAP_IQR * (q3 - q1):
        return []
    return [_warning("impossible_zeros", name,
                     f"'{name}' is 0 in {zeros:,} row(s) although its other values run from "
                     f"{nonzero.min():g} to {nonzero.max():g}: 0 probably stands for 'unknown'. "
                     "Treat those zeros as missing (impute) or drop the column.",
                     actions=("treat_as_missing", "drop_column", "ignore"), zeros=zeros, missing_values=[0])]


def dataset_warnings(df: pd.DataFrame, columns: dict[str, ColumnProfile], correlation: dict[str, Any],
                     duplicates: int, target: str | None) -> list[dict[str, Any]]:
    """All dataset-level warnings of this module, in the order a person reads them."""
    out = duplicate_rows_warning(duplicates, len(df)) + wide_data_warning(len(df), df.shape[1])
    out += correlated_pairs(correlation, target)
    for name, col in columns.items():
        if name == target:
            continue
        out += numbers_read_as_text(df[name], name)
        out += impossible_zeros(df[name], name, col)
    return out
