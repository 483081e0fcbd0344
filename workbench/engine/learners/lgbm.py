"""LightGBM (optional: ``pip install 'workbench[boosting]'``).

Live curves come from a LightGBM callback that reads each round's train
(sample) and validation metrics; early stopping is ours (the same rule as the
other learners, on the validation loss) and ends the fit by raising
LightGBM's own ``EarlyStopException``, so ``best_iteration_`` is set and
``predict`` uses the best round.  A cancel raised in the callback leaves
LightGBM's Python training loop at once.

GPU: LightGBM's pip wheel trains on a GPU through OpenCL
(``device_type="gpu"``) where a driver is present; when the run resolved to
CUDA and the GPU fit fails, the fit is repeated on the CPU and the run log
says so.  ONNX: onnxmltools' LightGBM converter (see onnx/converters.py).
"""

from __future__ import annotations

import inspect
from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, FitData, FitInfo, ParamSpec
from workbench.engine.learners.common import (
    CLF,
    CLF_REG,
    boosting_sampling_and_penalties,
    class_weight,
    early_stopping_rounds,
    learning_rate,
    n_estimators,
)
from workbench.engine.learners.gbm_support import (
    ERROR_RATE,
    fit_on_gpu_or_cpu,
    import_optional,
    our_metrics,
    remember_rounds,
    remembered_rounds,
)
from workbench.engine.learners.iterative import EarlyStopper, Reporter, has_valid, primary_loss, train_sample

# LightGBM's metric names -> ours.
_METRICS = {
    "binary_logloss": "logloss", "multi_logloss": "logloss", "binary_error": ERROR_RATE,
    "multi_error": ERROR_RATE, "rmse": "rmse", "l1": "mae",
}


def _lightgbm(params: dict[str, Any], ctx: BuildContext) -> Any:
    lgb = import_optional("lightgbm", "LightGBM")
    p = dict(params)
    p.pop("early_stopping_rounds")
    if p.get("max_depth") is None:
        p["max_depth"] = -1
    if p.get("subsample", 1.0) < 1.0:
        p["subsample_freq"] = 1  # LightGBM ignores subsample unless bagging is switched on
    common = dict(
        random_state=ctx.seed, n_jobs=ctx.n_threads, verbose=-1,
        device_type="gpu" if ctx.device == "cuda" else "cpu", **p,
    )
    if ctx.task == CLF:
        return lgb.LGBMClassifier(**common)
    common.pop("class_weight", None)
    return lgb.LGBMRegressor(**common)


def _eval_metrics(task: str, n_classes: int) -> list[str]:
    if task != CLF:
        return ["rmse", "l1"]
    return ["multi_logloss", "multi_error"] if n_classes > 2 else ["binary_logloss", "binary_error"]


def fit_lightgbm(estimator: Any, data: FitData) -> FitInfo:
    """Fit with per-round live metrics, our early stopping, cancel and GPU fallback."""
    lgb = import_optional("lightgbm", "LightGBM")
    total = int(estimator.get_params()["n_estimators"])
    reporter = Reporter(data, total)
    valid = has_valid(data)
    rounds = remembered_rounds(estimator)
    stopper = EarlyStopper(rounds if valid else 0)
    Xs, ys = train_sample(data)
    eval_set = [(Xs, ys)] + ([(data.X_valid, data.y_valid)] if valid else [])
    names = ["train"] + (["valid"] if valid else [])

    def live(env: Any) -> None:
        train, scores = (our_metrics(((metric, value) for dataset, metric, value, _higher in env.evaluation_result_list
                                      if dataset == side), _METRICS) for side in ("train", "valid"))
        step = env.iteration + 1
        reporter.step(step, train, scores)
        if scores and stopper.update(step, primary_loss(scores)) and stopper.best_step:
            # LightGBM counts rounds from 0; our steps from 1.
            raise lgb.callback.EarlyStopException(stopper.best_step - 1, [])

    # LightGBM 4.7 renamed eval_set to eval_X/eval_y (the old name warns).
    sets: dict[str, Any]
    if "eval_X" in inspect.signature(estimator.fit).parameters:
        sets = {"eval_X": tuple(x for x, _ in eval_set), "eval_y": tuple(y for _, y in eval_set)}
    else:
        sets = {"eval_set": eval_set}

    def fit(gpu: bool) -> None:
        estimator.set_params(device_type="gpu" if gpu else "cpu")
        estimator.fit(
            data.X_train, data.y_train, eval_names=names,
            eval_metric=_eval_metrics(data.task, data.n_classes), callbacks=[live], **sets,
        )

    info = FitInfo()
    fit_on_gpu_or_cpu(fit, gpu=estimator.get_params()["device_type"] == "gpu", errors=lgb.basic.LightGBMError,
                      library="LightGBM", info=info, stopper=stopper)
    booster = estimator.booster_
    info.n_iterations = int(booster.current_iteration())
    if rounds and valid and stopper.best_step is not None:
        info.best_iteration = stopper.best_step
    if info.device == "cuda":
        info.notes.append("LightGBM trained on the GPU (OpenCL device).")
    return info


def _remember_rounds(factory: Any) -> Any:
    """The factory, with early_stopping_rounds kept on the estimator for the fitter."""

    def build(params: dict[str, Any], ctx: BuildContext) -> Any:
        return remember_rounds(factory(params, ctx), params.get("early_stopping_rounds"))

    return build


LIGHTGBM = Algorithm(
    key="lightgbm",
    name="LightGBM",
    tasks=CLF_REG,
    description="Fast leaf-wise gradient-boosted trees; strong on large tables. Optional: workbench[boosting].",
    params=(
        n_estimators(100, "boosting rounds"),
        learning_rate(0.1),
        ParamSpec(
            "num_leaves", "int", 31, low=2, high=131_072, log=True, search_low=8, search_high=256,
            help="Most leaves per tree (LightGBM grows leaf by leaf); the main control of model size.",
        ),
        ParamSpec(
            "max_depth", "int", None, low=1, high=64, nullable=True, search_low=3, search_high=16,
            help="Deepest a tree may grow (none = no limit; num_leaves is the usual limit).",
        ),
        ParamSpec(
            "min_child_samples", "int", 20, low=1, high=100_000, log=True, search_low=5, search_high=200,
            help="Fewest training rows in a leaf; raise it for smoother trees on noisy data.",
        ),
        *boosting_sampling_and_penalties(0.0, "leaf values"),
        class_weight(),
        early_stopping_rounds(0),
    ),
    factory=_remember_rounds(_lightgbm),
    capabilities=Capabilities(iterative=True, early_stopping=True, gpu=True, onnx=True, importances=True),
    fitter=fit_lightgbm,
    scale_numeric=False,
)
