"""The typed event stream every job reports through, and its cancel token.

A job never knows who listens: it calls methods on a :class:`JobContext`,
which turns them into :class:`Event` objects and hands them to one ``emit``
callable.  The inline executor passes a plain callback, the GUI's QThread
worker turns events into Qt signals, a process executor puts them on a queue.
Events are plain dataclasses that round-trip through ``to_dict``/``from_dict``
(JSON-safe), so the same stream is written to ``events.jsonl`` and crosses
process boundaries unchanged.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, ClassVar

from workbench.engine.errors import Cancelled

__all__ = [
    "Event",
    "Progress",
    "Iteration",
    "Log",
    "Result",
    "Failure",
    "ResourceSample",
    "Trial",
    "CompareRow",
    "event_from_dict",
    "CancelToken",
    "JobContext",
]


@dataclass(frozen=True)
class Event:
    """Base of all events. ``t`` is the wall-clock time (``time.time()``)."""

    kind: ClassVar[str] = "event"
    t: float = field(default_factory=time.time, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = self.kind
        return d


@dataclass(frozen=True)
class Progress(Event):
    """Fraction done in [0, 1] and a short human message ("fold 2/5")."""

    kind: ClassVar[str] = "progress"
    fraction: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class Iteration(Event):
    """Metrics after one iteration (boosting round, epoch, trees added...).

    ``train`` and ``valid`` map a metric name (``"logloss"``, ``"rmse"``,
    ``"accuracy"``...) to its value on the training rows (possibly a sample of
    them) and on the validation rows.  ``step`` is the 1-based iteration count
    (number of rounds / epochs / trees so far).
    """

    kind: ClassVar[str] = "iteration"
    step: int = 0
    train: dict[str, float] = field(default_factory=dict)
    valid: dict[str, float] = field(default_factory=dict)
    # Steps planned for this fit (0: not known).  A live plot sets its x axis
    # once from it: an axis that grows with the steps re-ticks on the GUI
    # thread at every growth.
    total: int = 0


@dataclass(frozen=True)
class Log(Event):
    """A line for the run log. ``level`` is ``info``, ``warning`` or ``error``."""

    kind: ClassVar[str] = "log"
    level: str = "info"
    message: str = ""


@dataclass(frozen=True)
class Result(Event):
    """The job's final, JSON-safe summary (e.g. run id, status, metrics)."""

    kind: ClassVar[str] = "result"
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure(Event):
    """The job failed. ``message`` is for a person; ``traceback`` for a log."""

    kind: ClassVar[str] = "failure"
    message: str = ""
    error_type: str = ""
    traceback: str = ""


@dataclass(frozen=True)
class ResourceSample(Event):
    """CPU %, resident memory and (when present) GPU use of a running job."""

    kind: ClassVar[str] = "resources"
    cpu_percent: float = 0.0
    rss_mb: float = 0.0
    gpu_percent: float | None = None
    gpu_mem_mb: float | None = None


@dataclass(frozen=True)
class Trial(Event):
    """One finished trial of a hyperparameter search (tuning plots it live).

    ``params`` are the searched parameters of this trial; ``score`` is the
    objective (CV mean, or the holdout score) and ``score_std`` its spread
    over the folds; both are ``None`` for a pruned or failed trial.
    ``state`` is ``complete``, ``pruned`` or ``failed``; ``best_score`` is the
    best objective of the search so far (including this trial).
    """

    kind: ClassVar[str] = "trial"
    number: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    score_std: float | None = None
    state: str = "complete"
    duration_s: float = 0.0
    best_score: float | None = None


@dataclass(frozen=True)
class CompareRow(Event):
    """One algorithm of a comparison has finished (the table fills live).

    ``score``/``std`` are the chosen metric's mean and spread over the CV
    folds (or the holdout score, ``std`` None, without CV); ``fold_scores``
    feed the paired test against the best row.  ``status`` is the run's:
    ``completed``, ``failed`` or ``cancelled`` (score None unless completed).
    """

    kind: ClassVar[str] = "compare_row"
    algorithm: str = ""
    run_id: str | None = None
    status: str = "completed"
    score: float | None = None
    std: float | None = None
    fold_scores: list[float | None] = field(default_factory=list)
    fit_s: float | None = None
    message: str = ""


_EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls for cls in (Progress, Iteration, Log, Result, Failure, ResourceSample, Trial, CompareRow)
}


def event_from_dict(d: dict[str, Any]) -> Event:
    """Rebuild an event written by :meth:`Event.to_dict`."""
    d = dict(d)
    cls = _EVENT_TYPES[d.pop("kind")]
    return cls(**d)


class CancelToken:
    """A thread-safe flag a front end sets and a job polls.

    ``check()`` raises :class:`Cancelled`; jobs call it at every iteration,
    fold and trial.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


Emit = Callable[[Event], None]


class JobContext:
    """What a running job reports through and polls for cancellation.

    Progress is coalesced at the source (at most one event per
    ``min_interval`` seconds, except the first and the final 1.0) so a fast
    loop cannot flood a GUI or a log.  ``sub(lo, hi)`` gives a child context
    whose progress 0..1 maps into ``lo..hi`` of this one (Orange's
    ``wrap_callback``), e.g. one slice per cross-validation fold.
    """

    def __init__(
        self,
        emit: Emit | None = None,
        cancel: CancelToken | None = None,
        *,
        min_interval: float = 0.1,
        _span: tuple[float, float] = (0.0, 1.0),
        _parent: "JobContext | None" = None,
    ) -> None:
        self._emit = emit or (lambda event: None)
        self.cancel_token = cancel or CancelToken()
        self._min_interval = min_interval
        self._span = _span
        self._root: JobContext = _parent._root if _parent is not None else self
        self._last_progress_t = 0.0
        self._last_fraction = -1.0

    # -- reporting -----------------------------------------------------
    def emit(self, event: Event) -> None:
        self._root._emit(event)

    def progress(self, fraction: float, message: str = "") -> None:
        lo, hi = self._span
        overall = lo + (hi - lo) * min(max(float(fraction), 0.0), 1.0)
        root = self._root
        now = time.monotonic()
        final = overall >= 1.0
        if (
            not final
            and root._last_fraction >= 0
            and now - root._last_progress_t < root._min_interval
        ):
            return
        root._last_progress_t = now
        root._last_fraction = overall
        self.emit(Progress(fraction=overall, message=message))

    def iteration(
        self, step: int, train: dict[str, float] | None = None, valid: dict[str, float] | None = None,
        total: int = 0,
    ) -> None:
        self.emit(
            Iteration(
                step=int(step),
                train={k: float(v) for k, v in (train or {}).items()},
                valid={k: float(v) for k, v in (valid or {}).items()},
                total=max(int(total), 0),
            )
        )

    def log(self, message: str, level: str = "info") -> None:
        self.emit(Log(level=level, message=message))

    def warn(self, message: str) -> None:
        self.log(message, level="warning")

    # -- cancellation --------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self.cancel_token.cancelled

    def check(self) -> None:
        """Raise :class:`Cancelled` if the user asked to stop."""
        self.cancel_token.check()

    # -- nesting -------------------------------------------------------
    def sub(self, lo: float, hi: float) -> "JobContext":
        a, b = self._span
        return JobContext(
            self._emit,
            self.cancel_token,
            min_interval=self._min_interval,
            _span=(a + (b - a) * lo, a + (b - a) * hi),
            _parent=self,
        )
