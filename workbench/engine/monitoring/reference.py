"""The reference profile: what the training rows looked like, per feature.

Stored with every run (``reference_profile.json``) and in the exported ONNX
file's metadata (key ``reference_profile``), so new data can be compared with
the training data later without the dataset: by ``workbench drift``,
``predict --drift``, the serving log and the Predict view.

Per numeric feature (numbers, datetimes as days): missing rate, range, mean,
std, decile edges with the training share in each bin (for PSI), and a
random sample of at most :data:`SAMPLE_SIZE` values (for the two-sample KS
test, Wasserstein distance and histograms).  Per categorical feature (text
and booleans): missing rate and the count of every category (the rarest
beyond :data:`MAX_CATEGORIES` pooled as one "other" count).

The profile is built on the *coerced* frame (:func:`workbench.engine.model.
coerce_features`): the very values the model sees.  numpy and pandas only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from workbench.engine.fsutil import atomic_write_text

PROFILE_FILE = "reference_profile.json"
PROFILE_FORMAT = 1
SAMPLE_SIZE = 2000  # two-sample KS on 2,000 values resolves shifts of ~0.05 in CDF
N_BINS = 10  # deciles: the usual PSI binning
MAX_CATEGORIES = 500
METADATA_KEY = "reference_profile"


def feature_kind(kind: str) -> str:
    """Profile kind of a model feature kind: "numeric" or "categorical"."""
    return "categorical" if kind in ("categorical", "boolean") else "numeric"


def numeric_values(column: Any, from_text: bool = False) -> np.ndarray:
    """A coerced numeric column's values; ``from_text``: numbers the model takes as text."""
    if from_text:
        from workbench.engine.model import text_numbers

        return text_numbers(column)
    return np.asarray(column, dtype=np.float64)


def category_values(column: Any, model_kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``(strings, missing mask)`` of a coerced categorical or boolean column."""
    if model_kind == "boolean":
        x = np.asarray(column, dtype=np.float64)
        missing = np.isnan(x)
        out = np.where(x > 0.5, "true", "false").astype(object)
        return out, missing
    strings = np.asarray(column, dtype=object)
    missing = np.array([s == "" or s is None for s in strings], dtype=bool)
    return strings, missing


def inner_edges(edges: Sequence[float] | np.ndarray) -> np.ndarray:
    """The cut points between bins (the stored edges minus the two outer ones)."""
    return np.asarray(edges[1:-1], dtype=np.float64)


def bin_shares(values: np.ndarray, edges: Sequence[float] | np.ndarray) -> np.ndarray:
    """Share of ``values`` in each reference bin (outer bins open-ended)."""
    cuts = inner_edges(edges)
    if len(values) == 0:
        return np.zeros(len(cuts) + 1)
    counts = np.bincount(np.searchsorted(cuts, values, side="right"), minlength=len(cuts) + 1)
    return counts / counts.sum()


def _numeric_profile(values: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    out: dict[str, Any] = {"missing_rate": float(1.0 - len(present) / len(values)) if len(values) else 0.0,
                           "count": int(len(present))}
    if not len(present):
        out.update(min=None, max=None, mean=None, std=None, edges=[], shares=[], sample=[])
        return out
    edges = np.unique(np.quantile(present, np.linspace(0.0, 1.0, N_BINS + 1)))
    if len(edges) < 2:
        edges = np.array([edges[0], edges[0]])
    sample = present if len(present) <= SAMPLE_SIZE else rng.choice(present, SAMPLE_SIZE, replace=False)
    out.update(
        min=float(present.min()),
        max=float(present.max()),
        mean=float(present.mean()),
        std=float(present.std()),
        edges=[float(e) for e in edges],
        shares=[float(s) for s in bin_shares(present, edges)],
        sample=[float(v) for v in np.sort(sample).astype(np.float32)],
    )
    return out


def _categorical_profile(strings: np.ndarray, missing: np.ndarray) -> dict[str, Any]:
    present = strings[~missing]
    counts = pd.Series(present, dtype=object).value_counts()
    kept = counts.iloc[:MAX_CATEGORIES]
    return {
        "missing_rate": float(missing.mean()) if len(missing) else 0.0,
        "count": int(len(present)),
        "categories": {str(k): int(v) for k, v in kept.items()},
        "other_count": int(counts.iloc[MAX_CATEGORIES:].sum()),
    }


def build_reference_profile(frame: pd.DataFrame, features: Sequence[Any], *, seed: int = 0) -> dict[str, Any]:
    """The profile of ``frame`` (coerced training rows) for ``features`` (FeatureInfo)."""
    rng = np.random.default_rng(seed)
    entries = []
    for f in features:
        # Numbers given as text are profiled as numbers: as text, every new
        # value of a measure was an "unseen category" (a false drift alarm).
        kind = feature_kind(f.value_kind)
        entry: dict[str, Any] = {"name": f.name, "kind": kind, "model_kind": f.kind}
        if f.from_text:
            entry["from_text"] = True
        if kind == "numeric":
            entry.update(_numeric_profile(numeric_values(frame[f.name], f.from_text), rng))
        else:
            entry.update(_categorical_profile(*category_values(frame[f.name], f.kind)))
        entries.append(entry)
    return {"format": PROFILE_FORMAT, "rows": int(len(frame)), "features": entries}


def save_reference_profile(run_folder: str | os.PathLike, frame: pd.DataFrame, features: Sequence[Any],
                           *, seed: int = 0) -> Path:
    """Write the profile of the training rows into the run folder."""
    path = Path(run_folder) / PROFILE_FILE
    atomic_write_text(path, json.dumps(build_reference_profile(frame, features, seed=seed)))
    return path


def load_reference_profile(run_folder: str | os.PathLike) -> dict[str, Any] | None:
    path = Path(run_folder) / PROFILE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
