"""TrainedModel: a fitted pipeline plus what it needs to take raw columns.

The model's contract with the outside world is the same for native predict
and for ONNX: one input per original feature column, numeric (and boolean,
and datetime as days since 1970-01-01) as float32 with NaN for missing,
categorical as string with "" for missing.  :meth:`TrainedModel.coerce` turns
any raw frame into exactly that, so the native pipeline and the ONNX graph see
the same numbers (float32 casting before the estimator is what keeps trees'
split thresholds in agreement; see docs/findings.md).
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

# The exact types, beyond skops' own defaults (scikit-learn estimators and
# plain containers), that our pipelines put into model.skops.  A model file
# may come from someone else, and skops rebuilds a listed type by calling it:
# a prefix such as "builtins." would let a file call exec or __import__, so
# only exact names are trusted and anything else is refused, never called.
# tests/engine/test_model_trust.py trains every catalog algorithm and checks
# both directions: everything our files ask for is here, and nothing here is
# unused.  A new learner or transformer that needs a type adds it here.
TRUSTED_TYPES = frozenset({
    "numpy.dtype",
    # preparation (workbench.engine.training.preparation)
    "workbench.engine.training.preparation.Clip",
    "workbench.engine.training.preparation.DatetimeFeatures",
    "workbench.engine.training.preparation.MissingValues",
    "workbench.engine.training.preparation.ParseNumbers",
    "workbench.engine.training.preparation.ToFloat32",
    "sklearn.feature_selection._univariate_selection.f_classif",  # SelectKBest's score function
    "sklearn.feature_selection._univariate_selection.f_regression",
    # learners' fitted state
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.utils._bunch.Bunch",  # named_estimators_ of voting and stacking
    # the seeded, shuffled inner folds of stacking and SVM calibration
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.StratifiedKFold",
    "workbench.engine.learners.target_scaling.StandardizedMLPRegressor",
    "workbench.engine.learners.target_scaling.StandardizedSVR",
    "workbench.engine.learners.mixed_nb.MixedNB",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
    # LightGBM and CatBoost (workbench[boosting]): their boosters rebuild
    # from their own model text/blob, never by calling code from the file.
    "collections.OrderedDict",  # LightGBM keeps its parameters in one
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    "catboost.core.CatBoostRegressor",
    "workbench.engine.learners.catboost_model.FlatCatBoostClassifier",
})

# What skops writes into its zip: the schema, numpy arrays, XGBoost boosters.
_MODEL_MEMBER_SUFFIXES = (".npy", ".bin")


@dataclass
class FeatureInfo:
    name: str
    kind: str  # one of FEATURE_KINDS: what the model's input takes
    # Numbers the file gives as text (its stray values declared missing):
    # the model takes the text (kind "categorical") and parses it, while
    # drift checks and explanations treat the column as the numbers it holds.
    from_text: bool = False

    @property
    def is_string(self) -> bool:
        return self.kind == "categorical"

    @property
    def value_kind(self) -> str:
        """The kind of the values the column holds (numeric for numbers given as text)."""
        return "numeric" if self.from_text else self.kind


def text_numbers(column: Any) -> np.ndarray:
    """The numbers a column of numbers given as text holds; anything else is NaN (missing)."""
    cells = pd.Series(np.asarray(column, dtype=object).ravel())
    return pd.to_numeric(cells.where(cells != "", None), errors="coerce").to_numpy(dtype=np.float64)


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
    # Binary classifiers: predict classes[1] when P(classes[1]) >= threshold
    # (None: the estimator's own rule).  Set by explain.threshold.set_threshold.
    threshold: float | None = None

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
            if self.info.threshold is not None and len(self.info.classes) == 2:
                proba = self.predict_proba(df)
                if proba is not None:
                    raw = (proba[:, 1] >= self.info.threshold).astype(int)
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
        """Load a saved model without running any code from the file.

        Raises
        ------
        ProjectError
            In one line, when the file is missing, damaged, not a skops file,
            or asks for a type outside :data:`TRUSTED_TYPES`.
        """
        folder = Path(folder)
        path = folder / "model.skops"
        if not path.exists():
            raise ProjectError(f"No saved model in {folder} (the run may have failed or been cancelled).")
        pipeline = load_trusted_skops(path)
        try:
            info = ModelInfo.from_dict(json.loads((folder / "model.json").read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ProjectError(f"{folder / 'model.json'} is missing; retrain the run.") from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ProjectError(
                f"{folder / 'model.json'} is damaged ({type(exc).__name__}: {exc}); retrain the run."
            ) from None
        return cls(pipeline, info)


def load_trusted_skops(path: Path) -> Any:
    """The object in a skops file whose types are all in :data:`TRUSTED_TYPES`.

    Types are checked by exact name before skops rebuilds anything; the first
    one outside the list is named in the error.  Anything that makes the file
    unreadable (not a zip, a damaged schema) is one line, not a traceback.
    """
    import io
    import zipfile

    import skops.io as sio

    data = path.read_bytes()
    damaged = (
        f"{path} is not a readable workbench model file (damaged, or not made by workbench); "
        "retrain the run"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ProjectError(f"{damaged} ({type(exc).__name__}: {exc}).") from None
    extra = [n for n in names if n != "schema.json" and not _plain_member(n)]
    if extra:
        raise ProjectError(
            f"Refusing to load {path}: it holds a member skops never writes ({extra[0]!r}); "
            "the file may have been tampered with."
        )
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # a schema skops cannot parse: nothing has been built yet
        raise ProjectError(f"{damaged} ({type(exc).__name__}: {exc}).") from None
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise ProjectError(
            f"Refusing to load {path}: it asks for {refused[0]}, which workbench models never contain "
            + (f"(and {len(refused) - 1} more untrusted type(s)) " if len(refused) > 1 else "")
            + "- the file may have been tampered with or made by another program."
        )
    try:
        return sio.loads(data, trusted=untrusted)
    except Exception as exc:  # every type was trusted, but the state was damaged
        raise ProjectError(f"{damaged} ({type(exc).__name__}: {exc}).") from None


def _plain_member(name: str) -> bool:
    return "/" not in name and "\\" not in name and name.endswith(_MODEL_MEMBER_SUFFIXES)
