"""A dataset's profile: per-column statistics, histograms, correlations and
warnings a person should see before training (ids, constants, missing values,
infinities, class imbalance, target leakage, high cardinality).

Everything runs on whole columns in numpy/pandas C code.  Some parts use a
random sample of rows on big frames, and the profile says so
(``sample_rows``): the correlation matrix and the leakage correlations use at
most ``CORRELATION_SAMPLE`` rows (an error of about +-0.01 on r); the
quantiles of a numeric column longer than ``EXACT_ROWS`` come from a sorted
random sample of that many values (a rank error of about +-0.1 %), and its
distinct count may be an estimate (``n_unique_exact`` False, see
:func:`~workbench.engine.data.schema.summarize_numbers`).  Min, max, mean,
std, missing and infinite counts and histograms always use every row.
Duplicate rows are counted on 64-bit row hashes
(``pandas.util.hash_pandas_object``): exact but for hash collisions, whose
chance is negligible (~n^2 / 2^65).
"""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.jobs.events import JobContext
from workbench.engine.json_values import json_safe
from workbench.engine.data import schema as _schema
from workbench.engine.data.correlation import correlation_matrix
from workbench.engine.data.schema import (
    WORKER_THREADS,
    ColumnType,
    NumberSummary,
    Schema,
    infer_column,
    summarize_numbers,
)
from workbench.engine.data.schema import (
    sample_rows as number_sample_rows,
)
from workbench.engine.data.quality import dataset_warnings
from workbench.engine.data.column_profile import ColumnProfile
from workbench.engine.data.target_checks import target_checks

__all__ = ["ColumnProfile", "Profile", "profile_dataset", "WARNING_CODES"]

WARNING_CODES = (
    "id_like",
    "constant",
    "high_missing",
    "all_missing",
    "infinite_values",
    "imbalance",
    "leakage",
    "high_cardinality",
    # dataset level (workbench.engine.data.quality)
    "duplicate_rows",
    "wide_data",
    "high_correlation",
    "numbers_as_text",
    "impossible_zeros",
)
DROPPABLE = frozenset({"all_missing", "high_missing", "constant"})
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
TOP_N = 10
HISTOGRAM_BINS = 30
HIGH_MISSING = 0.20  # a fifth of a column missing is worth a look before training
HIGH_CARDINALITY = 50
CORRELATION_SAMPLE = 50_000


@dataclass
class Profile:
    """The profile of a whole dataset (see :func:`profile_dataset`).

    ``columns`` maps column name -> :class:`ColumnProfile` in frame order.
    ``correlation`` is ``{"columns": [...], "matrix": [[r, ...], ...]}``
    (Pearson, pairwise-complete, None where undefined).  ``class_balance``
    maps each target class to its row count (most frequent first) when the
    target is class-like.  ``warnings`` is a list of ``{"column", "code",
    "message"}`` (``column`` None for dataset-wide warnings); codes are in
    :data:`WARNING_CODES`.
    """

    rows: int
    n_columns: int
    memory_bytes: int
    duplicate_rows: int
    constant_columns: list[str]
    columns: dict[str, ColumnProfile]
    schema: Schema
    correlation: dict[str, Any]
    target: str | None = None
    class_balance: dict[str, int] | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    sample_rows: dict[str, int] = field(default_factory=dict)

    def warnings_for(self, column: str) -> list[dict[str, Any]]:
        return [w for w in self.warnings if w["column"] == column]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: plain Python types only, NaN and infinities as None."""
        return json_safe(
            {
                "rows": self.rows,
                "n_columns": self.n_columns,
                "memory_bytes": self.memory_bytes,
                "duplicate_rows": self.duplicate_rows,
                "constant_columns": list(self.constant_columns),
                "columns": {n: c.to_dict() for n, c in self.columns.items()},
                "schema": self.schema.to_dict(),
                "correlation": self.correlation,
                "target": self.target,
                "class_balance": self.class_balance,
                "warnings": self.warnings,
                "sample_rows": self.sample_rows,
            }
        )


def profile_dataset(
    df: pd.DataFrame,
    schema: Schema | None = None,
    target: str | None = None,
    ctx: JobContext | None = None,
) -> Profile:
    """Profile a frame: statistics per column, dataset facts and warnings.

    Parameters
    ----------
    df : pandas.DataFrame
    schema : Schema, optional
        Column kinds; inferred with :func:`infer_schema` when omitted.
    target : str, optional
        The column to predict: adds its class balance (when class-like) and
        the ``imbalance`` and ``leakage`` checks.
    ctx : JobContext, optional
        Progress per column; ``ctx.check()`` between columns (cancellable).

    Returns
    -------
    Profile
    """
    ctx = ctx or JobContext()
    if target is not None and target not in df.columns:
        raise KeyError(f"target column {target!r} is not in the data")
    ctx.check()
    rows = len(df)
    names = [str(c) for c in df.columns]
    df = df.set_axis(names, axis=1) if list(df.columns) != names else df
    warnings: list[dict[str, Any]] = []
    columns: dict[str, ColumnProfile] = {}
    ctypes: list[ColumnType] = []
    n = max(len(names), 1)

    numbers_sample = number_sample_rows(rows)  # shared by the long numeric columns

    def work(name: str) -> tuple[ColumnType, ColumnProfile]:
        return _profile_column(df[name], name, schema[name] if schema is not None else None, rows,
                               numbers_sample)

    # Columns run on a few threads (sorting in numpy releases the GIL), in a
    # short window so only a few sorted copies are alive at once; results
    # are taken in column order so progress and warnings stay ordered.
    with ThreadPoolExecutor(max_workers=WORKER_THREADS) as pool:
        pending: deque = deque()
        queue = iter(names)
        try:
            for name in queue:
                pending.append((name, pool.submit(work, name)))
                if len(pending) >= 2 * WORKER_THREADS:
                    break
            i = 0
            while pending:
                name, future = pending.popleft()
                ctype, col = future.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(work, nxt)))
                ctypes.append(ctype)
                columns[name] = col
                warnings += _column_warnings(col, rows, is_target=name == target)
                i += 1
                ctx.progress(0.7 * i / n, f"Profiled column {i} of {n}: {name}")
                ctx.check()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    schema = schema if schema is not None else Schema(ctypes)

    # Duplicates, correlations and the target checks are independent and
    # mostly numpy (hashing, matrix products): run them side by side.
    ctx.progress(0.7, "Counting duplicate rows, correlations" + (" and checking the target" if target else ""))
    ctx.check()
    # The same seeded sample of rows as the numeric summaries draw.
    sample_index = number_sample_rows(rows, CORRELATION_SAMPLE)
    numeric = [c for c in schema.columns("numeric") if c != target and columns[c].n_unique > 1]
    with ThreadPoolExecutor(max_workers=WORKER_THREADS) as pool:
        duplicates_job = pool.submit(_count_duplicates, df, columns)
        correlation_job = pool.submit(correlation_matrix, df, numeric, sample_index)
        target_job = (pool.submit(target_checks, df, schema, columns, target, sample_index)
                      if target is not None else None)
        correlation = correlation_job.result()
        ctx.progress(0.8, "Correlations done")
        duplicates = duplicates_job.result()
        ctx.progress(0.9, "Duplicate rows counted")
        class_balance = None
        if target_job is not None:
            class_balance, target_warnings = target_job.result()
            warnings += target_warnings
    ctx.check()
    quality = dataset_warnings(df, columns, correlation, duplicates, target)
    as_text = {w["column"] for w in quality if w["code"] == "numbers_as_text"}
    # "many distinct values" or "an identifier" of a numeric column read as text is the same problem, said worse.
    warnings = [w for w in warnings
                if not (w["code"] in ("high_cardinality", "id_like") and w["column"] in as_text)] + quality

    sample_rows = {}
    if sample_index is not None:
        sample_rows = {"correlation": len(sample_index), "leakage": len(sample_index)}
    exact_rows = _schema.EXACT_ROWS
    if any(c.stats and "q50" in c.stats and rows - c.missing > exact_rows for c in columns.values()):
        sample_rows["quantiles"] = exact_rows  # per numeric column longer than that
    profile = Profile(
        rows=rows,
        n_columns=df.shape[1],
        memory_bytes=_memory_bytes(df),
        duplicate_rows=duplicates,
        constant_columns=[c.name for c in columns.values() if c.n_unique == 1],
        columns=columns,
        schema=schema,
        correlation=correlation,
        target=target,
        class_balance=class_balance,
        warnings=warnings,
        sample_rows=sample_rows,
    )
    ctx.progress(1.0, "Profile ready")
    return profile


# ------------------------------------------------------------------ columns
def _profile_column(
    s: pd.Series, name: str, ctype: ColumnType | None, rows: int, sample: np.ndarray | None = None
) -> tuple[ColumnType, ColumnProfile]:
    """Infer the column's kind (unless given) and compute its statistics,
    sharing the expensive part (one sort of at most ``EXACT_ROWS`` values,
    or one value count) between both."""
    stats = histogram = top = None
    if s.dtype.kind in "iuf":
        summary = summarize_numbers(s, sample)
        ctype = ctype or infer_column(name, s, summary.n_unique, summary.exact)
        if ctype.kind in ("numeric", "id"):
            stats, histogram = _numeric_stats(summary, ctype.n_unique)
        elif ctype.kind != "datetime":
            top = _top_values(s)[0]
    else:
        counts = None
        if ctype is None or ctype.kind not in ("datetime",):
            top, counts = _top_values(s)
        ctype = ctype or infer_column(name, s, counts)
        if ctype.kind == "datetime":
            stats, histogram = _datetime_stats(s)
            top = None
    missing = int(ctype.missing)
    prof = ColumnProfile(
        name=name,
        kind=ctype.kind,
        dtype=ctype.dtype,
        missing=missing,
        missing_fraction=missing / rows if rows else 0.0,
        n_unique=int(ctype.n_unique),
        stats=stats,
        top=top,
        histogram=histogram,
        n_unique_exact=bool(getattr(ctype, "n_unique_exact", True)),
    )
    return ctype, prof


def _numeric_stats(summary: NumberSummary, n_unique: int) -> tuple[dict[str, Any], dict[str, list[Any]] | None]:
    """Statistics of a numeric column from its :class:`NumberSummary`.

    Exact columns (at most ``EXACT_ROWS`` values, sorted whole): quantiles by
    index and histogram counts by binary search, so the one sort is the only
    O(n log n) step.  Longer columns: min, max, mean, std and the histogram
    on every value (vectorised, O(n)); quantiles from the sorted sample.
    """
    ordered = summary.sorted_values
    neg_inf = int(np.searchsorted(ordered, -np.inf, side="right"))
    pos_inf = len(ordered) - int(np.searchsorted(ordered, np.inf, side="left"))
    ordered_finite = ordered[neg_inf : len(ordered) - pos_inf]
    if summary.sampled:
        infinite = np.isinf(summary.values)
        n_infinite = int(np.count_nonzero(infinite))
        finite = summary.values[~infinite] if n_infinite else summary.values
    else:
        n_infinite = neg_inf + pos_inf
        finite = ordered_finite
    stats: dict[str, Any] = {"n_infinite": n_infinite}
    size = finite.size
    if size == 0 or ordered_finite.size == 0:
        return stats, None
    lo, hi = (float(finite.min()), float(finite.max())) if summary.sampled else (
        float(finite[0]), float(finite[-1]))
    stats.update(
        min=lo,
        max=hi,
        mean=float(finite.mean()),
        std=float(finite.std(ddof=1)) if size > 1 else 0.0,
    )
    stats.update(_sorted_quantiles(ordered_finite))
    # few distinct values (counts, small integers): one bin per value is readable
    bins = max(1, min(HISTOGRAM_BINS, n_unique))
    if hi > lo:
        edges = np.linspace(lo, hi, bins + 1)
    else:
        edges = np.array([lo - 0.5, hi + 0.5])
    if summary.sampled:
        # np.histogram: the same [e_i, e_i+1) bins, last one closed
        counts = np.histogram(finite, bins=edges if hi <= lo else bins, range=(lo, hi) if hi > lo else None)[0]
    else:
        # bins are [e_i, e_i+1) and the last one is closed, as in np.histogram
        inner = np.searchsorted(finite, edges[1:-1], side="left")
        counts = np.diff(np.concatenate(([0], inner, [size])))
    return stats, {"counts": counts.tolist(), "edges": edges.tolist()}


def _sorted_quantiles(ordered: np.ndarray) -> dict[str, float]:
    """``QUANTILES`` of a sorted array by index (numpy's default "linear" method)."""
    size = ordered.size
    out = {}
    for q in QUANTILES:
        pos = q * (size - 1)
        below = int(math.floor(pos))
        above = min(below + 1, size - 1)
        value = ordered[below] + (ordered[above] - ordered[below]) * (pos - below)
        out[f"q{int(round(q * 100)):02d}"] = float(value)
    return out


def _datetime_stats(s: pd.Series) -> tuple[dict[str, Any], dict[str, list[Any]] | None]:
    try:
        dt = _to_datetime(s)
    except (ValueError, TypeError, OverflowError):  # a kind set by hand that does not fit
        return {}, None
    if getattr(dt.dt, "tz", None) is not None:
        dt = dt.dt.tz_convert(None)
    ns = dt.dropna().astype("datetime64[ns]").to_numpy().astype("int64")
    if ns.size == 0:
        return {}, None
    lo, hi = int(ns.min()), int(ns.max())
    counts, edges = np.histogram(ns.astype("float64"), bins=HISTOGRAM_BINS if hi > lo else 1,
                                 range=(lo, hi) if hi > lo else (lo - 1, hi + 1))
    iso = [pd.Timestamp(int(e)).isoformat() for e in edges]
    stats = {"min": pd.Timestamp(lo).isoformat(), "max": pd.Timestamp(hi).isoformat()}
    # numeric edges in days since 1970-01-01 (the model's datetime encoding)
    days = (edges / 86_400e9).tolist()
    return stats, {"counts": counts.tolist(), "edges": days, "edge_labels": iso}


# Python-level work on this many rows at a time: each call holds the GIL for
# ~20 ms at most, so a window whose worker thread profiles a big frame keeps
# drawing (a whole 1M-row column held it for 200-300 ms at a time).
GIL_CHUNK_ROWS = 100_000
# Rows whose Python objects are measured for the memory estimate.
MEMORY_SAMPLE_ROWS = 20_000


def _memory_bytes(df: pd.DataFrame) -> int:
    """Bytes the frame holds: exact for arrays, sampled for Python objects.

    ``memory_usage(deep=True)`` sizes every string object, holding the GIL
    (300 ms for four 1M-row text columns); a sample of evenly spaced rows,
    scaled up, is within a few percent for a size shown as "123 MB".
    """
    n = len(df)
    if n <= MEMORY_SAMPLE_ROWS:
        return int(df.memory_usage(deep=True, index=False).sum())
    shallow = df.memory_usage(deep=False, index=False)
    step = n // MEMORY_SAMPLE_ROWS
    total = 0
    for i, col in enumerate(df.columns):
        s = df.iloc[:, i]
        if s.dtype.kind == "O" or (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "python"):
            sample = s.iloc[::step]
            total += int(sample.memory_usage(deep=True, index=False) * n / max(len(sample), 1))
        else:
            total += int(shallow[col])
    return total


def _to_datetime(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    from pandas.tseries.api import guess_datetime_format

    first = s.dropna()
    fmt = guess_datetime_format(str(first.iloc[0])) if len(first) else None

    def parse(part: pd.Series) -> pd.Series:
        return pd.to_datetime(part, format=fmt or "ISO8601", errors="coerce", utc=False)

    if len(s) <= GIL_CHUNK_ROWS:
        return parse(s)
    return pd.concat([parse(s.iloc[i:i + GIL_CHUNK_ROWS]) for i in range(0, len(s), GIL_CHUNK_ROWS)])


def _top_values(s: pd.Series) -> tuple[list[dict[str, Any]], int]:
    """The TOP_N most frequent values and the number of distinct values."""
    try:
        counts = s.value_counts(dropna=True, sort=True)
    except TypeError:  # unhashable cells
        counts = s.dropna().astype(str).value_counts()
    top = [{"value": json_safe(v), "count": int(c)} for v, c in counts.head(TOP_N).items()]
    return top, len(counts)


def _column_warnings(col: ColumnProfile, rows: int, *, is_target: bool) -> list[dict[str, Any]]:
    out = []

    def warn(code: str, message: str) -> None:
        # A column with nothing to learn from can go in one click.
        actions = ["drop_column", "ignore"] if code in DROPPABLE and not is_target else ["ignore"]
        out.append({"column": col.name, "code": code, "message": message, "actions": actions})

    present = rows - col.missing
    if present == 0:
        warn("all_missing", f"'{col.name}' has no values at all; it carries no information.")
        return out
    if col.missing / rows >= HIGH_MISSING:
        warn(
            "high_missing",
            f"'{col.name}' is missing in {col.missing / rows:.0%} of rows "
            f"({col.missing:,} of {rows:,}); impute it or leave it out.",
        )
    if col.n_unique == 1:
        warn("constant", f"'{col.name}' holds one value only; it cannot help a model.")
    if col.kind == "id" and not is_target:
        warn("id_like", f"'{col.name}' looks like an identifier (unique per row); it is left out of features by default.")
    if col.stats and col.stats.get("n_infinite"):
        warn(
            "infinite_values",
            f"'{col.name}' holds {col.stats['n_infinite']:,} infinite value(s); "
            "they are treated as missing when training.",
        )
    if col.kind == "categorical" and col.n_unique > HIGH_CARDINALITY and not is_target:
        warn(
            "high_cardinality",
            f"'{col.name}' has {col.n_unique:,} distinct values; one-hot encoding it "
            "makes many features. Consider grouping rare values or another encoding.",
        )
    return out


# ------------------------------------------------------------ dataset level
def _count_duplicates(df: pd.DataFrame, columns: dict[str, ColumnProfile]) -> int:
    """Rows equal to an earlier row, on 64-bit row hashes.

    Two equal rows agree on every column, so only rows whose most varied
    column repeats can be duplicates: hash that column first and hash whole
    rows for those candidates only (on continuous data, almost none).
    """
    if len(df) < 2:
        return 0
    key = max(columns.values(), key=lambda c: c.n_unique).name
    first = _row_hashes(df[[key]])
    candidates = pd.Series(first).duplicated(keep=False).to_numpy()
    if not candidates.any():
        return 0
    hashes = _row_hashes(df[candidates])
    return int(len(hashes) - len(pd.unique(hashes)))


def _row_hashes(df: pd.DataFrame) -> np.ndarray:
    try:
        return pd.util.hash_pandas_object(df, index=False).to_numpy()
    except TypeError:  # unhashable cells: hash their text
        return pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy()
