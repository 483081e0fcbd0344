"""CatBoost (optional: ``pip install 'workbench[boosting]'``).

Live curves come from a CatBoost ``after_iteration`` callback: CatBoost
computes the train metrics on the whole training set and the validation
metrics on our validation rows itself.  CatBoost wraps any exception raised
in a callback into its own error, so a cancel or our early stopping ends the
fit by returning False from the callback; a cancel is re-raised after the
fit returns, and an early stop shrinks the model to its best iteration.

GPU: ``task_type="GPU"`` when the run resolved to CUDA; a failing GPU fit is
repeated on the CPU and said so.  ONNX: CatBoost's own ONNX export of the
trees, inlined into the graph after our preparation (onnx/converters.py).
(The module is not called ``catboost``: it would shadow the library.)
"""

from __future__ import annotations

from typing import Any

from workbench.engine.errors import Cancelled
from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, FitData, FitInfo, ParamSpec
from workbench.engine.learners.common import CLF, CLF_REG, class_weight, early_stopping_rounds, learning_rate
from workbench.engine.learners.gbm_support import (
    fit_on_gpu_or_cpu,
    import_optional,
    newest,
    our_metrics,
    remember_rounds,
    remembered_rounds,
)
from workbench.engine.learners.iterative import EarlyStopper, Reporter, has_valid, primary_loss

# CatBoost's metric names -> ours.
_METRICS = {"Logloss": "logloss", "MultiClass": "logloss", "Accuracy": "accuracy", "RMSE": "rmse", "MAE": "mae"}


def _catboost(params: dict[str, Any], ctx: BuildContext) -> Any:
    cb = import_optional("catboost", "CatBoost")
    p = dict(params)
    rounds = p.pop("early_stopping_rounds")
    weights = p.pop("class_weight", None)
    common = dict(
        random_seed=ctx.seed, thread_count=ctx.n_threads, verbose=0, allow_writing_files=False,
        task_type="GPU" if ctx.device == "cuda" else "CPU",
        # Our early stopping decides the best iteration (and shrinks to it);
        # CatBoost's own would silently cut the model to its best validation
        # round even with early stopping off.
        use_best_model=False, **p,
    )
    if ctx.task == CLF:
        from workbench.engine.learners.catboost_model import FlatCatBoostClassifier

        model = FlatCatBoostClassifier(
            loss_function="MultiClass" if ctx.n_classes > 2 else "Logloss", custom_metric=["Accuracy"],
            auto_class_weights="Balanced" if weights == "balanced" else None, **common,
        )
    else:
        model = cb.CatBoostRegressor(loss_function="RMSE", custom_metric=["MAE"], **common)
    return remember_rounds(model, rounds)


def _ours(history: dict[str, list[float]]) -> dict[str, float]:
    # CatBoost names a metric with its options ("MultiClass:use_weights=false").
    return our_metrics(((name.split(":")[0], value) for name, value in newest(history)), _METRICS)


def fit_catboost(estimator: Any, data: FitData) -> FitInfo:
    """Fit with per-iteration live metrics, our early stopping, cancel and GPU fallback."""
    cb = import_optional("catboost", "CatBoost")
    total = int(estimator.get_params()["iterations"])
    reporter = Reporter(data, total)
    valid = has_valid(data)
    rounds = remembered_rounds(estimator)
    stopper = EarlyStopper(rounds if valid else 0)
    stopped: list[BaseException] = []

    class Live:
        def after_iteration(self, info: Any) -> bool:
            try:
                train = _ours(info.metrics.get("learn", {}))
                scores = _ours(info.metrics.get("validation", {}))
                reporter.step(info.iteration, train, scores)
            except BaseException as exc:  # Cancelled: CatBoost would wrap it
                stopped.append(exc)
                return False
            return not (scores and stopper.update(info.iteration, primary_loss(scores)))

    def fit(gpu: bool) -> None:
        estimator.set_params(task_type="GPU" if gpu else "CPU")
        kwargs: dict[str, Any] = {"callbacks": [Live()]}
        if valid:
            kwargs["eval_set"] = (data.X_valid, data.y_valid)
        estimator.fit(data.X_train, data.y_train, **kwargs)

    info = FitInfo()
    fit_on_gpu_or_cpu(fit, gpu=estimator.get_params()["task_type"] == "GPU", errors=cb.CatBoostError,
                      library="CatBoost", info=info, stopper=stopper, may_retry=lambda: not stopped)
    if stopped:
        raise stopped[0] if isinstance(stopped[0], Cancelled) else stopped[0]
    if rounds and valid and stopper.best_step is not None and stopper.best_step < estimator.tree_count_:
        estimator.shrink(ntree_end=stopper.best_step)
        info.best_iteration = stopper.best_step
    info.n_iterations = int(estimator.tree_count_)
    return info


CATBOOST = Algorithm(
    key="catboost",
    name="CatBoost",
    tasks=CLF_REG,
    description="Gradient boosting on symmetric trees; robust defaults, little tuning needed. "
    "Optional: workbench[boosting].",
    params=(
        ParamSpec(
            "iterations", "int", 500, low=1, high=100_000, log=True, search_low=50, search_high=2000,
            help="Number of boosting rounds (trees).",
        ),
        learning_rate(0.08),
        ParamSpec(
            "depth", "int", 6, low=1, high=16, search_low=3, search_high=10,
            help="Depth of every (symmetric) tree; 4-10 is usual.",
        ),
        ParamSpec(
            "l2_leaf_reg", "float", 3.0, low=0.0, high=1e6, log=True, search_low=0.1, search_high=30.0,
            help="L2 penalty on leaf values; raise it to regularise.",
        ),
        ParamSpec(
            "random_strength", "float", 1.0, low=0.0, high=100.0, search_high=10.0,
            help="Noise added to split scores; more randomness against overfitting.",
        ),
        ParamSpec(
            "border_count", "int", 254, low=1, high=65_535, tunable=False,
            help="Bins per numeric feature; fewer is faster, more is finer.",
        ),
        class_weight(),
        early_stopping_rounds(0),
    ),
    factory=_catboost,
    capabilities=Capabilities(iterative=True, early_stopping=True, gpu=True, onnx=True, importances=True),
    fitter=fit_catboost,
    scale_numeric=False,
)
