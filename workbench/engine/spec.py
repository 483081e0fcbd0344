"""RunSpec: everything needed to reproduce a training run, as JSON.

Follows scikit-learn's convention that ``(algorithm, params)`` describes a
model completely; the spec adds the data (path + fingerprint), roles,
preparation, split and seed.  ``workbench train --spec spec.json`` replays it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from workbench.engine.errors import SpecError

SPEC_VERSION = 1

IMPUTE_CHOICES = ("auto", "mean", "median", "most_frequent", "constant", "none")
SCALE_CHOICES = ("auto", "standard", "minmax", "robust", "none")
ENCODE_CHOICES = ("auto", "onehot", "ordinal")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
SELECTION_CHOICES = ("none", "variance", "kbest")


@dataclass
class ColumnPrep:
    """Per-column preparation override; ``auto`` means "decide from schema"."""

    impute: str = "auto"
    scale: str = "auto"
    encode: str = "auto"
    fill_value: Any = None  # for impute="constant"
    clip: tuple[float, float] | None = None  # clip numeric values to [lo, hi]
    drop: bool = False

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
