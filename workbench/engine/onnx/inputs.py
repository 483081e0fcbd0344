"""The ONNX graph's inputs from a DataFrame, a dict of columns or a list of records.

Every input is coerced the way the native model coerces it
(:func:`workbench.engine.model.coerce_columns`), so a prediction does not
depend on the path it took.  Two paths produce the same arrays:

* the general path runs ``coerce_columns`` (vectorised per column: the right
  thing for big frames, ~30 us of pandas work per column whatever the rows);
* the row-wise path, for a few rows, reads the values once as Python objects
  and converts them with plain numpy.  It covers the common cases (numbers,
  booleans, strings and missing values in plain numpy/str columns or Python
  values) and hands everything else to the general path.  A single-row
  prediction was ~1.6 ms of pandas around a 0.1 ms ``session.run``
  (bench/inference.py); this path takes ~0.1 ms.

A dict is taken as ``pd.DataFrame([d])`` when all its values are scalars
(one row) and as ``pd.DataFrame(d)`` otherwise; a list of dicts as
``pd.DataFrame(records)``.  The row-wise path infers column types the way
pandas would for those, so the predictions are the same either way (a test
compares both paths value by value).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError
from workbench.engine.model import FeatureInfo, coerce_columns

# Frames with at most this many rows take the row-wise path.  Measured on a
# 50-column frame: 0.11 ms for 1 row, 1.1 ms for 256 rows (~4 us a row),
# against ~2 ms for the general path at any small size; even at 256 rows
# the row-wise path is still ahead.
SMALL_ROWS = 256

Feeds = dict[str, np.ndarray]
type InputData = pd.DataFrame | Mapping[str, Any] | Sequence[Mapping[str, Any]]

# The words coerce_columns maps for boolean columns (after strip/lower).
_BOOL_WORDS = {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0,
               "t": 1.0, "f": 0.0, "y": 1.0, "n": 0.0}
_INT64_MIN, _INT64_END = -(2**63), 2**63


class FeedBuilder:
    """Turns user data into ``{input name: [N, 1] array}`` for one graph."""

    def __init__(self, features: list[FeatureInfo]) -> None:
        self.features = list(features)
        self.names = [f.name for f in self.features]
        self._float_features = [f for f in self.features if not f.is_string]
        self._string_features = [f for f in self.features if f.is_string]
        # The last frame layout seen: its columns and the position of each
        # feature in them (a stream of single rows repeats one layout).
        self._layout: tuple[pd.Index, list[int], list[int]] | None = None

    # -- entry point -------------------------------------------------------
    def build(self, data: InputData) -> tuple[int, Feeds]:
        """``(rows, feeds)`` for ``data`` (DataError for missing columns, bad values)."""
        if isinstance(data, pd.DataFrame):
            if len(data) <= SMALL_ROWS:
                fast = self._from_small_frame(data)
                if fast is not None:
                    return fast
            return self.from_frame(data)
        if isinstance(data, Mapping):
            fast = self._from_mapping(data)
            return fast if fast is not None else self.from_frame(mapping_frame(data))
        if is_records(data):
            fast = self._from_records(data)
            return fast if fast is not None else self.from_frame(records_frame(data))
        raise DataError(
            "Predictions need a table: a pandas DataFrame, a dict of column -> value "
            f"(or list of values), or a list of such dicts; got {type(data).__name__}."
        )

    # -- general path ----------------------------------------------------
    def from_frame(self, df: pd.DataFrame) -> tuple[int, Feeds]:
        coerced = coerce_columns(df, self.features)
        feeds: Feeds = {}
        for f in self.features:
            values = coerced[f.name]
            if f.is_string:
                feeds[f.name] = np.asarray(values, dtype=object).reshape(-1, 1)
            else:
                feeds[f.name] = np.ascontiguousarray(values, dtype=np.float32).reshape(-1, 1)
        return len(df), feeds

    # -- row-wise path ---------------------------------------------------
    def _missing(self, present: Any) -> None:
        missing = [n for n in self.names if n not in present]
        if missing:
            raise DataError(
                "The data is missing column(s) the model needs: " + ", ".join(map(str, missing)) + "."
            )

    def _positions(self, columns: pd.Index) -> tuple[list[int], list[int]] | None:
        layout = self._layout
        if layout is not None and columns.equals(layout[0]):
            return layout[1], layout[2]
        labels = columns.tolist()
        where = {name: i for i, name in enumerate(labels)}
        if len(where) != len(labels):
            return None  # duplicated column names: the general path decides
        self._missing(where)
        floats = [where[f.name] for f in self._float_features]
        strings = [where[f.name] for f in self._string_features]
        self._layout = (columns, floats, strings)
        return floats, strings

    def _from_small_frame(self, df: pd.DataFrame) -> tuple[int, Feeds] | None:
        positions = self._positions(df.columns)
        if positions is None:
            return None
        float_pos, string_pos = positions
        dtypes = df.dtypes.tolist()
        for f, i in zip(self._float_features, float_pos):
            dt = dtypes[i]
            if f.kind == "datetime" or not isinstance(dt, np.dtype) or dt.kind not in "fiub":
                return None
        for i in string_pos:
            dt = dtypes[i]
            if not (dt == object or isinstance(dt, pd.StringDtype)  # noqa: E721 (numpy dtype equality)
                    or (isinstance(dt, np.dtype) and dt.kind in "iub")):
                return None
        n = len(df)
        values = df.to_numpy(dtype=object)
        feeds: Feeds = {}
        if self._float_features:
            # Plain numpy number columns: exactly coerce_columns' numeric path
            # (float64, then float32; +-inf of the float64 values -> NaN for
            # numeric columns, kept for boolean ones).
            block = values[:, float_pos].astype(np.float64).T
            self._put_floats(feeds, block, n)
        for f, i in zip(self._string_features, string_pos):
            strings = _category_values(values[:, i])
            if strings is None:
                return None
            feeds[f.name] = strings
        return n, feeds

    def _from_mapping(self, data: Mapping[str, Any]) -> tuple[int, Feeds] | None:
        self._missing(data)
        columns = [data[name] for name in self.names]
        if all(pd.api.types.is_scalar(v) for v in data.values()):
            return self._from_columns([[v] for v in columns], 1)
        if not all(isinstance(v, (list, tuple)) for v in data.values()):
            return None  # arrays, Series, scalars broadcast against lists: pandas decides
        lengths = {len(v) for v in data.values()}
        if len(lengths) != 1:
            return None  # pandas raises its own error, turned into a DataError
        return self._from_columns([list(v) for v in columns], lengths.pop())

    def _from_records(self, records: Sequence[Mapping[str, Any]]) -> tuple[int, Feeds] | None:
        if not records:
            return None
        try:
            columns = [[r[name] for r in records] for name in self.names]
        except KeyError:
            return None  # a key absent from some records: pandas fills NaN, or reports it missing
        return self._from_columns(columns, len(records))

    def _from_columns(self, columns: list[list[Any]], n: int) -> tuple[int, Feeds] | None:
        by_name = dict(zip(self.names, columns))
        feeds: Feeds = {}
        if self._float_features:
            block = np.empty((len(self._float_features), n), dtype=np.float64)
            for j, f in enumerate(self._float_features):
                converted = _number_values(by_name[f.name], f.kind)
                if converted is None:
                    return None
                block[j] = converted
            self._put_floats(feeds, block, n)
        for f in self._string_features:
            strings = _category_values(by_name[f.name])
            if strings is None:
                return None
            feeds[f.name] = strings
        return n, feeds

    def _put_floats(self, feeds: Feeds, block: np.ndarray, n: int) -> None:
        """float64 ``[features, rows]`` -> one float32 ``[rows, 1]`` view per input."""
        as_float32 = block.astype(np.float32)  # C-contiguous rows: one per feature
        inf = np.isinf(block)
        if inf.any():
            for j, f in enumerate(self._float_features):
                if f.kind != "boolean":  # coerce_columns' boolean path keeps +-inf
                    as_float32[j][inf[j]] = np.nan
        for j, f in enumerate(self._float_features):
            feeds[f.name] = as_float32[j].reshape(n, 1)


# ---------------------------------------------------------------------------
# per-column conversions of Python values (None: not a plain case)
# ---------------------------------------------------------------------------
def _number_values(values: Sequence[Any], kind: str) -> np.ndarray | None:
    """float64 values of a numeric/boolean column pandas would build from ``values``."""
    if kind == "datetime":
        return None
    has_bool = has_number = has_none = False
    for v in values:
        t = type(v)
        if t is float:
            has_number = True
        elif t is int:
            if not _INT64_MIN <= v < _INT64_END:
                return None  # pandas makes an object/uint64 column: general path
            has_number = True
        elif t is bool or t is np.bool_:
            has_bool = True
        elif v is None:
            has_none = True
        elif isinstance(v, (np.floating, np.integer)):
            has_number = True
        elif kind == "boolean" and isinstance(v, str):
            return _boolean_words(values)
        else:
            return None  # strings in a numeric column, pd.NA, dates...: general path
    if has_bool and (has_number or has_none):
        return None  # an object column: pandas' rules for it are not plain
    return np.array(values, dtype=np.float64)  # None -> NaN, as in a float64 column


def _boolean_words(values: Sequence[Any]) -> np.ndarray | None:
    """A boolean column holding strings: pandas' object path, value by value."""
    out = np.empty(len(values), dtype=np.float64)
    for k, v in enumerate(values):
        t = type(v)
        if isinstance(v, str):
            # ASCII without surrounding blanks: Python's and pyarrow's
            # strip()/lower() agree there; anything else goes the general way.
            if not v.isascii() or v != v.strip():
                return None
            out[k] = _BOOL_WORDS.get(v.lower(), np.nan)
        elif v is None or (t is float and math.isnan(v)):
            out[k] = np.nan
        elif t is bool or t is int:
            out[k] = _BOOL_WORDS.get(str(v).lower(), np.nan)
        else:
            return None
    return out


def _category_values(values: Sequence[Any]) -> np.ndarray | None:
    """``[N, 1]`` object array of a categorical column's strings ("" = missing)."""
    out = np.empty((len(values), 1), dtype=object)
    for k, v in enumerate(values):
        t = type(v)
        if t is str:
            out[k, 0] = v
        elif v is None or v is pd.NA:
            out[k, 0] = ""
        elif t is float or isinstance(v, np.floating):
            if not math.isnan(v):
                return None  # a number category written as float ("1" or "1.0"?): general path
            out[k, 0] = ""
        elif t is int or t is bool or isinstance(v, (str, np.integer, np.bool_)):
            out[k, 0] = str(v)
        else:
            return None
    return out


# ---------------------------------------------------------------------------
# dicts and records as frames (the general path, and the definition)
# ---------------------------------------------------------------------------
def is_records(data: Any) -> bool:
    return (isinstance(data, Sequence) and not isinstance(data, (str, bytes))
            and all(isinstance(r, Mapping) for r in data))


def mapping_frame(data: Mapping[str, Any]) -> pd.DataFrame:
    """A dict of column -> scalar (one row) or column -> values, as pandas reads it."""
    try:
        if all(pd.api.types.is_scalar(v) for v in data.values()):
            return pd.DataFrame([dict(data)])
        return pd.DataFrame(dict(data))
    except (ValueError, TypeError) as exc:
        raise DataError(f"Cannot read the given columns as a table: {exc}") from exc


def records_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A list of dicts (one per row), as pandas reads it."""
    try:
        return pd.DataFrame(list(records))
    except (ValueError, TypeError) as exc:
        raise DataError(f"Cannot read the given records as a table: {exc}") from exc


def as_frame(data: InputData) -> pd.DataFrame:
    """Any accepted input as the DataFrame it stands for."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return mapping_frame(data)
    if is_records(data):
        return records_frame(data)
    raise DataError(
        "Predictions need a table: a pandas DataFrame, a dict of column -> value "
        f"(or list of values), or a list of such dicts; got {type(data).__name__}."
    )
