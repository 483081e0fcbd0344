"""RunSpec: everything needed to reproduce a training run, as JSON.

Follows scikit-learn's convention that ``(algorithm, params)`` describes a
model completely; the spec adds the data (path + fingerprint), roles,
preparation, split and seed.  ``workbench train --spec spec.json`` replays it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping, Sequence

from workbench.engine.errors import SpecError

SPEC_VERSION = 1

IMPUTE_CHOICES = ("auto", "mean", "median", "most_frequent", "constant", "none")
SCALE_CHOICES = ("auto", "standard", "minmax", "robust", "none")
ENCODE_CHOICES = ("auto", "onehot", "ordinal")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
SELECTION_CHOICES = ("none", "variance", "kbest")


@dataclass(frozen=True)
class PrepField:
    """One per-column preparation setting, as the form and the CLI show it.

    ``PREP_FIELDS`` declares every ``ColumnPrep`` field once: the model
    form's preparation table takes its columns and choices from it, and
    ``workbench train --prep COLUMN:NAME=VALUE`` reads its text with
    :meth:`ColumnPrep.with_text`; :meth:`ColumnPrep.validate` checks it.
    """

    name: str  # the ColumnPrep attribute
    label: str  # header in the form's preparation table
    choices: tuple[str, ...] | None  # None: free text
    help: str
    in_form: bool = True


PREP_FIELDS = (
    PrepField("impute", "Impute", IMPUTE_CHOICES, "how missing values are filled"),
    PrepField("scale", "Scale", SCALE_CHOICES, "how numbers are scaled"),
    PrepField("encode", "Encode", ENCODE_CHOICES, "how categories become numbers (any choice but auto "
              "makes the column a category)"),
    PrepField("missing_values", "Missing values", None,
              "values that mean 'unknown', comma-separated (e.g. ?, n/a, or 0 for a measure that cannot be 0): "
              "treated as missing, then imputed; a column read as text only because of them becomes numeric"),
    PrepField("drop", "Drop", ("no", "yes"), "leave the column out"),
    PrepField("fill_value", "Fill value", None, "the value of impute=constant", in_form=False),
    PrepField("clip", "Clip", None, "clip numbers to LOW,HIGH", in_form=False),
)
MAX_MISSING_VALUES = 100


def _number_or_text(item: str) -> str | int | float:
    """``"0"`` -> 0, ``"1.5"`` -> 1.5, ``"?"`` -> ``"?"`` (numbers are stored as numbers)."""
    try:
        number = float(item)
    except ValueError:
        return item
    if not math.isfinite(number):
        return item
    return int(number) if number.is_integer() and "." not in item and "e" not in item.lower() else number


def parse_missing_values(text: str) -> list[str | int | float]:
    """``"?, n/a, 0"`` -> ``["?", "n/a", 0]``; a JSON list is taken as it is."""
    text = text.strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"missing_values: not a valid JSON list ({exc.msg}).") from None
        if not isinstance(values, list):
            raise SpecError("missing_values must be a list of values.")
        return values
    return [_number_or_text(item.strip()) for item in text.split(",") if item.strip()]


def missing_values_text(values: list[Any] | tuple[Any, ...]) -> str:
    """The inverse of :func:`parse_missing_values` for the form ("?, 0")."""
    if any(isinstance(v, str) and ("," in v or v != v.strip()) for v in values):
        return json.dumps(list(values))  # a value that commas or spaces would change
    return ", ".join(str(v) for v in values)


@dataclass
class ColumnPrep:
    """Per-column preparation override; ``auto`` means "decide from schema"."""

    impute: str = "auto"
    scale: str = "auto"
    encode: str = "auto"
    fill_value: Any = None  # for impute="constant"
    clip: tuple[float, float] | None = None  # clip numeric values to [lo, hi]
    drop: bool = False
    # Values that stand for "unknown" in this column: a stray header line
    # ("Age") or "?" in a column of numbers, 0 for a measure that cannot be
    # 0.  They become missing before imputation (in the exported model too).
    missing_values: list[str | int | float] = field(default_factory=list)

    def validate(self, column: str) -> None:
        for name, value, allowed in (
            ("impute", self.impute, IMPUTE_CHOICES),
            ("scale", self.scale, SCALE_CHOICES),
            ("encode", self.encode, ENCODE_CHOICES),
        ):
            if value not in allowed:
                raise SpecError(
                    f"Column '{column}': {name} must be one of {', '.join(allowed)}; got '{value}'."
                )
        if self.clip is not None:
            lo, hi = self.clip
            if not lo <= hi:
                raise SpecError(f"Column '{column}': clip range must have low <= high.")
        values = self.missing_values
        if not isinstance(values, (list, tuple)):
            raise SpecError(f"Column '{column}': missing_values must be a list of values; got {values!r}.")
        if len(values) > MAX_MISSING_VALUES:
            raise SpecError(f"Column '{column}': at most {MAX_MISSING_VALUES} missing_values; got {len(values)}.")
        for v in values:
            ok = (isinstance(v, str) and v.strip() != "") or (
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
            if not ok:
                raise SpecError(
                    f"Column '{column}': each missing value must be a non-empty text or a finite number; "
                    f"got {v!r}."
                )

    def text(self, name: str) -> str:
        """Field ``name`` as the form and ``--prep`` write it."""
        value = getattr(self, name)
        if name == "drop":
            return "yes" if value else "no"
        if name == "missing_values":
            return missing_values_text(value)
        if name == "clip":
            return "" if value is None else f"{value[0]:g},{value[1]:g}"
        return "" if value is None else str(value)

    def with_text(self, name: str, text: str, column: str = "?") -> "ColumnPrep":
        """A copy with field ``name`` read from ``text`` (validated; SpecError otherwise)."""
        known = {f.name for f in PREP_FIELDS}
        if name not in known:
            raise SpecError(f"Unknown preparation setting '{name}'; use one of {', '.join(sorted(known))}.")
        text = text.strip()
        value: Any
        if name == "drop":
            if text.lower() not in ("yes", "no", "true", "false", "1", "0"):
                raise SpecError(f"Column '{column}': drop must be yes or no; got '{text}'.")
            value = text.lower() in ("yes", "true", "1")
        elif name == "missing_values":
            value = parse_missing_values(text)
        elif name == "clip":
            value = None
            if text:
                try:
                    lo, hi = (float(part) for part in text.split(","))
                except ValueError:
                    raise SpecError(f"Column '{column}': clip must be LOW,HIGH; got '{text}'.") from None
                value = (lo, hi)
        elif name == "fill_value":
            value = _number_or_text(text) if text else None
        else:
            value = text
        prep = replace(self, **{name: value})
        prep.validate(column)
        return prep


def parse_prep_texts(texts: Sequence[str],
                     base: Mapping[str, ColumnPrep] | None = None) -> dict[str, ColumnPrep]:
    """``COLUMN:NAME=VALUE`` strings (``--prep``) -> per-column preparation."""
    out = dict(base or {})
    for text in texts:
        column, colon, setting = text.partition(":")
        name, equals, value = setting.partition("=")
        if not (colon and equals and column.strip() and name.strip()):
            raise SpecError(f"--prep takes COLUMN:NAME=VALUE (e.g. 'age:missing_values=?,0'); got '{text}'.")
        column = column.strip()
        out[column] = out.get(column, ColumnPrep()).with_text(name.strip(), value, column)
    return out


@dataclass
class RunSpec:
    """A reproducible description of one training run.

    ``features`` is ``None`` for "every column except the target and
    ``ignore``".  ``cv`` = 0 means a single holdout split; ``cv`` >= 2 adds
    k-fold cross-validation scores on the training part.  ``validation_fraction``
    is carved from the training part for iterative learners (live validation
    curves, early stopping).
    """

    dataset: str
    algorithm: str
    target: str | None = None
    task: str | None = None  # None: inferred from the target
    params: dict[str, Any] = field(default_factory=dict)
    features: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    preparation: dict[str, ColumnPrep] = field(default_factory=dict)
    feature_selection: str = "none"
    selection_k: int = 10
    pca_components: int | None = None
    test_size: float = 0.2
    cv: int = 0
    validation_fraction: float = 0.1
    seed: int = 0
    device: str = "auto"
    n_threads: int | None = None
    learning_curve: bool | None = None  # None: only on small data (cheap)
    # Filled in when the run starts so a replay can detect a changed file.
    dataset_path: str | None = None
    fingerprint: str | None = None
    version: int = SPEC_VERSION

    def validate(self) -> "RunSpec":
        if not 0.0 < self.test_size < 1.0:
            raise SpecError(f"--test-size must be between 0 and 1 (exclusive); got {self.test_size}.")
        if self.cv < 0 or self.cv == 1:
            raise SpecError(f"--cv must be 0 (no cross-validation) or at least 2; got {self.cv}.")
        if not 0.0 < self.validation_fraction < 0.5:
            raise SpecError(
                f"validation_fraction must be in (0, 0.5); got {self.validation_fraction}."
            )
        if self.device not in DEVICE_CHOICES:
            raise SpecError(f"--device must be one of {', '.join(DEVICE_CHOICES)}; got '{self.device}'.")
        if self.feature_selection not in SELECTION_CHOICES:
            raise SpecError(
                f"feature_selection must be one of {', '.join(SELECTION_CHOICES)}; "
                f"got '{self.feature_selection}'."
            )
        if self.selection_k < 1:
            raise SpecError("selection_k must be at least 1.")
        if self.pca_components is not None and self.pca_components < 1:
            raise SpecError("pca_components must be at least 1.")
        if self.n_threads is not None and self.n_threads < 1:
            raise SpecError("n_threads must be at least 1.")
        for column, prep in self.preparation.items():
            prep.validate(column)
        return self

    # -- JSON ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["preparation"] = {k: asdict(v) for k, v in self.preparation.items()}
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunSpec":
        if not isinstance(d, dict):
            raise SpecError("A run spec must be a JSON object.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SpecError(f"Unknown field(s) in run spec: {', '.join(unknown)}.")
        for required in ("dataset", "algorithm"):
            if required not in d:
                raise SpecError(f"Run spec is missing '{required}'.")
        d = dict(d)
        prep = d.get("preparation") or {}
        try:
            d["preparation"] = {
                k: ColumnPrep(**{**v, "clip": tuple(v["clip"]) if v.get("clip") else None})
                for k, v in prep.items()
            }
        except TypeError as exc:
            raise SpecError(f"Invalid column preparation in run spec: {exc}.") from None
        try:
            return cls(**d).validate()
        except TypeError as exc:
            raise SpecError(f"Invalid run spec: {exc}.") from None

    @classmethod
    def from_json(cls, text: str) -> "RunSpec":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"Run spec is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        return cls.from_dict(d)
