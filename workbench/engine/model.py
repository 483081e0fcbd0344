"""TrainedModel: a fitted pipeline plus what it needs to take raw columns.

The model's contract with the outside world is the same for native predict
and for ONNX: one input per original feature column, numeric (and boolean,
and datetime as days since 1970-01-01) as float32 with NaN for missing,
categorical as string with "" for missing.  :meth:`TrainedModel.coerce` turns
any raw frame into exactly that, so the native pipeline and the ONNX graph see
the same numbers (float32 casting before the estimator is what keeps trees'
split thresholds in agreement; see FINDINGS.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError, ProjectError, SpecError
from workbench.engine.fsutil import atomic_write_bytes, atomic_write_text

FEATURE_KINDS = ("numeric", "categorical", "boolean", "datetime")
_EPOCH = np.datetime64("1970-01-01T00:00:00", "s")

# Prefixes of types we allow skops to rebuild; anything else in a model file
# is refused rather than executed (a model file may come from someone else).
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "xgboost.", "lightgbm.", "catboost.", "workbench.engine.", "scipy.", "builtins.",
                    "collections.OrderedDict")  # LightGBM keeps its params in one


@dataclass
class FeatureInfo:
    name: str
    kind: str  # one of FEATURE_KINDS

    @property
    def is_string(self) -> bool:
        return self.kind == "categorical"


def datetime_to_days(values: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 (fractional) as float64; NaT -> NaN."""
    dt = pd.to_datetime(values, errors="coerce", utc=True)
    if getattr(dt.dt, "tz", None) is not None:
        dt = dt.dt.tz_convert(None)
    seconds = dt.astype("datetime64[s]").to_numpy().astype("int64").astype("float64")
    seconds[dt.isna().to_numpy()] = np.nan
    return seconds / 86400.0


def _category_strings(col: pd.Series) -> np.ndarray:
    """Category values as the strings a CSV would hold ("" = missing).

    A numeric-coded category with gaps is read by pandas as float, so a plain
    ``astype(str)`` would give "1.0" where the file (and any other program
    feeding the ONNX graph) says "1"; integral floats are written as integers.
    """
    mask = col.isna().to_numpy()
    if pd.api.types.is_float_dtype(col):
        values = col.to_numpy(dtype=float)
        arr = np.empty(len(values), dtype=object)
        integral = ~mask & np.isfinite(values) & (np.mod(values, 1) == 0)
        arr[integral] = values[integral].astype(np.int64).astype(str)
        other = ~mask & ~integral
        arr[other] = values[other].astype(str)
    else:
        arr = col.astype("object").astype(str).to_numpy(dtype=object)
    arr[mask] = ""
    return arr


def coerce_features(df: pd.DataFrame, features: list[FeatureInfo]) -> pd.DataFrame:
    """Raw frame -> the model's canonical input frame (see module doc)."""
    return pd.DataFrame(coerce_columns(df, features), index=df.index)


def coerce_columns(df: pd.DataFrame, features: list[FeatureInfo]) -> dict[str, np.ndarray]:
    """Raw frame -> one canonical numpy array per feature, in feature order.

    The arrays of :func:`coerce_features` without building a DataFrame:
    ONNX prediction feeds them to the graph directly, which matters for
    single-row latency (bench/inference.py).
    """
    missing = [f.name for f in features if f.name not in df.columns]
    if missing:
        raise DataError(
            "The data is missing column(s) the model needs: " + ", ".join(missing) + "."
        )
    out: dict[str, Any] = {}
    for f in features:
        col = df[f.name]
        if f.kind == "categorical":
            out[f.name] = _category_strings(col)
        elif f.kind == "datetime":
            out[f.name] = datetime_to_days(col).astype(np.float32)
        elif f.kind == "boolean":
            s = col
            if s.dtype == object or str(s.dtype) in ("string", "str"):
                s = s.astype(str).str.strip().str.lower().map(
                    {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0,
                     "t": 1.0, "f": 0.0, "y": 1.0, "n": 0.0}
                )
            out[f.name] = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(np.float32)
        elif pd.api.types.is_numeric_dtype(col.dtype):
            # Already numbers (float, int, nullable Int/Float, bool): one numpy
            # pass.  The general path below costs ~0.4 ms of pandas overhead
            # per column, which dominated single-row predictions
            # (bench/inference.py).
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)  # may be a read-only view
            as_float32 = values.astype(np.float32)
            as_float32[np.isinf(values)] = np.nan  # +-inf counts as missing (see below)
            out[f.name] = as_float32
        else:
            num = pd.to_numeric(col, errors="coerce").astype("float64")
            bad = num.isna() & col.notna()
            if bad.any():
                example = col[bad].iloc[0]
                raise DataError(
                    f"Column '{f.name}' should be numeric but holds {example!r} "
                    f"({int(bad.sum())} such value(s))."
                )
            # +-inf counts as missing: imputers and estimators reject it.
            out[f.name] = num.replace([np.inf, -np.inf], np.nan).to_numpy(np.float32)
    return out


@dataclass
class ModelInfo:
    """JSON-safe description of a trained model (written as model.json)."""

    task: str
    algorithm: str
    features: list[FeatureInfo]
    target: str | None = None
    classes: list[Any] = field(default_factory=list)
    run_id: str | None = None
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["classes"] = [_json_scalar(c) for c in self.classes]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelInfo":
        d = dict(d)
        d["features"] = [FeatureInfo(**f) for f in d["features"]]
        return cls(**d)


def _json_scalar(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


class TrainedModel:
    """A fitted scikit-learn pipeline that takes the raw feature columns.

    ``pipeline`` expects the canonical frame from :func:`coerce_features`
    (preparation is inside it).  For classifiers the pipeline predicts class
    codes 0..K-1 and ``info.classes`` maps them back to the original labels.
    """

    def __init__(self, pipeline: Any, info: ModelInfo) -> None:
        self.pipeline = pipeline
        self.info = info

    @property
    def task(self) -> str:
        return self.info.task

    @property
    def classes(self) -> list[Any]:
        return self.info.classes

    def coerce(self, df: pd.DataFrame) -> pd.DataFrame:
        return coerce_features(df, self.info.features)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        X = self.coerce(df)
        if not hasattr(self.pipeline, "predict"):
            raise SpecError(
                f"A {self.info.algorithm} model cannot be applied to new rows "
                "(it only labels the rows it was fitted on); use kmeans to assign new rows."
            )
        if self.task == "clustering":
            return np.asarray(self.pipeline.predict(X))
        raw = np.asarray(self.pipeline.predict(X))
        if self.task == "classification":
            return np.asarray(self.info.classes, dtype=object)[raw.astype(int)]
        return raw.astype(float)

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray | None:
        if self.task != "classification" or not hasattr(self.pipeline, "predict_proba"):
            return None
        try:
            return np.asarray(self.pipeline.predict_proba(self.coerce(df)), dtype=float)
        except AttributeError:  # e.g. an SVM without probability estimates
            return None

    def prediction_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """Input columns plus ``prediction`` and ``proba_<class>`` columns."""
        out = df.copy()
        out["prediction"] = self.predict(df)
        proba = self.predict_proba(df)
        if proba is not None:
            for i, c in enumerate(self.classes):
                out[f"proba_{c}"] = proba[:, i]
        return out

    # -- persistence -----------------------------------------------------
    def save(self, folder: str | os.PathLike) -> Path:
        import skops.io as sio

        folder = Path(folder)
        path = folder / "model.skops"
        atomic_write_bytes(path, sio.dumps(self.pipeline))
        atomic_write_text(folder / "model.json", json.dumps(self.info.to_dict(), indent=2))
        return path

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "TrainedModel":
        import skops.io as sio

        folder = Path(folder)
        path = folder / "model.skops"
        if not path.exists():
            raise ProjectError(f"No saved model in {folder} (the run may have failed or been cancelled).")
        data = path.read_bytes()
        untrusted = sio.get_untrusted_types(data=data)
        refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
        if refused:
            raise ProjectError(
                f"Refusing to load {path}: it contains types that are not trusted: {', '.join(refused)}."
            )
        pipeline = sio.loads(data, trusted=untrusted)
        info = ModelInfo.from_dict(json.loads((folder / "model.json").read_text()))
        return cls(pipeline, info)
