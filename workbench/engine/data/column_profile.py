"""The statistics of one column, as the profile reports them.

A module of its own because both :mod:`.profile` (which builds them) and
:mod:`.target_checks` (which reads them) need the type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.engine.json_values import json_safe


@dataclass
class ColumnProfile:
    """Statistics of one column. Fields that do not apply to the kind are None."""

    name: str
    kind: str
    dtype: str
    missing: int
    missing_fraction: float
    n_unique: int
    # numeric: min, max, mean, std, q05..q95, n_infinite; datetime: min, max (ISO)
    stats: dict[str, Any] | None = None
    # categorical / boolean / text / id: [{"value": v, "count": n}, ...] most frequent first
    top: list[dict[str, Any]] | None = None
    # numeric / datetime: {"counts": [...], "edges": [...]} with len(edges) == len(counts) + 1;
    # datetime edges are days since 1970-01-01 plus "edge_labels" (ISO strings);
    # the counts sum to the finite, non-missing values
    histogram: dict[str, list[Any]] | None = None
    # False when n_unique is an estimate (long high-cardinality float columns)
    n_unique_exact: bool = True

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "name": self.name,
                "kind": self.kind,
                "dtype": self.dtype,
                "missing": self.missing,
                "missing_fraction": self.missing_fraction,
                "n_unique": self.n_unique,
                "n_unique_exact": self.n_unique_exact,
                "stats": self.stats,
                "top": self.top,
                "histogram": self.histogram,
            }
        )
