"""What a hyperparameter search optimises, and how it stops hopeless trials.

The objective is one of :func:`objective_metrics` (the task's headline metric
first).  For iterative learners a trial's first fold reports its live
validation loss to optuna's MedianPruner through :class:`PruneHook`.
"""

from __future__ import annotations

import math
from typing import Any

from workbench.engine.errors import SpecError
from workbench.engine.jobs.events import Iteration

__all__ = ["PRUNE_STARTUP_TRIALS", "PRUNE_WARMUP_STEPS", "PruneHook", "objective_metrics"]

# MedianPruner: judge no trial before this many have finished, and no step
# before this one (the first rounds of boosting say little about the end).
PRUNE_STARTUP_TRIALS = 4
PRUNE_WARMUP_STEPS = 10

# Metrics a search can optimise (keys of evaluation.score_predictions).
_OBJECTIVE_METRICS = {
    "classification": (
        "accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro",
        "recall_macro", "roc_auc", "log_loss", "f1", "precision", "recall",
    ),
    "regression": ("r2", "rmse", "mae", "mse", "median_ae", "mape"),
}
# Names the live Iteration events use for the same quantity.
_ITERATION_ALIASES = {"log_loss": ("logloss", "mlogloss")}


def objective_metrics(task: str) -> tuple[str, ...]:
    """Metrics a search on ``task`` may optimise, headline metric first."""
    try:
        return _OBJECTIVE_METRICS[task]
    except KeyError:
        raise SpecError(f"Tuning supports classification and regression, not {task}.") from None


class PruneHook:
    """The emit callable of a trial's first fold: reports and maybe prunes.

    Raises ``optuna.TrialPruned`` from inside the learner's iteration
    callback, which stops the fit the same way a cancel does.
    """

    def __init__(self, trial: Any, metric: str, direction: str) -> None:
        self.trial = trial
        self.metric = metric
        self.direction = direction

    def _value(self, valid: dict[str, float]) -> float | None:
        # The live validation loss (logloss, rmse) first: on the small
        # validation slice it is far smoother than accuracy, so a trial is not
        # pruned for one unlucky row.  It is turned to the study's direction
        # (negated when the study maximises) so that "better" agrees with it.
        from workbench.engine.training.evaluation import metric_direction

        for name, value in valid.items():
            if value is not None and metric_direction(name) == "min":
                return -float(value) if self.direction == "max" else float(value)
        for name in (self.metric, *_ITERATION_ALIASES.get(self.metric, ())):
            if valid.get(name) is not None:
                return float(valid[name])
        return None

    def __call__(self, event: Any) -> None:
        if not isinstance(event, Iteration) or not event.valid:
            return
        value = self._value(event.valid)
        if value is None or not math.isfinite(value):
            return
        import optuna

        self.trial.report(value, event.step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at iteration {event.step}")
