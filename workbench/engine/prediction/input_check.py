"""What is wrong with a table someone wants predictions for, said per column.

Run before the model sees the rows, so the messages name the columns a person
has to fix: missing feature columns (an error), extra columns (ignored, and
said so), and values of the wrong type (named with an example).  The rows
with a problem are marked so a front end can show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError

__all__ = ["BadColumn", "InputCheck", "check_input", "clean_input"]

_BOOLEAN_WORDS = {"true", "false", "1", "0", "yes", "no", "t", "f", "y", "n", "1.0", "0.0"}
_EXPECTED = {"numeric": "numbers", "boolean": "true/false values", "datetime": "dates"}
# Example values quoted in a message, per column.
MAX_NAMED = 8


@dataclass
class BadColumn:
    """Values of one column that cannot be read as the model's type."""

    name: str
    kind: str  # the feature kind the model expects
    count: int
    example: Any
    first_row: int  # 0-based position of the first bad row

    def describe(self) -> str:
        return (f"'{self.name}' should hold {_EXPECTED.get(self.kind, self.kind)} but has {self.example!r}"
                + (f" ({self.count} such values, first in row {self.first_row + 1})" if self.count > 1
                   else f" (row {self.first_row + 1})"))


@dataclass
class InputCheck:
    """The verdict on one input table.

    ``problem_rows`` marks rows (by position) with a value of the wrong type
    or a missing feature value; the model still predicts them (missing values
    are imputed as in training) but a person should know.
    """

    rows: int
    extra: list[str] = field(default_factory=list)
    bad: list[BadColumn] = field(default_factory=list)
    missing_values: dict[str, int] = field(default_factory=dict)
    problem_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def notes(self) -> list[str]:
        """Lines for a person: what was ignored, what will be imputed."""
        out = []
        if self.extra:
            out.append(f"Ignored {len(self.extra)} column(s) the model does not use: {_names(self.extra)}.")
        if self.missing_values:
            parts = [f"{name} ({n})" for name, n in self.missing_values.items()]
            out.append(f"Missing values, filled in as in training: {_names(parts)}.")
        return out

    def bad_message(self) -> str:
        return "Values of the wrong type: " + "; ".join(b.describe() for b in self.bad) + "."


def _names(names: list[str]) -> str:
    shown = ", ".join(str(n) for n in names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


def _unreadable(col: pd.Series, kind: str) -> np.ndarray:
    """Positions where a present value cannot be read as ``kind``."""
    present = col.notna().to_numpy()
    if kind == "numeric":
        if pd.api.types.is_numeric_dtype(col.dtype):
            return np.zeros(len(col), dtype=bool)
        readable = pd.to_numeric(col, errors="coerce").notna().to_numpy()
    elif kind == "boolean":
        if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
            return np.zeros(len(col), dtype=bool)
        readable = col.astype(str).str.strip().str.lower().isin(_BOOLEAN_WORDS).to_numpy()
    elif kind == "datetime":
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            return np.zeros(len(col), dtype=bool)
        readable = pd.to_datetime(col, errors="coerce", format="mixed").notna().to_numpy()
    else:  # categories: any value is a category
        return np.zeros(len(col), dtype=bool)
    return present & ~readable


def check_input(frame: pd.DataFrame, features: list[Any], *, strict: bool = True) -> InputCheck:
    """Check ``frame`` against the model's ``features`` (``FeatureInfo``).

    Raises DataError naming every missing feature column; with ``strict``,
    also naming every column with values of the wrong type (an example each).
    """
    names = [f.name for f in features]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(
            f"The data lacks {len(missing)} feature column(s) the model needs: {_names(missing)}."
            + (f" It has: {_names([str(c) for c in frame.columns])}." if len(frame.columns) else "")
        )
    check = InputCheck(rows=len(frame), extra=[str(c) for c in frame.columns if c not in names])
    problems = np.zeros(len(frame), dtype=bool)
    for f in features:
        col = frame[f.name]
        bad = _unreadable(col, f.kind)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            check.bad.append(BadColumn(f.name, f.kind, int(bad.sum()), col.iloc[first], first))
            problems |= bad
        absent = col.isna().to_numpy()
        if f.kind == "categorical" and col.dtype == object:
            absent = absent | (col.astype(str).str.strip() == "").to_numpy()
        if absent.any():
            check.missing_values[f.name] = int(absent.sum())
            problems |= absent
    check.problem_rows = problems
    if strict and check.bad:
        raise DataError(check.bad_message())
    return check


def clean_input(frame: pd.DataFrame, check: InputCheck) -> pd.DataFrame:
    """``frame`` with every value of the wrong type blanked (then imputed).

    For a front end that predicts anyway and marks the rows
    (``check.problem_rows``) instead of refusing the whole table.
    """
    if not check.bad:
        return frame
    out = frame.copy()
    for b in check.bad:
        bad = _unreadable(out[b.name], b.kind)
        column = out[b.name].astype(object)
        column[bad] = None
        out[b.name] = column
    return out
