"""Tuning search spaces, generated from the catalog's :class:`ParamSpec` s.

One :class:`ParamRange` per searched parameter says what values a search may
try: a numeric interval (optionally log-scaled, optionally with ``None`` as an
extra choice) or a finite list of values.  A :class:`SearchSpace` is the set
of ranges of one algorithm for one task plus the parameters held fixed.

Defaults come from the catalog (``search_low``/``search_high`` if set, else
the valid bounds; ``log``; the choices of a choice parameter) and each range
can be overridden the way a person writes it: ``LOW:HIGH`` or ``a,b,c``
(``--param-range C=0.01:100`` on the command line, the range cells of the
GUI's setup table).  Every override is checked against the parameter's valid
bounds so a search never tries a value a plain training run would reject.

optuna is imported only by the methods that need a trial; building and
validating a space is cheap.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from workbench.engine.catalog import Algorithm, ParamSpec
from workbench.engine.errors import SpecError

if TYPE_CHECKING:  # pragma: no cover
    import optuna

__all__ = [
    "DEFAULT_GRID_POINTS",
    "ParamRange",
    "SearchSpace",
    "tunable_params",
    "default_range",
    "make_range",
    "range_from_text",
    "parse_param_ranges",
    "build_search_space",
]

# Points a numeric parameter gets in a grid when no values are given: enough to
# see a trend, few enough that a 3-parameter grid stays at 27 fits per fold.
DEFAULT_GRID_POINTS = 3
# Suffix of the extra yes/no parameter that lets random/Bayesian search pick
# ``None`` for a nullable numeric parameter (e.g. ``max_depth=none``).
NONE_FLAG_SUFFIX = "=none"


@dataclass(frozen=True)
class ParamRange:
    """What a search may try for one parameter.

    ``kind`` is ``"int"`` or ``"float"`` (an interval ``[low, high]``, log-scaled
    when ``log``) or ``"values"`` (exactly ``values``).  ``include_none`` adds
    ``None`` as one more choice to an interval (a nullable parameter whose
    ``None`` means "no limit" or "library default").
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    values: tuple[Any, ...] = ()
    include_none: bool = False

    # -- description ---------------------------------------------------
    def describe(self) -> str:
        """Short text for logs and tables: ``[0.01, 100] log`` or ``{a, b}``."""
        if self.kind == "values":
            return "{" + ", ".join(_text(v) for v in self.values) + "}"
        text = f"[{_text(self.low)}, {_text(self.high)}]" + (" log" if self.log else "")
        return text + (" or none" if self.include_none else "")

    def as_text(self) -> str:
        """The override syntax that rebuilds this range: ``LOW:HIGH`` or ``a,b``."""
        if self.kind == "values":
            return ",".join(_text(v) for v in self.values)
        return f"{_text(self.low)}:{_text(self.high)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "values": list(self.values),
            "include_none": self.include_none,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ParamRange":
        return cls(
            name=d["name"],
            kind=d["kind"],
            low=d.get("low"),
            high=d.get("high"),
            log=bool(d.get("log")),
            values=tuple(d.get("values") or ()),
            include_none=bool(d.get("include_none")),
        )

    # -- sampling ------------------------------------------------------
    def bounds(self) -> tuple[float, float]:
        """``(low, high)`` of an interval range; one without them (a hand-edited
        search spec) is a SpecError naming the parameter."""
        if self.low is None or self.high is None:
            raise SpecError(f"The search range of '{self.name}' has no low and high bound (give LOW:HIGH).")
        return float(self.low), float(self.high)

    def suggest(self, trial: "optuna.Trial") -> Any:
        """Ask an optuna trial for this parameter's value."""
        if self.kind == "values":
            return trial.suggest_categorical(self.name, list(self.values))
        if self.include_none:
            # Conditional parameter: TPE learns how often "none" pays off
            # separately from where in the interval good values lie.
            if trial.suggest_categorical(self.name + NONE_FLAG_SUFFIX, [False, True]):
                return None
        lo, hi = self.bounds()
        if self.kind == "int":
            return trial.suggest_int(self.name, int(lo), int(hi), log=self.log)
        return trial.suggest_float(self.name, lo, hi, log=self.log)

    def grid_values(self, points: int = DEFAULT_GRID_POINTS) -> list[Any]:
        """The finite values a grid search tries (evenly or log-spaced)."""
        if self.kind == "values":
            return list(self.values)
        lo, hi = self.bounds()
        points = max(2, int(points))
        if self.log and lo > 0:
            raw = [math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * i / (points - 1)) for i in range(points)]
        else:
            raw = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
        if self.kind == "int":
            out: list[Any] = list(dict.fromkeys(int(round(v)) for v in raw))
        else:
            # 4 significant digits: 0.01, 0.3162... reads badly; 0.3162 is plenty.
            out = list(dict.fromkeys(float(f"{v:.4g}") for v in raw))
        if self.include_none:
            out.append(None)
        return out


@dataclass
class SearchSpace:
    """The ranges searched for one algorithm and task, and the fixed params."""

    algorithm: str
    task: str
    ranges: tuple[ParamRange, ...]
    fixed: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.ranges]

    def __len__(self) -> int:
        return len(self.ranges)

    def range(self, name: str) -> ParamRange:
        for r in self.ranges:
            if r.name == name:
                return r
        raise KeyError(name)

    def suggest(self, trial: "optuna.Trial") -> dict[str, Any]:
        """Sample every range through ``trial`` (random and Bayesian search)."""
        return {r.name: r.suggest(trial) for r in self.ranges}

    def grid(self, points: int = DEFAULT_GRID_POINTS) -> list[dict[str, Any]]:
        """Every combination of the ranges' grid values, first parameter slowest."""
        axes = [r.grid_values(points) for r in self.ranges]
        return [dict(zip(self.names, combo)) for combo in itertools.product(*axes)]

    def grid_size(self, points: int = DEFAULT_GRID_POINTS) -> int:
        return math.prod(len(r.grid_values(points)) for r in self.ranges)

    def suggest_grid(self, trial: "optuna.Trial", points: int = DEFAULT_GRID_POINTS) -> dict[str, Any]:
        """Grid search: each parameter is a choice among its grid values.

        The combination itself is enqueued on the study beforehand, so the
        trial takes those fixed values; declaring the axes as choices lets
        optuna's importance analysis treat them like any other search.
        """
        return {r.name: trial.suggest_categorical(r.name, r.grid_values(points)) for r in self.ranges}

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "task": self.task,
            "ranges": [r.to_dict() for r in self.ranges],
            "fixed": dict(self.fixed),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SearchSpace":
        return cls(
            algorithm=d["algorithm"],
            task=d["task"],
            ranges=tuple(ParamRange.from_dict(r) for r in d.get("ranges", [])),
            fixed=dict(d.get("fixed") or {}),
        )


# ---------------------------------------------------------------------------
# Building ranges from ParamSpecs
# ---------------------------------------------------------------------------
def tunable_params(algorithm: Algorithm, task: str) -> list[ParamSpec]:
    """The parameters a search offers by default for ``task`` (``tunable``)."""
    return [p for p in algorithm.params_for(task) if p.tunable]


def _bounds(spec: ParamSpec) -> tuple[float | None, float | None]:
    lo = spec.search_low if spec.search_low is not None else spec.low
    hi = spec.search_high if spec.search_high is not None else spec.high
    return lo, hi


def default_range(spec: ParamSpec) -> ParamRange | None:
    """The catalog's default search range of ``spec`` (None: not searchable).

    Numbers use ``search_low``/``search_high`` (else the valid bounds) and the
    spec's log scale; a log scale whose lower bound is 0 starts at 1e-6 of the
    upper bound instead.  A nullable number whose default is ``None`` keeps
    ``None`` as a choice (``max_depth=None`` means unlimited depth, a value
    worth trying); choices and booleans try every value.
    """
    if spec.kind == "bool":
        return ParamRange(spec.name, "values", values=(False, True))
    if spec.kind == "choice":
        return ParamRange(spec.name, "values", values=tuple(spec.choices))
    lo, hi = _bounds(spec)
    if lo is None or hi is None or not lo < hi:
        return None  # an open interval has no sensible default range
    log = spec.log
    if log and lo <= 0:
        lo = hi * 1e-6 if spec.kind == "float" else 1
        log = lo < hi
    if spec.kind == "int":
        lo, hi = math.ceil(lo), math.floor(hi)
    return ParamRange(
        spec.name,
        spec.kind,
        low=lo,
        high=hi,
        log=log,
        include_none=spec.nullable and spec.default is None,
    )


def make_range(
    spec: ParamSpec,
    low: Any = None,
    high: Any = None,
    values: Iterable[Any] | None = None,
    *,
    include_none: bool = False,
    source: str | None = None,
) -> ParamRange:
    """A range for ``spec`` from explicit bounds or values, validated.

    Parameters
    ----------
    spec : ParamSpec
        The parameter.
    low, high : number or str, optional
        Interval bounds (int/float parameters only).  Both or neither.
    values : iterable, optional
        Explicit values (any kind); each is validated by ``spec`` (``"none"``
        allowed for nullable parameters).
    include_none : bool
        Also try ``None`` besides the interval (nullable parameters only).
    source : str, optional
        How the user wrote it, e.g. ``"--param-range C=5:1"``; error messages
        start with it (default: the parameter's name).

    Raises
    ------
    SpecError
        Bounds outside the parameter's valid range, ``low >= high``, a log
        scale with ``low <= 0``, an interval for a choice parameter, or a value
        the parameter rejects.
    """
    where = source or spec.name
    if values is not None:
        parsed: list[Any] = []
        for v in values:
            try:
                value = spec.parse(v) if isinstance(v, str) else spec.validate(v)
            except SpecError as exc:
                raise SpecError(f"{where}: {exc}") from None
            if value not in parsed:
                parsed.append(value)
        if not parsed:
            raise SpecError(f"{where}: give at least one value.")
        return ParamRange(spec.name, "values", values=tuple(parsed))
    if spec.kind not in ("int", "float"):
        options = ",".join(_text(c) for c in (spec.choices if spec.kind == "choice" else (False, True)))
        raise SpecError(
            f"{where}: '{spec.name}' is a {spec.kind} parameter, so it takes a list of values "
            f"(e.g. {spec.name}={options}), not a LOW:HIGH range."
        )
    if low is None or high is None:
        raise SpecError(f"{where}: give both LOW and HIGH (e.g. {spec.name}=1:10).")
    lo, hi = _number(low, spec, where), _number(high, spec, where)
    if not lo < hi:
        raise SpecError(f"{where}: low must be < high (to try a single value, fix it with --param {spec.name}=V).")
    if (spec.low is not None and lo < spec.low) or (spec.high is not None and hi > spec.high):
        raise SpecError(f"{where}: out of the valid range; '{spec.name}' must be {spec._range_text()}.")
    if spec.log and lo <= 0:
        raise SpecError(f"{where}: '{spec.name}' is searched on a log scale, so low must be > 0.")
    return ParamRange(spec.name, spec.kind, low=lo, high=hi, log=spec.log, include_none=include_none and spec.nullable)


def _number(text: Any, spec: ParamSpec, where: str) -> float | int:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise SpecError(f"{where}: '{text}' is not a number.") from None
    if not math.isfinite(value):
        raise SpecError(f"{where}: bounds must be finite numbers.")
    if spec.kind == "int":
        if not value.is_integer():
            raise SpecError(f"{where}: '{spec.name}' is an integer parameter; '{text}' is not a whole number.")
        return int(value)
    return value


def range_from_text(spec: ParamSpec, text: str, *, source: str | None = None) -> ParamRange:
    """Parse ``LOW:HIGH`` or ``a,b,c`` (one value alone is a one-value list)."""
    t = text.strip()
    where = source or f"{spec.name}={text}"
    if not t:
        raise SpecError(f"{where}: give LOW:HIGH or a list of values a,b,c.")
    if ":" in t and "," not in t:
        low, _, high = t.partition(":")
        return make_range(spec, low.strip(), high.strip(), source=where)
    return make_range(spec, values=[v.strip() for v in t.split(",")], source=where)


def parse_param_ranges(pairs: Iterable[str], algorithm: Algorithm, task: str) -> dict[str, ParamRange]:
    """``--param-range`` strings (``K=LOW:HIGH`` or ``K=a,b,c``) -> ranges."""
    out: dict[str, ParamRange] = {}
    for pair in pairs:
        where = f"--param-range {pair}"
        if "=" not in pair:
            raise SpecError(f"{where}: expected NAME=LOW:HIGH or NAME=a,b,c.")
        name, _, text = pair.partition("=")
        try:
            spec = algorithm.param(name.strip(), task)
        except SpecError as exc:
            raise SpecError(f"{where}: {exc}") from None
        out[spec.name] = range_from_text(spec, text, source=where)
    return out


def build_search_space(
    algorithm: Algorithm,
    task: str,
    overrides: Mapping[str, ParamRange | str] | None = None,
    *,
    include: Iterable[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> SearchSpace:
    """The search space for ``algorithm`` on ``task``.

    Parameters
    ----------
    overrides : mapping, optional
        Parameter name -> :class:`ParamRange` or its text (``LOW:HIGH`` /
        ``a,b,c``), replacing the catalog's default range.  A parameter that
        is not ``tunable`` by default may be searched this way.
    include : iterable of str, optional
        The parameters to search.  Default: the overridden ones if any were
        given, else every tunable parameter that has a default range.
    fixed : mapping, optional
        Parameters held at a value (``--param K=V``).  By default they are
        left out of the search; a parameter named in ``include`` or
        ``overrides`` is searched and dropped from the fixed ones.

    Raises
    ------
    SpecError
        Unknown parameter names, invalid ranges, or nothing left to search.
    """
    overrides = dict(overrides or {})
    fixed = dict(fixed or {})
    for name in list(overrides) + list(include or []) + list(fixed):
        algorithm.param(name, task)  # unknown names: SpecError with a suggestion
    if include is not None:
        names = list(dict.fromkeys(include))
    elif overrides:
        names = list(overrides)
    else:
        names = [p.name for p in tunable_params(algorithm, task) if p.name not in fixed]
    ranges: list[ParamRange] = []
    for name in names:
        spec = algorithm.param(name, task)
        given = overrides.get(name)
        if isinstance(given, str):
            rng = range_from_text(spec, given)
        elif isinstance(given, ParamRange):
            rng = given
        else:
            default = default_range(spec)
            if default is None:
                if include is None and not overrides:
                    continue  # default search: skip what has no sensible range
                raise SpecError(f"Parameter '{name}' has no default search range; give one (LOW:HIGH or a,b,c).")
            rng = default
        ranges.append(rng)
    if not ranges:
        raise SpecError(
            f"Nothing to search for {algorithm.key}: no tunable parameter is left. "
            "Give ranges with --param-range NAME=LOW:HIGH."
        )
    # A searched parameter is not fixed, even if the base spec had a value for
    # it (the GUI's form always holds every parameter).
    searched = {r.name for r in ranges}
    return SearchSpace(algorithm.key, task, tuple(ranges), {k: v for k, v in fixed.items() if k not in searched})


def format_value(value: Any, float_format: str = "g") -> str:
    """A parameter value as a person types it (none, true/false, 0.01)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, float_format)
    return str(value)


_text = format_value
