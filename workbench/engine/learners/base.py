"""The types every catalog entry is made of: parameters, capabilities, fit data.

The families in this package build :class:`Algorithm` values from these;
:mod:`workbench.engine.catalog` lists them.  The types live here, below both,
so that an entry never needs the catalog (the catalog used to import the
entries and the entries the catalog: import order was the registry).
Nothing here imports scikit-learn: the catalog must stay cheap to import.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal

from workbench.engine.errors import SpecError

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext

Task = Literal["classification", "regression", "clustering"]
TASKS: tuple[str, ...] = ("classification", "regression", "clustering")
ParamKind = Literal["int", "float", "bool", "choice"]


@dataclass(frozen=True)
class ParamSpec:
    """One hyperparameter.

    ``low``/``high`` are the *valid* bounds (inclusive) for int/float;
    ``search_low``/``search_high`` optionally narrow the default tuning range
    (e.g. ``n_estimators`` is valid up to 100 000 but tuned in 50..1000).
    ``nullable`` lets the value be ``None`` (written ``none`` on the command
    line), e.g. ``max_depth=None`` for unlimited depth.  ``tasks`` restricts a
    parameter to some tasks of a family (``criterion`` differs between
    classification and regression forests).
    """

    name: str
    kind: ParamKind
    default: Any
    help: str = ""
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    nullable: bool = False
    tasks: tuple[str, ...] = ()
    search_low: float | None = None
    search_high: float | None = None
    tunable: bool = True
    #: A :class:`DataFacts` field this value may not exceed (e.g. neighbours
    #: <= "fit_rows"); checked against the data before a run folder exists.
    at_most: str | None = None

    # -- validation ------------------------------------------------------
    def _range_text(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        base = f"an {'integer' if self.kind == 'int' else 'number'} in [{lo}, {hi}]"
        return base + (" or none" if self.nullable else "")

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise SpecError."""
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            if self.nullable or self.default is None and self.kind == "choice" and None in self.choices:
                return None
            raise SpecError(f"Parameter '{self.name}' cannot be empty: expected {self._range_text()}.")
        if isinstance(value, str):
            return self.parse(value)
        kind = self.kind
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            raise SpecError(f"Parameter '{self.name}' must be true or false, got {value!r}.")
        if kind == "choice":
            for c in self.choices:
                if value == c:
                    return c
            raise SpecError(
                f"Parameter '{self.name}' must be {self._range_text()}; got {value!r}."
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"Parameter '{self.name}' must be {self._range_text()}; got {value!r}.")
        if isinstance(value, float) and not math.isfinite(value):
            raise SpecError(f"Parameter '{self.name}' must be a finite number; got {value!r}.")
        if kind == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    raise SpecError(
                        f"Parameter '{self.name}' must be an integer; got {value!r}."
                    )
            value = int(value)
        else:
            value = float(value)
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise SpecError(f"Parameter '{self.name}' must be {self._range_text()}; got {value!r}.")
        return value

    def parse(self, text: str) -> Any:
        """Parse a value typed by a person (CLI ``--param``, a form field)."""
        t = text.strip()
        low = t.lower()
        if low in ("none", "null", ""):
            return self.validate(None)
        if self.kind == "bool":
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise SpecError(f"Parameter '{self.name}' must be true or false, got '{text}'.")
        if self.kind == "choice":
            for c in self.choices:
                if str(c).lower() == low:
                    return c
            raise SpecError(f"Parameter '{self.name}' must be {self._range_text()}; got '{text}'.")
        try:
            number = float(t)
        except ValueError:
            raise SpecError(
                f"Parameter '{self.name}' must be {self._range_text()}; got '{text}'."
            ) from None
        return self.validate(number)

    def applies_to(self, task: str) -> bool:
        return not self.tasks or task in self.tasks

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "default": self.default,
            "min": self.low,
            "max": self.high,
            "log": self.log,
            "choices": list(self.choices) if self.kind == "choice" else None,
            "nullable": self.nullable,
            "tasks": list(self.tasks) or None,
            "help": self.help,
        }


@dataclass(frozen=True)
class Capabilities:
    """What an algorithm can do; front ends read these to enable features."""

    iterative: bool = False  # emits per-iteration train/valid metrics
    early_stopping: bool = False
    gpu: bool = False
    onnx: bool = True
    importances: bool = False  # native importances (else permutation is used)

    def to_dict(self) -> dict[str, bool]:
        return {
            "iterative": self.iterative,
            "early_stopping": self.early_stopping,
            "gpu": self.gpu,
            "onnx": self.onnx,
            "importances": self.importances,
        }


@dataclass
class FitData:
    """Everything a fitter needs, already prepared (float32 matrices).

    ``y`` values are integer class codes 0..K-1 for classification.  The
    validation arrays are present for iterative learners (used for live
    curves and early stopping) and ``None`` otherwise.
    """

    task: str
    X_train: Any
    y_train: Any
    X_valid: Any = None
    y_valid: Any = None
    n_classes: int = 0
    seed: int = 0
    n_threads: int = 1
    ctx: "JobContext | None" = None
    # Per-row weights of X_train ("balanced" classes for learners that take
    # no class_weight of their own); None = equal weights.
    sample_weight: Any = None


@dataclass
class FitInfo:
    """What a fitter learned about the fit beyond the estimator itself."""

    best_iteration: int | None = None
    n_iterations: int | None = None
    device: str = "cpu"
    notes: list[str] = field(default_factory=list)


@dataclass
class BuildContext:
    """Run-level settings an estimator factory may need."""

    task: str
    seed: int = 0
    n_threads: int = 1
    device: str = "cpu"  # the resolved device: "cpu" or "cuda"
    n_classes: int = 0


def plain_fit(estimator: Any, data: FitData) -> FitInfo:
    """Fit with no per-iteration reporting (single long C call)."""
    if data.task == "clustering":
        estimator.fit(data.X_train)
    elif data.sample_weight is not None:
        estimator.fit(data.X_train, data.y_train, sample_weight=data.sample_weight)
    else:
        estimator.fit(data.X_train, data.y_train)
    return FitInfo()


@dataclass(frozen=True)
class DataFacts:
    """What parameter checks may know about the data before any fit.

    ``fit_rows`` is the fewest rows any fit of the run sees (a CV fold's
    training part, less the validation rows of iterative learners).
    """

    task: str
    fit_rows: int
    n_features: int
    n_classes: int = 0
    y_min: float | None = None  # regression targets only


@dataclass(frozen=True)
class Algorithm:
    """One catalog entry (a family serving one or more tasks).

    ``factory(params, build_context)`` returns an unfitted estimator for
    ``build_context.task`` with the validated ``params``.  ``fitter(estimator,
    fit_data)`` fits it, reporting per-iteration metrics through
    ``fit_data.ctx`` and checking its cancel token, and returns a
    :class:`FitInfo`.  ``scale_numeric`` says whether numeric features should
    be scaled by default (tree models: no — scaling only hurts ONNX parity).
    """

    key: str
    name: str
    tasks: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    factory: Callable[[dict[str, Any], BuildContext], Any]
    capabilities: Capabilities = Capabilities()
    fitter: Callable[[Any, FitData], FitInfo] = plain_fit
    scale_numeric: bool = True
    description: str = ""
    #: ``check(params, facts)`` raises SpecError for parameter combinations
    #: that cannot fit this data (e.g. a solver without the chosen penalty);
    #: run before the run folder exists, beside each ParamSpec's ``at_most``.
    check: Callable[[dict[str, Any], "DataFacts"], None] | None = None

    def params_for(self, task: str) -> tuple[ParamSpec, ...]:
        return tuple(p for p in self.params if p.applies_to(task))

    def param(self, name: str, task: str | None = None) -> ParamSpec:
        specs = self.params_for(task) if task else self.params
        for p in specs:
            if p.name == name:
                return p
        names = [p.name for p in specs]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise SpecError(
            f"Unknown parameter '{name}' for {self.key}.{hint} "
            f"Known parameters: {', '.join(names) or '(none)'}."
        )

    def defaults(self, task: str) -> dict[str, Any]:
        return {p.name: p.default for p in self.params_for(task)}

    def validate_params(self, params: dict[str, Any], task: str) -> dict[str, Any]:
        """Defaults overlaid with ``params``, each validated; raises SpecError."""
        if task not in self.tasks:
            raise SpecError(
                f"Algorithm '{self.key}' does not do {task}; it does {', '.join(self.tasks)}."
            )
        out = self.defaults(task)
        for name, value in params.items():
            out[name] = self.param(name, task).validate(value)
        return out

    def parse_params(self, pairs: list[str], task: str) -> dict[str, Any]:
        """Parse ``K=V`` strings (CLI ``--param``) into validated values."""
        out: dict[str, Any] = {}
        for pair in pairs:
            if "=" not in pair:
                raise SpecError(f"--param expects NAME=VALUE, got '{pair}'.")
            name, _, text = pair.partition("=")
            out[name.strip()] = self.param(name.strip(), task).parse(text)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "tasks": list(self.tasks),
            "description": self.description,
            "params": [p.to_dict() for p in self.params],
            "capabilities": self.capabilities.to_dict(),
        }
