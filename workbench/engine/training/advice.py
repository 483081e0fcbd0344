"""What a run says before and around the fit: cost estimates, library warnings, columns used.

* :func:`route_warnings` sends Python warnings raised during a fit
  (scikit-learn's ConvergenceWarning, "X does not have valid feature
  names"...) into the run log instead of the terminal: 19 of 131 sweep runs
  printed raw library warnings to stderr, where a GUI user never sees them.
* :func:`cost_warning` estimates a kernel SVM's or a stacking ensemble's fit
  time before it starts (kernel methods grow with rows squared: a 54k-row
  diamonds SVM ran past 10 minutes) and names faster choices.
* :func:`clustering_columns_note` says which columns a clustering used, so a
  label column that slipped in is visible.
"""

from __future__ import annotations

import contextlib
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext

# Kernel SVC/SVR seconds per row² (libsvm, ~10 features, one core): 10 000
# rows took 3-5 s on the project's machines.  An estimate to within a factor
# of ~3, enough to tell seconds from many minutes.
KERNEL_SECONDS_PER_ROW2 = 4e-8
# Calibrated probabilities (probability=true) fit 5 cross-validation SVMs on
# 4/5 of the rows and one on all: 1 + 5 x 0.64 ~ 4 x one fit.
CALIBRATION_FACTOR = 4.2
# Warn when the estimate exceeds this (seconds).
SLOW_FIT_SECONDS = 60.0
# Stacking refits its members cv + 1 times; warn above this many rows.
STACKING_WARN_ROWS = 20_000


@contextlib.contextmanager
def route_warnings(ctx: "JobContext") -> Iterator[None]:
    """Log each distinct warning raised inside the block once, as a run-log warning.

    Repeats of the same message are counted and reported when the block
    ends.  (``warnings.catch_warnings`` is process-wide: a fit running in
    another thread meanwhile routes its warnings here too, which is still
    better than stderr.)
    """
    seen: Counter[str] = Counter()

    def show(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        text = f"{category.__name__}: {str(message).strip()}"
        seen[text] += 1
        if seen[text] == 1:
            ctx.warn(f"Library warning: {text}")

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        warnings.showwarning = show
        try:
            yield
        finally:
            for text, n in seen.items():
                if n > 1:
                    ctx.log(f"(the library warning '{text[:80]}' repeated {n} times in all)")


def estimated_fit_seconds(algorithm_key: str, params: dict[str, Any], n_rows: int) -> float | None:
    """Rough fit time of a kernel SVM on ``n_rows`` rows, or None for other learners."""
    if algorithm_key != "svm" or params.get("kernel") == "linear":
        return None
    seconds = KERNEL_SECONDS_PER_ROW2 * float(n_rows) ** 2
    if params.get("probability"):
        seconds *= CALIBRATION_FACTOR
    return seconds


def cost_warning(algorithm_key: str, params: dict[str, Any], n_rows: int, task: str, folds: int = 0) -> str | None:
    """A warning with the estimated cost and faster choices, or None when the fit is cheap."""
    fits = 1 + folds
    seconds = estimated_fit_seconds(algorithm_key, params, n_rows)
    if seconds is not None and seconds * fits > SLOW_FIT_SECONDS:
        faster = (
            "logistic_regression or sgd (linear)" if task == "classification" else "ridge or sgd (linear)"
        )
        return (
            f"A kernel SVM on {n_rows:,} rows is estimated to take about {_duration(seconds * fits)}"
            + (f" ({fits} fits with cross-validation)" if folds else "")
            + " (its cost grows with rows squared). Faster: kernel=linear, " + faster + ", or a tree model "
            "(hist_gradient_boosting)"
            + (", or probability=false to skip 5 calibration fits" if params.get("probability") else "")
            + "."
        )
    if algorithm_key == "stacking" and n_rows > STACKING_WARN_ROWS:
        cv = int(params.get("cv", 5))
        return (
            f"Stacking on {n_rows:,} rows fits each of its 3 members {cv + 1} times (cv={cv} plus the final fit)"
            + (f", and again in each of {folds} cross-validation folds" if folds else "")
            + f": expect roughly {cv + 1}x the time of a random forest plus a boosting model on these rows. "
            "Lower cv (2 or 3) or n_estimators to cut it."
        )
    return None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def clustering_columns_note(features: list[Any], spec: Any) -> tuple[str, bool]:
    """The columns a clustering uses, and whether to warn (a label may be among them).

    Without ``--target`` or ``--ignore`` every column is a feature, so a
    class column that should be the answer silently shapes the clusters.
    """
    names = [f.name for f in features]
    text = f"Clustering on {len(names)} column(s): {', '.join(names)}."
    chose = bool(spec.target or spec.ignore or spec.features)
    categorical = [f.name for f in features if f.value_kind in ("categorical", "boolean")]
    if chose or not categorical:
        return text, False
    return (
        text + f" Category column(s) {', '.join(categorical)} are among them: if one is a label you want the "
        "clusters to find (or to explain), leave it out with --ignore (or --target) so it does not shape them.",
        True,
    )
