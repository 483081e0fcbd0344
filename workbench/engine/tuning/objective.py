"""What a hyperparameter search optimises, and how it stops hopeless trials.

The objective is one of :func:`objective_metrics` (the task's headline metric
first).  For iterative learners a trial's first fold reports its live
validation loss to optuna's MedianPruner through :class:`PruneHook`.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from workbench.engine.errors import SpecError
from workbench.engine.jobs.events import Iteration

__all__ = ["PRUNE_STARTUP_TRIALS", "PRUNE_WARMUP_STEPS", "PruneHook", "objective_metrics", "prune_settings"]

# MedianPruner: judge no trial before this many have finished, and no step
# before this one (the first rounds of boosting say little about the end).
# These are floors; prune_settings scales them to the budget: with a fixed 4
# startup trials and 10 warm-up steps, 15 random trials amounted to 4-6 real
# evaluations (the median of 4 early curves pruned nearly everything else).
PRUNE_STARTUP_TRIALS = 4
PRUNE_WARMUP_STEPS = 10
# Share of the budget that runs unpruned: trials, and iterations of each trial.
PRUNE_STARTUP_SHARE = 1 / 3
PRUNE_WARMUP_SHARE = 1 / 4
_ITERATION_PARAMS = ("n_estimators", "max_iter", "iterations")


def prune_settings(n_trials: int | None, params: dict[str, Any]) -> dict[str, int]:
    """``n_startup_trials`` and ``n_warmup_steps`` for optuna's MedianPruner.

    A third of the trials (at least ``PRUNE_STARTUP_TRIALS``; 10 for a search
    bounded by time only) complete before any is judged, and no trial is
    judged in the first quarter of its iterations (at least
    ``PRUNE_WARMUP_STEPS``), counted from the learner's ``n_estimators`` /
    ``max_iter`` in ``params``.
    """
    budget = n_trials if n_trials is not None else 30
    startup = max(PRUNE_STARTUP_TRIALS, math.ceil(budget * PRUNE_STARTUP_SHARE))
    iterations = next((int(params[n]) for n in _ITERATION_PARAMS if isinstance(params.get(n), int)), 0)
    warmup = max(PRUNE_WARMUP_STEPS, int(iterations * PRUNE_WARMUP_SHARE))
    return {"n_startup_trials": startup, "n_warmup_steps": warmup}

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
        from workbench.engine.metrics import metric_direction

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


def score_params(problem: Any, fixed: Mapping[str, Any], params: dict[str, Any], trial: Any,
                 cancel_token: Any) -> tuple[float, float | None, dict[str, Any]]:
    """Cross-validated (or holdout) objective of ``params``: (score, std, metrics).

    The one scorer of a trial, run in this process or on a cluster worker.
    ``problem`` is the search's fixed set-up (``tuning.search.Problem``: data,
    folds, metric).  ``trial`` (optuna) receives the first fold's pruning
    reports; None: no pruning.
    """
    from dataclasses import replace

    from workbench.engine.errors import TrainingError
    from workbench.engine.jobs.events import JobContext
    from workbench.engine.training import evaluation as ev
    from workbench.engine.training.job import Fitter, predict_pipeline

    p = problem
    full = p.algorithm.validate_params({**fixed, **params}, p.setup.task)
    # A pruned search needs a live validation curve even without early
    # stopping: the pruned fold's model trains on the rest of its rows.
    fitter = Fitter(p.algorithm, replace(p.setup, params=full), p.spec, p.bctx, hold_out_valid=p.prune)
    X, y = p.setup.X, p.setup.y
    fold_scores = []
    for i, (tr, va) in enumerate(p.folds):
        cancel_token.check()
        hook = PruneHook(trial, p.metric, p.direction) if p.prune and trial is not None and i == 0 else None
        pipe, _ = fitter.fit(X.iloc[tr], y[tr], JobContext(hook, cancel_token))
        pred, proba = predict_pipeline(pipe, X.iloc[va], p.setup.task)
        fold_scores.append(ev.score_predictions(p.setup.task, y[va], pred, proba, p.setup.classes))
    summary = ev.cv_summary(fold_scores)
    objective = summary.get(p.metric) or {}
    if objective.get("mean") is None:
        raise TrainingError(f"{p.metric} is undefined for this model's predictions.")
    std = objective.get("std") if len(p.folds) > 1 else None
    metrics = {k: v["mean"] for k, v in summary.items()}
    return float(objective["mean"]), std, metrics
