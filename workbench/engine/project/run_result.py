"""What a run's ``result.json`` holds, typed: :class:`RunResult` and its parts.

The file's JSON stays as the training job writes it (and as older versions
wrote it); every reader takes it through these types instead of parsing the
dict by hand.  Reading is tolerant, never raising on a file that merely has
an old or odd shape: a missing key takes its default, a wrong-typed value its
default (a ``timings`` of ``"n/a"`` reads as no timings), a number that is
not a number reads as ``None``, and keys this version does not know are kept
and written back unchanged.

The evaluation (``training/evaluation.py``'s JSON) is read through
:class:`Evaluation`: ``result.evaluation.confusion``, ``.roc``,
``.importances``... each ``None`` or empty when the run has none.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from workbench.engine.errors import ProjectError


def _number(value: Any) -> float | None:
    """``value`` when it is a real number (not a bool), else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _numbers(values: Any) -> list[float | None]:
    return [_number(v) for v in values] if isinstance(values, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _numeric(values: Any) -> dict[str, float]:
    """The numeric entries of a ``{name: value}`` mapping (None and text dropped)."""
    return {k: v for k, v in _mapping(values).items() if _number(v) is not None}


# ---------------------------------------------------------------------------
# the evaluation's parts
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Confusion:
    """``counts[i][j]``: rows of true class ``labels[i]`` predicted as ``labels[j]``."""

    labels: list[Any]
    counts: list[list[float]]
    # Each row divided by its total; None where a row had no rows.
    normalized: list[list[float | None]]


@dataclass(frozen=True)
class ClassScores:
    label: Any
    precision: float | None
    recall: float | None
    f1: float | None
    support: float | None


@dataclass(frozen=True)
class Curve:
    """One class's ROC (x: false positive rate, y: true positive rate, score: AUC)
    or precision-recall curve (x: recall, y: precision, score: average precision)."""

    label: Any
    x: list[float | None]
    y: list[float | None]
    score: float | None


@dataclass(frozen=True)
class RegressionSample:
    """Held-out rows picked at random for the scatter plots (at most a few thousand)."""

    y_true: list[float | None]
    y_pred: list[float | None]
    residual: list[float | None]
    # How many held-out rows there were in all (more than the sample: say so).
    n_total: int | None


@dataclass(frozen=True)
class Histogram:
    edges: list[float | None]
    counts: list[float | None]


@dataclass(frozen=True)
class Clusters:
    labels: list[Any]
    sizes: list[float | None]


@dataclass(frozen=True)
class Importances:
    """Feature -> importance; ``method`` is "native", "permutation" or "" (not said)."""

    method: str
    values: dict[str, float]


@dataclass(frozen=True)
class LearningCurve:
    """Mean and spread of a score over folds, per number of training rows."""

    metric: str
    train_sizes: list[float | None]
    train_mean: list[float | None]
    train_std: list[float | None]
    valid_mean: list[float | None]
    valid_std: list[float | None]


_CURVE_KEYS = {"roc": ("fpr", "tpr", "auc"), "pr": ("recall", "precision", "average_precision")}


@dataclass(frozen=True)
class Evaluation:
    """The evaluation on held-out rows, as stored (``data``) and read through typed views."""

    data: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.data)

    def to_dict(self) -> dict[str, Any]:
        return self.data

    @property
    def confusion(self) -> Confusion | None:
        # "confusion" is what the very first versions called it.
        raw = _mapping(self.data.get("confusion_matrix") or self.data.get("confusion"))
        counts = raw.get("counts")
        if not isinstance(counts, list) or not counts:
            return None
        labels = raw.get("labels")
        labels = list(labels) if isinstance(labels, list) else list(range(len(counts)))
        rows = [_numbers(row) for row in counts]
        normalized = raw.get("normalized")
        if isinstance(normalized, list) and len(normalized) == len(rows):
            norm = [_numbers(row) for row in normalized]
        else:  # not stored: divide by the row totals here
            norm = [[None if not sum(v or 0 for v in row) else (v or 0) / sum(v or 0 for v in row) for v in row]
                    for row in rows]
        return Confusion(labels, [[v or 0 for v in row] for row in rows], norm)

    @property
    def per_class(self) -> list[ClassScores]:
        rows = self.data.get("per_class")
        return [ClassScores(r.get("label"), _number(r.get("precision")), _number(r.get("recall")),
                            _number(r.get("f1")), _number(r.get("support")))
                for r in (rows if isinstance(rows, list) else []) if isinstance(r, dict)]

    def _curves(self, kind: str) -> list[Curve]:
        x, y, score = _CURVE_KEYS[kind]
        curves = self.data.get(kind)
        return [Curve(c.get("label"), _numbers(c.get(x)), _numbers(c.get(y)), _number(c.get(score)))
                for c in (curves if isinstance(curves, list) else []) if isinstance(c, dict)]

    @property
    def roc(self) -> list[Curve]:
        return self._curves("roc")

    @property
    def pr(self) -> list[Curve]:
        return self._curves("pr")

    @property
    def residuals(self) -> dict[str, float]:
        """Summary statistics of the residuals (mean, std, quantiles...)."""
        return _numeric(self.data.get("residuals"))

    @property
    def sample(self) -> RegressionSample | None:
        raw = _mapping(self.data.get("sample"))
        if not raw:
            return None
        y_true, y_pred = _numbers(raw.get("y_true")), _numbers(raw.get("y_pred"))
        residual = _numbers(raw.get("residual")) if "residual" in raw else [
            None if t is None or p is None else t - p for t, p in zip(y_true, y_pred)]
        n_total = raw.get("n_total")
        return RegressionSample(y_true, y_pred, residual, n_total if isinstance(n_total, int) else None)

    @property
    def histogram(self) -> Histogram | None:
        raw = _mapping(self.data.get("histogram"))
        edges = _numbers(raw.get("edges"))
        return Histogram(edges, _numbers(raw.get("counts"))) if edges else None

    @property
    def clusters(self) -> Clusters | None:
        sizes = _numbers(self.data.get("sizes"))
        if not sizes:
            return None
        labels = self.data.get("clusters")
        return Clusters(list(labels) if isinstance(labels, list) else list(range(len(sizes))), sizes)

    @property
    def importances(self) -> Importances | None:
        """From ``{"method", "values": {...}}`` (or the first versions' flat mapping); None when empty."""
        raw = _mapping(self.data.get("importances"))
        nested = isinstance(raw.get("values"), dict)
        values = _numeric(raw["values"] if nested else {k: v for k, v in raw.items() if k != "method"})
        if not values:
            return None
        method = raw.get("method")
        return Importances(method if isinstance(method, str) and method != "none" else "", values)

    @property
    def learning_curve(self) -> LearningCurve | None:
        raw = _mapping(self.data.get("learning_curve"))
        sizes = _numbers(raw.get("train_sizes"))
        if not sizes:
            return None
        metric = raw.get("metric")
        return LearningCurve(metric if isinstance(metric, str) else "score", sizes, *(_numbers(raw.get(k)) for k in
                                              ("train_mean", "train_std", "valid_mean", "valid_std")))


# ---------------------------------------------------------------------------
# the per-iteration history and cross-validation
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Iteration:
    """One recorded iteration of an iterative learner: its metrics on each side."""

    step: int
    train: dict[str, float]
    valid: dict[str, float]


@dataclass(frozen=True)
class CvScore:
    """One metric over cross-validation folds."""

    mean: float | None
    std: float | None
    folds: list[float | None]


def _cv_scores(raw: Any) -> dict[str, CvScore]:
    return {name: CvScore(_number(v.get("mean")), _number(v.get("std")), _numbers(v.get("folds")))
            for name, v in _mapping(raw).items() if isinstance(v, dict)}


# ---------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------
@dataclass
class RunResult:
    """What ``result.json`` holds; see the training job for how each is filled.

    Every field has a default, so a minimal result (a run finalized after its
    worker died) and a full one read back alike.
    """

    status: str = "failed"
    message: str = ""
    run_id: str | None = None
    task: str | None = None
    algorithm: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    classes: list[Any] = field(default_factory=list)
    features: list[dict[str, Any]] = field(default_factory=list)
    # column -> why it was not used as a feature (the training job writes a dict)
    dropped_columns: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # The same metrics of the catalog's baseline on the same rows (None: not computed).
    baseline: dict[str, Any] | None = None
    baseline_cv: dict[str, Any] | None = None
    # The decision threshold a binary classifier was tuned to ({"value": ...}).
    threshold: dict[str, Any] | None = None
    headline: str | None = None
    cv: dict[str, Any] | None = None
    evaluation: Evaluation = field(default_factory=Evaluation)
    history: list[dict[str, Any]] = field(default_factory=list)
    best_iteration: int | None = None
    n_iterations: int | None = None
    device: str | None = None
    timings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    onnx: dict[str, Any] | None = None
    finished: float | None = None
    model_saved: bool | None = None
    # Keys this version does not know, kept so a rewrite (export) loses nothing.
    extra: dict[str, Any] = field(default_factory=dict)
    # The keys the file had, in order: a read-then-write keeps the file's shape.
    _keys: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Any) -> "RunResult":
        """Build from a parsed result.json; wrong-typed values take their default."""
        if not isinstance(data, dict):
            raise ProjectError("result.json does not hold a JSON object.")
        known = {f.name: f for f in dataclasses.fields(cls) if not f.name.startswith("_") and f.name != "extra"}
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            f = known.get(key)
            if f is None:
                extra[key] = value
            elif key == "evaluation":
                if isinstance(value, dict):
                    values[key] = Evaluation(value)
            elif _fits(f, value):
                values[key] = value
        return cls(**values, extra=extra, _keys=tuple(data))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of result.json (same keys as before for a file read back)."""
        fields = {f.name: f for f in dataclasses.fields(self) if not f.name.startswith("_") and f.name != "extra"}

        def value(name: str) -> Any:
            v = getattr(self, name)
            return v.to_dict() if isinstance(v, Evaluation) else v

        out: dict[str, Any] = {}
        for key in self._keys:
            if key in fields:
                out[key] = value(key)
            elif key in self.extra:
                out[key] = self.extra[key]
        for name, f in fields.items():
            if name not in out and getattr(self, name) != _default(f):
                out[name] = value(name)
        for key, v in self.extra.items():
            out.setdefault(key, v)
        return out

    # typed views of the stored values --------------------------------------
    def numeric_metrics(self) -> dict[str, float]:
        """The metrics that have a value (a metric that could not be computed is None on disk)."""
        return _numeric(self.metrics)

    def baseline_metrics(self) -> dict[str, float]:
        return _numeric(self.baseline)

    @property
    def cv_scores(self) -> dict[str, CvScore]:
        """Metric -> its cross-validation mean, spread and folds (empty without CV)."""
        return _cv_scores(self.cv)

    @property
    def baseline_cv_scores(self) -> dict[str, CvScore]:
        return _cv_scores(self.baseline_cv)

    @property
    def iterations(self) -> list[Iteration]:
        """The per-iteration training (and validation) metrics, in step order as recorded."""
        out = []
        for i, h in enumerate(self.history):
            if not isinstance(h, dict):
                continue
            step = h.get("step")
            out.append(Iteration(step if isinstance(step, int) else i, _numeric(h.get("train")),
                                 _numeric(h.get("valid"))))
        return out

    def curves(self, side: str) -> dict[str, tuple[list[int], list[float]]]:
        """Metric -> (steps, values) of the per-iteration curves on ``side`` ("train" or "valid")."""
        out: dict[str, tuple[list[int], list[float]]] = {}
        for it in self.iterations:
            for name, value in (it.valid if side == "valid" else it.train).items():
                steps, values = out.setdefault(name, ([], []))
                steps.append(it.step)
                values.append(value)
        return out

    @property
    def total_seconds(self) -> float | None:
        """How long the whole run took (None when not recorded)."""
        return _number(self.timings.get("total_s"))

    def seconds(self, part: str) -> float | None:
        """A timing of the run (``"fit_s"``, ``"total_s"``...), None when not recorded."""
        return _number(self.timings.get(part))

    @property
    def train_rows(self) -> int | None:
        n = self.rows.get("train")
        return n if isinstance(n, int) else None

    @property
    def test_rows(self) -> int | None:
        n = self.rows.get("test")
        return n if isinstance(n, int) else None

    @property
    def threshold_value(self) -> float | None:
        """The decision threshold saved with a binary classifier (None: the model's own rule)."""
        return _number((self.threshold or {}).get("value"))

    @property
    def is_binary_classifier(self) -> bool:
        return self.task == "classification" and len(self.classes) == 2


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "dict": (dict,), "list": (list,), "int": (int,), "float": (int, float), "bool": (bool,),
}


def _fits(f: dataclasses.Field, value: Any) -> bool:
    if value is None:
        return "None" in str(f.type)
    kind = str(f.type).split("[")[0].split(" ")[0]
    accepted = _TYPES.get(kind)
    if accepted is None:
        return True
    if kind in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, accepted)


def _default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return f.default


__all__ = [
    "ClassScores", "Clusters", "Confusion", "CvScore", "Curve", "Evaluation", "Histogram", "Importances",
    "Iteration", "LearningCurve", "RegressionSample", "RunResult",
]
