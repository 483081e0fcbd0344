"""The metric registry: every metric the workbench reports, in one table.

For each metric: its name as results and events carry it, whether lower or
higher is better, whether it is a *loss* (drawn on the live view's loss
plot) or a *score*, and the name a person reads.  Run lists, the
leaderboard, tuning objectives, comparisons, the Results view and the live
training view all ask here; none keeps its own list of "which metrics are
losses".  Nothing here imports scikit-learn (front ends import it at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["min", "max"]

# Prefixes results and Iteration events put before a metric's name.
PREFIXES = ("valid_", "train_", "cv_", "test_")


@dataclass(frozen=True)
class Metric:
    """One metric. ``loss`` metrics are minimised; ``score`` metrics maximised."""

    name: str
    display: str
    kind: Literal["loss", "score"]

    @property
    def direction(self) -> Direction:
        return "min" if self.kind == "loss" else "max"


def _losses(*rows: tuple[str, str]) -> list[Metric]:
    return [Metric(name, display, "loss") for name, display in rows]


def _scores(*rows: tuple[str, str]) -> list[Metric]:
    return [Metric(name, display, "score") for name, display in rows]


_TABLE: list[Metric] = [
    # classification (training/evaluation.py)
    *_scores(
        ("accuracy", "Accuracy"), ("balanced_accuracy", "Balanced accuracy"),
        ("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"),
        ("precision_macro", "Precision (macro)"), ("recall_macro", "Recall (macro)"), ("f1_macro", "F1 (macro)"),
        ("precision_weighted", "Precision (weighted)"), ("recall_weighted", "Recall (weighted)"),
        ("f1_weighted", "F1 (weighted)"), ("roc_auc", "ROC AUC"),
    ),
    *_losses(("log_loss", "Log loss")),
    # regression
    *_scores(("r2", "R²")),
    *_losses(
        ("rmse", "RMSE"), ("mse", "MSE"), ("mae", "MAE"), ("median_ae", "Median absolute error"),
        ("mape", "MAPE"), ("rmsle", "RMSLE"),
    ),
    # clustering
    *_scores(("silhouette", "Silhouette"), ("calinski_harabasz", "Calinski-Harabasz")),
    *_losses(("davies_bouldin", "Davies-Bouldin"), ("inertia", "Inertia")),
    # names the live curves carry (our fitters, XGBoost, LightGBM, CatBoost); the
    # log losses before a fitter's own "loss" (see preferred_loss)
    *_losses(
        ("logloss", "Log loss"), ("mlogloss", "Log loss"), ("multi_logloss", "Log loss"),
        ("binary_logloss", "Log loss"), ("loss", "Loss"), ("error", "Error rate"), ("merror", "Error rate"),
        ("multi_error", "Error rate"), ("huber", "Huber loss"), ("deviance", "Deviance"), ("mphe", "Pseudo-Huber"),
        ("l1", "MAE"), ("l2", "MSE"),
        ("poisson-nloglik", "Poisson neg. log-likelihood"), ("gamma-nloglik", "Gamma neg. log-likelihood"),
        ("cox-nloglik", "Cox neg. log-likelihood"), ("tweedie-nloglik", "Tweedie neg. log-likelihood"),
    ),
    *_scores(("auc", "AUC"), ("aucpr", "PR AUC")),
]
METRICS: dict[str, Metric] = {m.name: m for m in _TABLE}

# The one metric run lists, the leaderboard, tuning and comparisons sort by.
HEADLINE: dict[str, str] = {"classification": "accuracy", "regression": "r2", "clustering": "silhouette"}


def base_name(name: str) -> str:
    """``valid_logloss`` -> ``logloss``; XGBoost's ``error@0.7`` -> ``error``."""
    key = name.strip().lower()
    for prefix in PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key.split("@", 1)[0]


def metric(name: str) -> Metric:
    """The registry's entry for ``name`` (prefixes ignored).

    A name the table does not list is a loss if it ends in ``loss`` or
    ``error`` (library eval-metric names such as ``multi_logloss``), else a
    score, shown as written.
    """
    key = base_name(name)
    found = METRICS.get(key)
    if found is not None:
        return found
    kind: Literal["loss", "score"] = "loss" if key.endswith(("loss", "error")) else "score"
    return Metric(key, name, kind)


def metric_direction(name: str) -> Direction:
    """``"min"`` if a lower value of metric ``name`` is better, else ``"max"``."""
    return metric(name).direction


def is_loss(name: str) -> bool:
    """Whether ``name`` is minimised (the live view draws it on the loss plot)."""
    return metric(name).kind == "loss"


def metric_display_name(name: str) -> str:
    """What a person reads for ``name`` (``log_loss`` -> ``Log loss``)."""
    return metric(name).display


# The table's order ranks the losses when one curve must stand for a run.
_ORDER = {m.name: i for i, m in enumerate(_TABLE)}


def preferred_loss(names: Iterable[str]) -> str | None:
    """The loss among a run's per-iteration curve ``names`` that stands for the run.

    The first in this table's order (log loss, RMSE, MSE, ... then the
    library curve names), a loss the table does not know after those; None
    when no name is a loss.  The best iteration is where it is lowest, and
    the runs' side-by-side plot draws it.
    """
    losses = sorted(n for n in names if is_loss(n))
    return min(losses, key=lambda n: _ORDER.get(base_name(n), len(_ORDER))) if losses else None


def headline_metric(task: str) -> str:
    """The one metric run lists, the leaderboard and tuning sort by."""
    try:
        return HEADLINE[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}") from None


def headline_of(task: str | None, metrics: dict[str, Any], recorded: str | None = None) -> tuple[str, float] | None:
    """The (name, value) a run is listed by: the metric it recorded as its
    headline, else its task's (``HEADLINE``), else a validation score or loss
    (a run cancelled mid-fit has only its live curves' last values), else the
    first number it has.  None when it has no number at all.

    The CLI's ``runs`` and the window's project tree both list runs by it.
    """
    def number(name: str | None) -> float | None:
        value = metrics.get(name) if name else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return None  # absent, not a number, or NaN
        return float(value)

    for name in (recorded, HEADLINE.get(task or "")):
        value = number(name)
        if name and value is not None:
            return name, value
    names = sorted(k for k in metrics if k.startswith("valid_")) + list(metrics)
    for name in names:
        value = number(name)
        if value is not None:
            return name, value
    return None
