"""The live view's data side: growable series, axis ranges that change in steps, and
whether a job's algorithm reports iterations.

No Qt here: the live view (``live_view.py``) appends events to these buffers
and asks :func:`grown_range` whether an axis must move, because every range
change re-ticks pyqtgraph's axes on the GUI thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class SeriesBuffer:
    """Growable (x, y) arrays: amortised O(1) append, a view for plotting."""

    def __init__(self, capacity: int = 256) -> None:
        self.x = np.empty(capacity, dtype=float)
        self.y = np.empty(capacity, dtype=float)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.concatenate([self.x, np.empty_like(self.x)])
            self.y = np.concatenate([self.y, np.empty_like(self.y)])
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]


def grown_range(lo: float, hi: float, current: tuple[float, float] | None, *,
                shrink: float = 0.25, margin: float = 0.05, growth: float = 0.0) -> tuple[float, float] | None:
    """A new axis range for data spanning ``lo..hi``, or None to keep ``current``.

    Keeps ``current`` while it holds the data and the data fill at least
    ``shrink`` of it.  Otherwise returns the data range plus ``margin`` of its
    span on each side, and ``growth`` of it more on a side the data crossed
    (room for a curve still moving that way, so it does not leave the range
    again at the next refresh).  Data that are all >= 0 never get a negative
    range.
    """
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    span = hi - lo
    if current is not None:
        c_lo, c_hi = current
        c_span = c_hi - c_lo
        if c_lo <= lo and hi <= c_hi and (c_span <= 0 or span >= shrink * c_span):
            return None
    base = span if span > 0 else max(abs(hi) * 0.1, 1e-3)
    below = margin + (growth if current is not None and lo < current[0] else 0.0)
    above = margin + (growth if current is not None and hi > current[1] else 0.0)
    new_lo, new_hi = lo - below * base, hi + above * base
    if lo >= 0:
        new_lo = max(new_lo, 0.0)
    return new_lo, new_hi


def live_anchors(panel: str, lo: float, hi: float) -> tuple[float, float]:
    """The span a followed run's axis shows for data in ``lo..hi`` of a ``panel`` ("loss" or "metric").

    A loss falls towards 0 and a score rises towards 1: a range that already
    reaches there holds the whole run, so the axes (whose re-ticking is the
    costly part of a live refresh) are set once instead of following the curve.
    """
    if panel == "loss" and lo >= 0:
        return 0.0, hi
    if panel == "metric" and hi <= 1:
        return lo, 1.0
    return lo, hi


def algorithm_iterative(key: str | None) -> bool:
    from workbench.engine import WorkbenchError, get_algorithm

    if not key:
        return False
    try:
        return bool(get_algorithm(key).capabilities.iterative)
    except WorkbenchError:
        return False


def is_iterative(job: Any) -> bool:
    """Whether a training job's algorithm reports iterations (else: one opaque fit)."""
    spec = getattr(job, "spec", None)
    return algorithm_iterative(getattr(spec, "algorithm", None))
