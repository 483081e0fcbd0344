"""XGBoost (optional dependency: ``pip install 'workbench[cpu]'`` or ``[gpu]``).

The entry always registers so front ends can show it; the factory explains
how to install XGBoost when it is missing.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, FitData, FitInfo, ParamSpec
from workbench.engine.errors import TrainingError
from workbench.engine.learners.common import (
    CLF,
    CLF_REG,
    boosting_sampling_and_penalties,
    class_weight,
    early_stopping_rounds,
    learning_rate,
    n_estimators,
)
from workbench.engine.learners.gbm_support import ERROR_RATE, newest, our_metrics
from workbench.engine.learners.iterative import Reporter, has_valid, train_sample

# XGBoost's metric names -> ours (the same names for every learner).
CLF_METRICS = {"logloss": "logloss", "mlogloss": "logloss", "error": ERROR_RATE, "merror": ERROR_RATE}
REG_METRICS = {"rmse": "rmse", "mae": "mae"}


def _import_xgboost() -> Any:
    try:
        import xgboost
    except ImportError:
        raise TrainingError(
            "XGBoost is not installed: pip install 'workbench[cpu]' (or [gpu])"
        ) from None
    return xgboost


def _xgboost(params: dict[str, Any], ctx: BuildContext) -> Any:
    xgb = _import_xgboost()
    p = dict(params)
    rounds = p.pop("early_stopping_rounds")
    p.pop("class_weight", None)  # "balanced": per-row weights in our fitter
    common = dict(
        tree_method="hist",
        device=ctx.device,
        n_jobs=ctx.n_threads,
        random_state=ctx.seed,
        early_stopping_rounds=rounds or None,
        verbosity=0,
        **p,
    )
    if ctx.task == CLF:
        if ctx.n_classes > 2:
            # Early stopping watches the LAST metric: keep the loss last.
            return xgb.XGBClassifier(objective="multi:softprob", eval_metric=["merror", "mlogloss"], **common)
        return xgb.XGBClassifier(objective="binary:logistic", eval_metric=["error", "logloss"], **common)
    return xgb.XGBRegressor(objective="reg:squarederror", eval_metric=["mae", "rmse"], **common)


def _variance(y: Any) -> float | None:
    """Population variance of a target (None when it is constant or empty)."""
    import numpy as np

    values = np.asarray(y, dtype="float64")
    var = float(np.var(values)) if values.size else 0.0
    return var if var > 0 else None


def _device_used(booster: Any) -> str:
    """The device XGBoost really trained on ('cuda' may silently fall back)."""
    try:
        config = json.loads(booster.save_config())
        device = str(config["learner"]["generic_param"]["device"])
    except (KeyError, ValueError):
        return "cpu"
    return "cuda" if device.startswith("cuda") else "cpu"


def fit_xgboost(estimator: Any, data: FitData) -> FitInfo:
    """Fit with a TrainingCallback emitting train(sample)/valid metrics per round.

    The training set is evaluated on a sample of <= 10 000 rows: evaluating
    all of it each round costs 65-100% extra (docs/findings.md).  A Cancelled
    raised in the callback propagates out of XGBoost's Python training loop.
    """
    xgb = _import_xgboost()
    total = int(estimator.get_params()["n_estimators"])
    reporter = Reporter(data, total)
    names = CLF_METRICS if data.task == CLF else REG_METRICS
    Xs, ys = train_sample(data)
    valid = has_valid(data)
    eval_set = [(Xs, ys)] + ([(data.X_valid, data.y_valid)] if valid else [])

    callback_base: Any = xgb.callback.TrainingCallback  # xgboost is imported lazily

    # Regression reports losses only; R² = 1 - MSE / Var(y) comes free from
    # the rmse XGBoost already computes, so the live Metric panel has a score.
    variances = ((_variance(ys), _variance(data.y_valid) if valid else None) if data.task != CLF
                 else (None, None))

    class LiveMetrics(callback_base):
        def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
            train = our_metrics(newest(evals_log.get("validation_0", {})), names)
            scores = our_metrics(newest(evals_log.get("validation_1", {})), names)
            for metrics, var in ((train, variances[0]), (scores, variances[1])):
                if var and "rmse" in metrics:
                    metrics["r2"] = 1.0 - metrics["rmse"] ** 2 / var
            reporter.step(epoch + 1, train, scores)
            return False

    rounds = estimator.get_params()["early_stopping_rounds"]
    requested = estimator.get_params()["device"]
    overrides: dict[str, Any] = {"callbacks": [LiveMetrics()]}
    if not valid:
        overrides["early_stopping_rounds"] = None  # would stop on the train sample
    estimator.set_params(**overrides)
    try:
        estimator.fit(data.X_train, data.y_train, eval_set=eval_set, verbose=False,
                      sample_weight=data.sample_weight)
    finally:
        # The saved model must not hold the callback (it references the job).
        # Plain attributes: XGBModel.set_params on a fitted model re-sends every
        # parameter to the booster, which rejects the eval_metric list.
        estimator.callbacks = None
        estimator.early_stopping_rounds = rounds
    booster = estimator.get_booster()
    info = FitInfo(n_iterations=int(booster.num_boosted_rounds()), device=_device_used(booster))
    if rounds and valid:
        # XGBoost's best_iteration is 0-based; ours is the 1-based step.
        info.best_iteration = int(estimator.best_iteration) + 1
    if str(requested).startswith("cuda") and info.device != "cuda":
        info.notes.append("XGBoost could not use the GPU and trained on the CPU.")
    return info


XGBOOST = Algorithm(
    key="xgboost",
    name="XGBoost",
    tasks=CLF_REG,
    description="Regularised gradient-boosted trees; usually the most accurate on tables. Can use a GPU.",
    params=(
        n_estimators(100, "boosting rounds"),
        learning_rate(0.3),
        ParamSpec(
            "max_depth", "int", 6, low=1, high=64, search_low=2, search_high=12,
            help="Deepest a tree may grow; deeper trees capture interactions but overfit sooner.",
        ),
        ParamSpec(
            "min_child_weight", "float", 1.0, low=0.0, high=1e6, log=True, search_low=0.1,
            search_high=100.0,
            help="Least total weight (hessian) a leaf needs; raise it for more conservative trees.",
        ),
        *boosting_sampling_and_penalties(1.0),
        ParamSpec(
            "gamma", "float", 0.0, low=0.0, high=1e6, search_high=5.0,
            help="Minimum loss reduction needed to split; raise it to prune weak splits.",
        ),
        class_weight(),
        early_stopping_rounds(0),
    ),
    factory=_xgboost,
    capabilities=Capabilities(iterative=True, early_stopping=True, gpu=True, onnx=True, importances=True),
    fitter=fit_xgboost,
    scale_numeric=False,
)
