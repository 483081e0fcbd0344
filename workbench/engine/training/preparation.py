"""Column preparation: the preprocessing half of every trained pipeline.

:func:`plan_preparation` decides, column by column, what happens to each
feature; :func:`workbench.engine.training.preprocessor.build_preprocessor`
turns that plan into an unfitted scikit-learn transformer.  It consumes the canonical frame of
:func:`workbench.engine.model.coerce_features` (numbers, booleans and dates
as float32 with NaN; categories as strings with "" for missing) and outputs a
dense float32 matrix::

    Pipeline([
        ("columns", ColumnTransformer([...one entry per recipe...])),
        ("select", VarianceThreshold | SelectKBest),    # optional
        ("pca", PCA),                                   # optional
        ("float32", ToFloat32()),
    ])

Defaults, per column kind (each overridable per column by ``ColumnPrep``):

* numeric     median imputation, then StandardScaler when the learner wants
              scaled inputs (``Algorithm.scale_numeric``; never for trees)
* boolean     most-frequent imputation, no scaling
* datetime    median imputation, then :class:`DatetimeFeatures` (year, month,
              day, day of week, hour), scaled like numerics
* categorical "" -> "__missing__", then one-hot (unknown categories at predict
              time give all zeros).  A column with about one value per row
              (``NAME_UNIQUE_SHARE``: names, titles) is dropped like an id,
              with a warning.  Columns with more than ``HIGH_CARDINALITY``
              distinct values: tree learners get an ordinal code; learners
              that read numbers as quantities (scaled: linear, SVM, kNN,
              MLP, k-means) get one-hot of the ``HIGH_CARDINALITY`` most
              frequent values (explicit categories, so it converts to ONNX,
              which scikit-learn's "infrequent" grouping does not).
              ``encode="onehot"`` forces full one-hot.
* text, id    dropped (free text and row identifiers carry no reusable
              signal); the reason is in :attr:`PreparationPlan.dropped`.

A column with an explicit ``encode`` override is treated as categorical
whatever its kind (e.g. a numeric product code).

``ColumnPrep.missing_values`` (a stray header line "Age", "?", a measure's
impossible 0) become missing first (:class:`MissingValues`), then are
imputed like any gap.  A text column whose other values are all numbers
(numbers the file gave as text because of those strays) becomes numeric:
the model still takes the text, as the file holds it, and parses it
(:class:`ParseNumbers`), in the exported ONNX graph too.

The custom transformers here (:class:`ToFloat32`, :class:`DatetimeFeatures`,
:class:`Clip`, :class:`MissingValues`, :class:`ParseNumbers`) are module-level scikit-learn estimators, so pipelines holding
them pickle, clone and load with skops (their module path is part of every
saved model: they stay here); ``workbench.engine.onnx.export``
registers an ONNX converter for each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from workbench.engine.errors import SpecError
from workbench.engine.model import FeatureInfo

HIGH_CARDINALITY = 100
# A category column with at least NAME_MIN_CATEGORIES values, about one per
# row (NAME_UNIQUE_SHARE of its non-missing rows), names things (car models,
# people, titles): it is not a reusable feature.  Encoded anyway it cost
# logistic regression, SVM, MLP, SGD and kNN 0.06-0.20 balanced accuracy on
# a car dataset, and k-means clustered alphabetically by name.
NAME_UNIQUE_SHARE = 0.5
NAME_MIN_CATEGORIES = 20
MISSING_CATEGORY = "__missing__"
DROPPED_KINDS = {
    "text": "free text (not used as a feature; set encode=onehot or ordinal to use it as a category)",
    "id": "id-like (a different value on almost every row)",
}


# -- custom transformers ------------------------------------------------------
class ToFloat32(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Cast to float32, the last preparation step.

    The estimator then sees exactly the numbers an ONNX graph (float32
    tensors) sees, which keeps tree split decisions identical in both.
    """

    def fit(self, X: Any, y: Any = None) -> "ToFloat32":
        validate_data(self, X, ensure_all_finite=False, dtype="numeric")
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        # No copy for a numeric array; NaN and inf pass (imputation is optional).
        X = validate_data(self, X, reset=False, ensure_all_finite=False, dtype="numeric")
        return np.asarray(X, dtype=np.float32)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN and inf pass through on purpose
        tags.transformer_tags.preserves_dtype = ["float32"]  # the output is always float32
        return tags


class Clip(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip every column to ``[low, high]``; NaN stays NaN.

    ONNX: ``Clip(X, min=low, max=high)`` on float32 input (placed after
    imputation, so no NaN reaches it unless imputation is off).
    """

    def __init__(self, low: float = -np.inf, high: float = np.inf) -> None:
        self.low = low
        self.high = high

    def fit(self, X: Any, y: Any = None) -> "Clip":
        validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN stays NaN (imputation may be off)
        return tags

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return np.clip(X, self.low, self.high)


class RawCellsStep(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """A one-to-one step over cells as the file gives them: numbers, texts or missing."""

    def fit(self, X: Any, y: Any = None) -> Any:
        validate_data(self, X, ensure_all_finite=False, dtype=None)
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _cells(self, X: Any) -> Any:
        check_is_fitted(self, "n_features_in_")
        return validate_data(self, X, reset=False, ensure_all_finite=False, dtype=None)


class MissingValues(RawCellsStep):
    """Values that stand for "unknown" (``ColumnPrep.missing_values``) become missing.

    Numbers (a measure's impossible 0) become NaN, compared in float32 as
    the model receives them; texts ("?", a repeated header line "Age")
    become "", the model's missing category text.  Placed first, so the
    imputer fills them like any other gap.

    ONNX: ``Where(Or(Equal(X, v1), Equal(X, v2), ...), missing, X)``
    (Equal on strings needs opset 19; the export writes 21).
    """

    def __init__(self, values: tuple[Any, ...] = ()) -> None:
        self.values = values

    @property
    def is_text(self) -> bool:
        return any(isinstance(v, str) for v in self.values)

    def transform(self, X: Any) -> np.ndarray:
        X = self._cells(X)
        if self.is_text:
            out = np.asarray(X, dtype=object).copy()
            out[np.isin(out, list(self.values))] = ""
            return out
        out = np.asarray(X, dtype=np.float64).copy()
        hit = np.isin(out.astype(np.float32), np.asarray(self.values, dtype=np.float32))
        out[hit] = np.nan
        return out


class ParseNumbers(RawCellsStep):
    """Text that holds numbers -> float; "" (missing) -> NaN.

    For a column of numbers that the file gave as text because of a few
    stray values, once those strays are declared missing.  Every value is
    rounded to float32, as the ONNX graph's ``Cast(string -> float)`` rounds
    it, so trees split the same numbers in both.  A value that is not a
    number (a new stray at predict time) is a DataError naming it; +-inf is
    missing, as for every numeric column.  ``columns`` name the columns in
    that message (the step before it hands over a bare array).
    """

    def __init__(self, columns: tuple[str, ...] = ()) -> None:
        self.columns = columns

    def transform(self, X: Any) -> np.ndarray:
        import pandas as pd

        from workbench.engine.errors import DataError

        X = self._cells(X)
        cells = pd.Series(np.asarray(X, dtype=object).ravel())
        numbers = pd.to_numeric(cells.where(cells != "", None), errors="coerce").astype("float64")
        bad = numbers.isna() & cells.notna() & (cells != "")
        if bad.any():
            where = int(np.flatnonzero(bad.to_numpy())[0]) % X.shape[1]
            column = self.columns[where] if where < len(self.columns) else f"#{where + 1}"
            raise DataError(
                f"Column '{column}' should hold numbers but holds {cells[bad].iloc[0]!r} "
                f"({int(bad.sum())} such value(s)); add it to the column's missing values and retrain."
            )
        out = numbers.to_numpy().astype(np.float32).astype(np.float64).reshape(X.shape)
        out[np.isinf(out)] = np.nan
        return out


DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour")
# Dates reach the model as float32 days since 1970 (coerce_features), which
# resolve ~2.8 minutes around today: 23:00 may arrive as 22:58.6.  Hours are
# rounded up across that error (1.5 minutes, in hours) before flooring.
HOUR_TOLERANCE = 0.025


class DatetimeFeatures(TransformerMixin, BaseEstimator):
    """Days since 1970-01-01 (float, fractional) -> year, month, day, dayofweek, hour.

    Five output columns per input column, in that order; dayofweek is
    Monday = 0 (as pandas); NaN in gives NaN out.  Pure float arithmetic
    (H. Hinnant's ``civil_from_days``) so the ONNX converter can use Floor,
    Div, Mul, Sub, Add only; every intermediate is an integer below 2**24, so
    float32 gives the same results::

        z    = floor(days)
        hour = min(floor((days - z) * 24 + 0.025), 23)     # see HOUR_TOLERANCE
        dow  = (z + 3) - 7 * floor((z + 3) / 7)        # 1970-01-01 was a Thursday
        zz   = z + 719468
        era  = floor(zz / 146097)
        doe  = zz - era * 146097                           # [0, 146096]
        yoe  = floor((doe - floor(doe/1460) + floor(doe/36524) - floor(doe/146096)) / 365)
        doy  = doe - (365*yoe + floor(yoe/4) - floor(yoe/100))
        mp   = floor((5*doy + 2) / 153)
        day  = doy - floor((153*mp + 2) / 5) + 1
        month = mp + 3 - 12 * floor(mp / 10)
        year = yoe + era*400 + floor((14 - month) / 12)    # +1 for Jan/Feb
    """

    def fit(self, X: Any, y: Any = None) -> "DatetimeFeatures":
        validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing date gives missing parts
        return tags

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        parts = [civil_from_days(X[:, j]) for j in range(X.shape[1])]
        return np.column_stack([col for p in parts for col in p]) if parts else np.empty((len(X), 0))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", None)
        if input_features is None:
            input_features = [f"x{i}" for i in range(self.n_features_in_)]
        return np.asarray([f"{name}_{part}" for name in input_features for part in DATETIME_PARTS], dtype=object)


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, ...]:
    """(year, month, day, dayofweek, hour) of days since 1970-01-01; see DatetimeFeatures."""
    days = np.asarray(days, dtype=np.float64)
    z = np.floor(days)
    hour = np.minimum(np.floor((days - z) * 24.0 + HOUR_TOLERANCE), 23.0)
    dow = (z + 3.0) - 7.0 * np.floor((z + 3.0) / 7.0)
    zz = z + 719468.0
    era = np.floor(zz / 146097.0)
    doe = zz - era * 146097.0
    yoe = np.floor((doe - np.floor(doe / 1460.0) + np.floor(doe / 36524.0) - np.floor(doe / 146096.0)) / 365.0)
    doy = doe - (365.0 * yoe + np.floor(yoe / 4.0) - np.floor(yoe / 100.0))
    mp = np.floor((5.0 * doy + 2.0) / 153.0)
    day = doy - np.floor((153.0 * mp + 2.0) / 5.0) + 1.0
    month = mp + 3.0 - 12.0 * np.floor(mp / 10.0)
    year = yoe + era * 400.0 + np.floor((14.0 - month) / 12.0)
    return year, month, day, dow, hour


# -- the plan -----------------------------------------------------------------
@dataclass(frozen=True)
class ColumnRecipe:
    """How one group of columns is prepared (columns with equal recipes share a step)."""

    kind: str  # feature kind: numeric, boolean, datetime, categorical
    impute: str  # mean, median, most_frequent, constant, none
    scale: str  # standard, minmax, robust, none
    encode: str = "none"  # onehot, ordinal (categorical only)
    fill_value: Any = None
    clip: tuple[float, float] | None = None
    # one-hot over these categories only (the most frequent of a
    # high-cardinality column); any other value encodes as all zeros.
    categories: tuple[str, ...] | None = None
    # values that mean "unknown" (ColumnPrep.missing_values), as the
    # column holds them: float for numbers, the exact texts for text
    missing: tuple[Any, ...] = ()
    # a column of numbers given as text (its strays declared missing):
    # the model takes the text and parses it (ParseNumbers)
    from_text: bool = False


@dataclass
class PreparationPlan:
    """What :func:`build_preprocessor` will do, in words a log can show.

    ``columns`` maps each used column to its recipe (in feature order);
    ``dropped`` maps each unused column to the reason; ``notes`` are
    decisions worth a log line (e.g. ordinal encoding of a high-cardinality
    column).
    """

    columns: dict[str, ColumnRecipe] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # decisions the user should see as warnings (a column silently lost)
    warnings: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[FeatureInfo]:
        # A column of numbers given as text comes in as text (what the file holds).
        return [FeatureInfo(name, "categorical", from_text=True) if recipe.from_text
                else FeatureInfo(name, recipe.kind) for name, recipe in self.columns.items()]

    def log_lines(self) -> list[str]:
        return [f"column {c} dropped: {why}" for c, why in self.dropped.items()] + list(self.notes)


def _kind_of(schema: Any, column: str) -> str:
    try:
        return str(schema[column].kind)
    except KeyError:
        raise SpecError(f"Column '{column}' is not in the dataset.") from None


def _n_categories(schema: Any, column: str, frame: Any) -> int | None:
    if frame is not None and column in getattr(frame, "columns", ()):
        values = frame[column]
        return int(values[values.notna() & (values.astype(str) != "")].nunique())
    col_type = schema[column]
    for attr in ("n_unique", "unique", "n_distinct", "cardinality"):
        value = getattr(col_type, attr, None)
        if isinstance(value, (int, np.integer)):
            return int(value)
    return None


def _n_present(column: str, frame: Any) -> int | None:
    """Non-missing rows of ``column`` in ``frame`` (None without a frame)."""
    if frame is None or column not in getattr(frame, "columns", ()):
        return None
    values = frame[column]
    return int((values.notna() & (values.astype(str) != "")).sum())


def _most_frequent(column: str, frame: Any, k: int) -> tuple[str, ...] | None:
    """The ``k`` most frequent values of ``column`` as the strings the encoder sees."""
    if frame is None or column not in getattr(frame, "columns", ()):
        return None
    values = frame[column]
    values = values[values.notna() & (values.astype(str) != "")].astype(str)
    return tuple(sorted(values.value_counts().index[:k].tolist()))


def _as_number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _value_text(value: Any) -> str:
    """A declared missing value as a text cell holds it (0 -> "0", 1.5 -> "1.5")."""
    if isinstance(value, str):
        return value.strip()
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _shown(values: Any) -> str:
    return ", ".join(repr(v) for v in values)


def _cells(column: str, frame: Any) -> np.ndarray | None:
    """The distinct texts of ``column`` as the model receives them ("" = missing)."""
    if frame is None or column not in getattr(frame, "columns", ()):
        return None
    import pandas as pd

    from workbench.engine.model import coerce_columns

    distinct = pd.DataFrame({column: pd.unique(frame[column])})
    return np.unique(coerce_columns(distinct, [FeatureInfo(column, "categorical")])[column].astype(str))


def _missing_texts(column: str, frame: Any, declared: tuple[Any, ...]) -> tuple[str, ...]:
    """The exact texts that mean missing: the declared ones, and the cells that
    equal one of them but for surrounding spaces (" ?" in a file that pads).

    Exact texts, so the native model and the ONNX graph (which has no
    string trimming) match the same cells.
    """
    wanted = {_value_text(v) for v in declared}
    cells = _cells(column, frame)
    padded = {c for c in cells if c.strip() in wanted} if cells is not None else set()
    return tuple(sorted((wanted | padded) - {""}))


def _numbers_once_missing(column: str, frame: Any, missing: tuple[str, ...]) -> bool:
    """Whether every other value of ``column`` is a number (there is at least one)."""
    import pandas as pd

    cells = _cells(column, frame)
    if cells is None:
        return False
    rest = pd.Series([c for c in cells if c != "" and c not in missing], dtype=object)
    return bool(len(rest)) and bool(pd.to_numeric(rest, errors="coerce").notna().all())


def plan_preparation(
    schema: Any,
    features: list[str],
    spec: Any,
    algorithm: Any,
    *,
    frame: Any = None,
) -> PreparationPlan:
    """Decide, per feature column, how it is imputed, scaled and encoded.

    Parameters
    ----------
    schema
        Maps a column name to an object with ``.kind`` in numeric,
        categorical, boolean, datetime, text, id.
    features
        The candidate feature columns, in order.
    spec
        The RunSpec (uses ``spec.preparation``: column -> ColumnPrep).
    algorithm
        The catalog entry (uses ``scale_numeric``).
    frame
        Optional training frame, used only to count categories (columns with
        more than ``HIGH_CARDINALITY`` are ordinal-encoded).  Without it the
        schema's ``n_unique`` is used when present.
    """
    plan = PreparationPlan()
    overrides = getattr(spec, "preparation", None) or {}
    scale_default = "standard" if getattr(algorithm, "scale_numeric", True) else "none"
    for column in features:
        prep = overrides.get(column)
        kind = _kind_of(schema, column)
        if prep is not None:
            prep.validate(column)
        if prep is not None and prep.drop:
            plan.dropped[column] = "dropped by its preparation settings"
            continue
        encode = prep.encode if prep is not None else "auto"
        declared = tuple(prep.missing_values) if prep is not None else ()
        missing: tuple[Any, ...] = ()
        from_text = False
        if declared and kind in ("categorical", "text", "id"):
            missing = _missing_texts(column, frame, declared)
            if encode == "auto" and _numbers_once_missing(column, frame, missing):
                kind, from_text = "numeric", True
                plan.notes.append(
                    f"column {column}: numbers once {_shown(declared)} count as missing; used as a number")
            elif encode == "auto" and kind == "categorical" and frame is not None:
                plan.notes.append(
                    f"column {column}: {_shown(declared)} count as missing; other values are not numbers, "
                    "so it stays a category")
        elif declared and kind in ("numeric", "boolean"):
            missing = tuple(sorted({n for n in map(_as_number, declared) if n is not None}))
            texts = [v for v in declared if _as_number(v) is None]
            if texts:
                plan.notes.append(f"column {column} holds numbers: missing value(s) {_shown(texts)} ignored")
        elif declared:
            plan.notes.append(f"column {column} is {kind}: its missing values are ignored")
        if encode != "auto":
            kind = "categorical"  # an explicit encoding makes any column a category
        elif kind in DROPPED_KINDS:
            plan.dropped[column] = DROPPED_KINDS[kind]
            continue
        impute = prep.impute if prep is not None else "auto"
        scale = prep.scale if prep is not None else "auto"
        fill_value = prep.fill_value if prep is not None else None
        clip = tuple(prep.clip) if prep is not None and prep.clip is not None else None
        if kind == "categorical":
            top: tuple[str, ...] | None = None
            if encode == "auto":
                n = _n_categories(schema, column, frame)
                rows = _n_present(column, frame)
                if n is not None and rows and n >= NAME_MIN_CATEGORIES and n >= NAME_UNIQUE_SHARE * rows:
                    plan.dropped[column] = (
                        f"name-like ({n} distinct values in {rows} rows, about one per row: it names rows "
                        "rather than describing them); set encode=onehot or ordinal to use it anyway"
                    )
                    plan.warnings.append(f"column {column}: {plan.dropped[column]}")
                    continue
                encode = "onehot"
                if n is not None and n > HIGH_CARDINALITY:
                    if getattr(algorithm, "scale_numeric", True):
                        # Distance- and weight-based learners read an
                        # ordinal code as a quantity (an arbitrary order);
                        # one-hot of the frequent values keeps them honest.
                        top = _most_frequent(column, frame, HIGH_CARDINALITY)
                        plan.notes.append(
                            f"column {column} has {n} categories: one-hot of its {HIGH_CARDINALITY} most frequent, "
                            "the rest encode as none of them; set encode=onehot for all of them"
                        )
                    else:
                        encode = "ordinal"
                        plan.notes.append(
                            f"column {column} has {n} categories (> {HIGH_CARDINALITY}): ordinal-encoded for this "
                            "tree model (splits can isolate codes); set encode=onehot to override"
                        )
            recipe = ColumnRecipe(
                kind, "constant" if impute == "auto" else impute, "none", encode,
                MISSING_CATEGORY if fill_value is None else str(fill_value),
                categories=top, missing=missing,
            )
        elif kind in ("numeric", "boolean", "datetime"):
            auto_impute = "most_frequent" if kind == "boolean" else "median"
            auto_scale = "none" if kind == "boolean" else scale_default
            if clip is not None and kind != "numeric":
                plan.notes.append(f"column {column}: clip applies to numeric columns only; ignored")
                clip = None
            recipe = ColumnRecipe(
                kind,
                auto_impute if impute == "auto" else impute,
                auto_scale if scale == "auto" else scale,
                fill_value=None if fill_value is None else float(fill_value),
                clip=clip, missing=missing, from_text=from_text,
            )
        else:
            raise SpecError(f"Column '{column}' has an unknown kind '{kind}'.")
        plan.columns[column] = recipe
    if not plan.columns:
        reasons = "; ".join(f"{c}: {why}" for c, why in plan.dropped.items()) or "no columns given"
        raise SpecError(f"No usable feature columns are left ({reasons}).")
    return plan
