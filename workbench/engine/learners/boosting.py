"""scikit-learn's gradient boosting: the classic one and the histogram one."""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import (
    CLF_REG,
    REG,
    class_weight,
    early_stopping_rounds,
    feature_fraction,
    learning_rate,
    max_depth,
    min_samples_leaf,
    n_estimators,
    pick,
)
from workbench.engine.learners.iterative import fit_gradient_boosting, fit_hist_gradient_boosting

_BOOSTING_CAPS = Capabilities(iterative=True, early_stopping=True, onnx=True, importances=True)


def _gradient_boosting(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

    p = dict(params)
    rounds = p.pop("early_stopping_rounds")
    p.pop("class_weight", None)  # "balanced": per-row weights in our fitter
    # n_iter_no_change is applied by our fitter against the run's validation
    # rows (a plain fit of a clone falls back to sklearn's own split).
    cls = pick(ctx.task, GradientBoostingClassifier, GradientBoostingRegressor)
    return cls(random_state=ctx.seed, n_iter_no_change=rounds or None, **p)


def _hist_gradient_boosting(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    p = dict(params)
    rounds = p.pop("early_stopping_rounds")
    cls = pick(ctx.task, HistGradientBoostingClassifier, HistGradientBoostingRegressor)
    # Threads: HistGradientBoosting uses OpenMP, capped by the executor
    # (threadpoolctl) from BuildContext.n_threads; it has no n_jobs.
    return cls(
        random_state=ctx.seed,
        early_stopping=rounds > 0,
        n_iter_no_change=rounds or 10,
        categorical_features=None,  # categoricals arrive one-hot/ordinal encoded
        **p,
    )


GRADIENT_BOOSTING = Algorithm(
    key="gradient_boosting",
    name="Gradient boosting",
    tasks=CLF_REG,
    description="Shallow trees added one by one to fix the previous errors; accurate, slower than histogram boosting.",
    params=(
        n_estimators(100, "boosting stages"),
        learning_rate(0.1),
        max_depth(3, high=100, search_high=10),
        min_samples_leaf(1),
        ParamSpec(
            "subsample", "float", 1.0, low=0.01, high=1.0, search_low=0.3,
            help="Fraction of rows each stage sees; below 1 adds randomness that often generalises better.",
        ),
        feature_fraction(),
        ParamSpec(
            "loss", "choice", "squared_error", choices=("squared_error", "absolute_error", "huber", "quantile"),
            tasks=(REG,), tunable=False,
            help="Error minimised; absolute_error and huber resist outliers, quantile predicts a percentile.",
        ),
        class_weight(),
        early_stopping_rounds(0),
    ),
    factory=_gradient_boosting,
    capabilities=_BOOSTING_CAPS,
    fitter=fit_gradient_boosting,
    scale_numeric=False,
)

HIST_GRADIENT_BOOSTING = Algorithm(
    key="hist_gradient_boosting",
    name="Histogram gradient boosting",
    tasks=CLF_REG,
    description="Fast gradient boosting on binned features (LightGBM-style); handles missing values natively.",
    params=(
        ParamSpec(
            "max_iter", "int", 100, low=1, high=100_000, log=True, search_low=50, search_high=1000,
            help="Number of boosting iterations (trees per class); more fits closer, pair with a lower learning rate.",
        ),
        learning_rate(0.1),
        ParamSpec(
            "max_leaf_nodes", "int", 31, low=2, high=100_000, log=True, nullable=True,
            search_low=7, search_high=255,
            help="Most leaves per tree (none = no limit); the main knob for tree complexity.",
        ),
        max_depth(None, search_high=15),
        min_samples_leaf(20),
        ParamSpec(
            "l2_regularization", "float", 0.0, low=0.0, high=1e6, log=True, search_low=1e-4,
            search_high=10.0,
            help="L2 penalty on leaf values; raise it to tame overfitting on noisy data.",
        ),
        feature_fraction(),
        ParamSpec(
            "max_bins", "int", 255, low=2, high=255, search_low=32, tunable=False,
            help="Bins per feature; fewer bins are faster and regularise a little.",
        ),
        ParamSpec(
            "loss", "choice", "squared_error", choices=("squared_error", "absolute_error", "poisson", "gamma"),
            tasks=(REG,), tunable=False,
            help="Error minimised; poisson/gamma suit positive counts/amounts, absolute_error resists outliers.",
        ),
        class_weight(),
        early_stopping_rounds(0),
    ),
    factory=_hist_gradient_boosting,
    # No feature_importances_ in scikit-learn: permutation importance.
    capabilities=Capabilities(iterative=True, early_stopping=True, onnx=True, importances=False),
    fitter=fit_hist_gradient_boosting,
    scale_numeric=False,
)
