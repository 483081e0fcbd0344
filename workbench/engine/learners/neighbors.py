"""k-nearest neighbours."""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import CLF_REG, pick


def _knn(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    return pick(ctx.task, KNeighborsClassifier, KNeighborsRegressor)(n_jobs=ctx.n_threads, **params)


KNN = Algorithm(
    key="knn",
    name="k-nearest neighbours",
    tasks=CLF_REG,
    description="Predicts from the most similar training rows; needs scaled features, slow to predict on big data.",
    params=(
        ParamSpec(
            "n_neighbors", "int", 5, low=1, high=10_000, log=True, search_low=1, search_high=100,
            at_most="fit_rows",
            help="How many neighbours vote; more gives smoother, less noisy predictions.",
        ),
        ParamSpec(
            "weights", "choice", "uniform", choices=("uniform", "distance"),
            help="'distance' lets closer neighbours count more than far ones.",
        ),
        ParamSpec(
            "p", "int", 2, low=1, high=10, search_high=3,
            help="Minkowski distance power: 2 = Euclidean, 1 = Manhattan (more robust to outliers).",
        ),
        ParamSpec(
            "algorithm", "choice", "auto", choices=("auto", "ball_tree", "kd_tree", "brute"),
            tunable=False,
            help="Neighbour search structure; only speed changes, 'auto' picks one for you.",
        ),
    ),
    factory=_knn,
    capabilities=Capabilities(onnx=True, importances=False),
)
