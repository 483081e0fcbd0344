"""What kind of data each column holds: the dataset's schema.

Kinds: ``numeric``, ``categorical``, ``boolean``, ``datetime``, ``text`` (free
text, many words) and ``id`` (identifiers: unique per row, no signal a model
should learn from).  The first four are the feature kinds a model takes (see
``model.FEATURE_KINDS``); ``text`` and ``id`` columns are ignored by default.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["KINDS", "ColumnType", "Schema", "infer_schema", "infer_column", "is_id_like_name"]

KINDS = ("numeric", "categorical", "boolean", "datetime", "text", "id")

# Pairs of spellings read as a two-valued (boolean) column, compared lowercased.
_BOOLEAN_PAIRS = (
    {"true", "false"},
    {"yes", "no"},
    {"0", "1"},
    {"t", "f"},
    {"y", "n"},
)
_ID_NAME = re.compile(
    r"^(id|uuid|guid|index|row_?(id|num|number))$"  # the whole name
    r"|(^|[_\s.-])(id|uuid|guid)$"  # user_id, user id, order.uuid
    r"|^(id|uuid|guid)[_\s.-]",  # id_user
    re.IGNORECASE,
)
_CAMEL_ID = re.compile(r"[a-z0-9]I[Dd]$")  # userId, customerID; not "paid", "valid"
_NUMBER_TEXT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")

SAMPLE_SIZE = 2000  # values looked at for datetime/text/id decisions
MIN_ROWS_FOR_COUNTER = 10  # fewer rows: a unique increasing column is not yet a "counter"
DATETIME_SHARE = 0.9
ID_UNIQUE_SHARE = 0.95
TEXT_MIN_WORDS = 4.0
TEXT_MIN_LENGTH = 50.0
TEXT_UNIQUE_SHARE = 0.5
WORKER_THREADS = max(1, min(4, os.cpu_count() or 1))
# Numeric columns with at most this many values get exact distinct counts
# (and exact profile quantiles) from one sort.  Longer columns sort a random
# sample of this size instead: sorting every float column whole was almost
# all of the profile's time (1M rows x 40 floats: 3.4-5.1 s).
EXACT_ROWS = 200_000
# A sample with at most this many distinct values means a low-cardinality
# column: its exact count is one cheap hash pass over the whole column.
LOW_CARDINALITY = 10_000
_SAMPLE_SEED = 0


@dataclass
class ColumnType:
    """One column's inferred kind and the counts the inference used.

    ``dtype`` is the pandas dtype as a string, ``n_unique`` counts distinct
    non-missing values and ``missing`` the missing ones.
    """

    name: str
    kind: str
    dtype: str
    n_unique: int
    missing: int
    # False when n_unique is an estimate (a long, high-cardinality float column)
    n_unique_exact: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ColumnType":
        return cls(
            name=str(d["name"]),
            kind=str(d["kind"]),
            dtype=str(d.get("dtype", "")),
            n_unique=int(d.get("n_unique", 0)),
            missing=int(d.get("missing", 0)),
            n_unique_exact=bool(d.get("n_unique_exact", True)),
        )


class Schema(Mapping[str, ColumnType]):
    """Ordered mapping column name -> :class:`ColumnType` (frame order)."""

    def __init__(self, columns: "list[ColumnType] | tuple[ColumnType, ...]" = ()) -> None:
        self._columns: dict[str, ColumnType] = {c.name: c for c in columns}

    def __getitem__(self, name: str) -> ColumnType:
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}: {c.kind}" for n, c in self._columns.items())
        return f"Schema({inner})"

    def kinds(self) -> dict[str, str]:
        """Column name -> kind, in column order."""
        return {n: c.kind for n, c in self._columns.items()}

    def columns(self, kind: str | None = None) -> list[str]:
        """Names of the columns of ``kind`` (all columns when ``None``)."""
        return [n for n, c in self._columns.items() if kind is None or c.kind == kind]

    def with_kind(self, name: str, kind: str) -> "Schema":
        """A copy with one column's kind overridden (a user's correction)."""
        if kind not in KINDS:
            raise ValueError(f"unknown column kind {kind!r}; expected one of {KINDS}")
        cols = [
            replace(c, kind=kind) if c.name == name else c
            for c in self._columns.values()
        ]
        return Schema(cols)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self._columns.values()]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Schema":
        return cls([ColumnType.from_dict(c) for c in d["columns"]])


def is_id_like_name(name: str) -> bool:
    """``id``, ``ID``, ``user_id``, ``userId``, ``uuid``... but not ``paid``."""
    name = str(name).strip()
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name))


def infer_schema(df: pd.DataFrame) -> Schema:
    """Infer each column's kind.

    Rules, in order, per column:

    1. ``bool`` dtype -> **boolean**; datetime dtype -> **datetime**.
    2. Numeric dtype -> **numeric**, except an *integer* column whose values
       are all distinct and that looks like a row counter -> **id**: its name
       is id-like (``id``, ``ID``, ``user_id``, ``userId``, ``uuid``...) or it
       is monotonic (increasing or decreasing; at least
       ``MIN_ROWS_FOR_COUNTER`` rows).  0/1 numbers stay numeric.
    3. Text (``str``/object/category) columns:

       * exactly two distinct values spelled ``true/false``, ``yes/no``,
         ``0/1``, ``t/f`` or ``y/n`` (any case) -> **boolean**;
       * >= 90 % of a sample of values parse as dates with one consistent
         format (the format guessed from the values, or ISO 8601) and are not
         plain numbers -> **datetime**;
       * mostly distinct values (>= 50 % unique) whose sample has >= 4 words
         or >= 50 characters on average -> **text**;
       * >= 95 % distinct values (at least ``MIN_ROWS_FOR_COUNTER`` rows), or
         all distinct with an id-like name -> **id**;
       * otherwise -> **categorical**.

    Counting missing values is exact.  Distinct values are counted exactly
    except in float columns longer than ``EXACT_ROWS`` whose random sample
    of that size shows more than ``LOW_CARDINALITY`` distinct values: their
    count is estimated from the sample (``n_unique_exact`` False), see
    :func:`summarize_numbers`.  The datetime, text and id decisions look at
    a sample of at most ``SAMPLE_SIZE`` evenly spaced non-missing values.
    No Python loop runs over all rows.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    Schema
    """
    floats = [c for c in df.columns if df[c].dtype.kind == "f"]
    counts: dict[Any, tuple[int, bool]] = {}
    if floats:
        # Distinct floats: sorting (numpy releases the GIL, so two threads
        # help) is faster than pandas' hash table on mostly-distinct values.
        sample = sample_rows(len(df))
        with ThreadPoolExecutor(max_workers=WORKER_THREADS) as pool:
            summaries = pool.map(lambda c: summarize_numbers(df[c], sample), floats)
            counts = {c: (v.n_unique, v.exact) for c, v in zip(floats, summaries)}
    return Schema([infer_column(str(name), df[name], *counts.get(name, (None,))) for name in df.columns])


def infer_column(name: str, s: pd.Series, n_unique: int | None = None, exact: bool = True) -> ColumnType:
    """Kind of one column (rules in :func:`infer_schema`).

    ``n_unique`` may be given when the caller has already counted it
    (``exact`` False when it is an estimate).
    """
    missing = int(s.isna().sum())
    present = len(s) - missing
    if n_unique is None:
        n_unique, exact = _count_unique(s), True
    dtype = s.dtype
    kind = _kind(name, s, dtype, present, n_unique)
    return ColumnType(name=name, kind=kind, dtype=str(dtype), n_unique=n_unique, missing=missing,
                      n_unique_exact=bool(exact))


@dataclass
class NumberSummary:
    """The non-missing values of a numeric column, as the profile needs them.

    ``values``: all non-missing values as float64 (infinities kept), in row
    order.  ``sorted_values``: those values sorted, or, for columns longer
    than ``EXACT_ROWS``, a sorted random sample of ``EXACT_ROWS`` of them
    (``sampled`` True).  ``n_unique`` counts distinct values; ``exact`` is
    False when it is an estimate.
    """

    values: np.ndarray
    sorted_values: np.ndarray
    n_unique: int
    exact: bool
    sampled: bool


def sample_rows(rows: int, limit: int | None = None) -> np.ndarray | None:
    """Sorted random row positions for :func:`summarize_numbers` (None if all fit).

    Drawn once per frame and shared by its columns (fixed seed: the same
    frame profiles the same).
    """
    limit = EXACT_ROWS if limit is None else limit
    if rows <= limit:
        return None
    return np.sort(np.random.default_rng(_SAMPLE_SEED).choice(rows, size=limit, replace=False))


def summarize_numbers(s: pd.Series, sample: np.ndarray | None = None) -> NumberSummary:
    """One pass over a numeric column: its values, a sorted (sample of) them,
    and its distinct count.

    Up to ``EXACT_ROWS`` non-missing values: one sort, exact count.  Longer:
    the non-missing values at the rows ``sample`` (from :func:`sample_rows`,
    drawn here when not given) are sorted.  Then the count is exact when the
    column is integer-typed or the sample holds at most ``LOW_CARDINALITY``
    distinct values (one hash pass over the column); otherwise it is
    estimated as the sample's distinct values plus its singletons scaled to
    the column (a value seen once in the sample stands for ``n / m`` values
    of the column), at most ``n``.  That is exact for all-distinct columns
    (continuous measurements, the usual case) and the right order of
    magnitude otherwise.
    """
    raw = s.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(raw)
    values = raw[~missing] if missing.any() else raw
    n = values.size
    if n <= EXACT_ROWS:
        ordered = np.sort(values)
        return NumberSummary(values, ordered, count_sorted_unique(ordered), True, False)
    if sample is None or len(sample) == 0 or sample[-1] >= len(raw):
        sample = sample_rows(len(raw))
    picked = raw[sample]
    picked = np.sort(picked[~np.isnan(picked)])
    m = picked.size
    seen = count_sorted_unique(picked)
    if s.dtype.kind in "iu" or seen <= LOW_CARDINALITY or m == 0:
        return NumberSummary(values, picked, int(len(pd.unique(values))), True, True)
    starts = np.flatnonzero(np.concatenate(([True], picked[1:] != picked[:-1], [True])))
    singletons = int(np.count_nonzero(np.diff(starts) == 1))
    estimate = seen + singletons * (n - m) / m
    return NumberSummary(values, picked, int(min(n, round(estimate))), False, True)


def count_sorted_unique(values: np.ndarray) -> int:
    """Distinct values of a sorted array."""
    if values.size == 0:
        return 0
    return int(np.count_nonzero(values[1:] != values[:-1])) + 1


def _count_unique(s: pd.Series) -> int:
    try:
        return int(s.nunique(dropna=True))
    except TypeError:  # unhashable cells (lists, dicts)
        return int(s.dropna().astype(str).nunique())


def _kind(name: str, s: pd.Series, dtype: Any, present: int, n_unique: int) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "numeric"
    if pd.api.types.is_numeric_dtype(dtype):
        return _numeric_kind(name, s, dtype, present, n_unique)
    return _text_kind(name, s, present, n_unique)


def _numeric_kind(name: str, s: pd.Series, dtype: Any, present: int, n_unique: int) -> str:
    if pd.api.types.is_integer_dtype(dtype) and present >= 2 and n_unique == present:
        if is_id_like_name(name):
            return "id"
        if present >= MIN_ROWS_FOR_COUNTER and (s.is_monotonic_increasing or s.is_monotonic_decreasing):
            return "id"
    return "numeric"


def _text_kind(name: str, s: pd.Series, present: int, n_unique: int) -> str:
    if present == 0:
        return "categorical"
    if n_unique == 2 and _is_boolean_pair(s):
        return "boolean"
    sample = _sample(s)
    if _looks_like_datetime(sample):
        return "datetime"
    unique_share = n_unique / present
    if unique_share >= TEXT_UNIQUE_SHARE:
        words = sample.str.split().str.len().mean()
        length = sample.str.len().mean()
        if words >= TEXT_MIN_WORDS or length >= TEXT_MIN_LENGTH:
            return "text"
    if present >= 2 and n_unique == present and is_id_like_name(name):
        return "id"
    if present >= MIN_ROWS_FOR_COUNTER and unique_share >= ID_UNIQUE_SHARE:
        return "id"
    return "categorical"


def _is_boolean_pair(s: pd.Series) -> bool:
    values = {str(v).strip().lower() for v in s.dropna().unique()}
    return any(values == pair for pair in _BOOLEAN_PAIRS)


def _sample(s: pd.Series) -> pd.Series:
    """Up to SAMPLE_SIZE evenly spaced non-missing values, as str."""
    present = s.dropna()
    step = max(len(present) // SAMPLE_SIZE, 1)
    return present.iloc[::step].iloc[:SAMPLE_SIZE].astype(str)


def _looks_like_datetime(sample: pd.Series) -> bool:
    if sample.empty:
        return False
    # plain numbers ("2020", "1.5") are not dates even when a parser agrees
    if sample.str.fullmatch(_NUMBER_TEXT).mean() > 0.5:
        return False
    if not sample.str.contains(r"\d").mean() >= DATETIME_SHARE:
        return False
    from pandas.tseries.api import guess_datetime_format

    formats = []
    for value in sample.iloc[:20]:
        fmt = guess_datetime_format(value)
        if fmt and fmt not in formats:
            formats.append(fmt)
    formats.append("ISO8601")
    for fmt in formats:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
        if parsed.notna().mean() >= DATETIME_SHARE:
            return True
    return False

