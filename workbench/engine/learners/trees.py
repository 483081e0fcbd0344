"""Decision trees and randomised tree ensembles (random forest, extra trees).

Tree families take unscaled numbers (``scale_numeric=False``): scaling changes
nothing for a tree, and in float32 it moves imputed values onto split points,
which breaks ONNX parity (docs/findings.md).
"""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import (
    CLF,
    CLF_REG,
    REG,
    class_weight,
    feature_fraction,
    max_depth,
    min_samples_leaf,
    min_samples_split,
    n_estimators,
    pick,
    tree_criterion,
)
from workbench.engine.learners.iterative import fit_growing_ensemble

_TREE_CAPS = Capabilities(onnx=True, importances=True)
_FOREST_CAPS = Capabilities(iterative=True, onnx=True, importances=True)


def _decision_tree(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    return pick(ctx.task, DecisionTreeClassifier, DecisionTreeRegressor)(random_state=ctx.seed, **params)


def _random_forest(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = pick(ctx.task, RandomForestClassifier, RandomForestRegressor)
    return cls(random_state=ctx.seed, n_jobs=ctx.n_threads, **params)


def _extra_trees(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    cls = pick(ctx.task, ExtraTreesClassifier, ExtraTreesRegressor)
    return cls(random_state=ctx.seed, n_jobs=ctx.n_threads, **params)


def _forest_params(bootstrap: bool) -> tuple[ParamSpec, ...]:
    return (
        n_estimators(100),
        *tree_criterion(),
        max_depth(None),
        min_samples_split(),
        min_samples_leaf(1),
        ParamSpec(
            "max_features", "choice", "sqrt", choices=("sqrt", "log2", None), nullable=True,
            tasks=(CLF,),
            help="Features tried per split: sqrt/log2 of the total, or none = all; fewer decorrelates trees.",
        ),
        ParamSpec(
            "max_features", "choice", None, choices=("sqrt", "log2", None), nullable=True,
            tasks=(REG,),
            help="Features tried per split: none = all, sqrt/log2 of the total for more randomness.",
        ),
        ParamSpec(
            "bootstrap", "bool", bootstrap,
            help="Train each tree on a resample of the rows; adds diversity between trees.",
        ),
        ParamSpec(
            "class_weight", "choice", None, choices=(None, "balanced", "balanced_subsample"),
            tasks=(CLF,),
            help="'balanced' weights classes inversely to their frequency; use it for rare classes.",
        ),
    )


DECISION_TREE = Algorithm(
    key="decision_tree",
    name="Decision tree",
    tasks=CLF_REG,
    description="One tree of if/else rules; easy to read, overfits unless depth or leaf size is limited.",
    params=(
        *tree_criterion(),
        max_depth(None),
        min_samples_split(),
        min_samples_leaf(1),
        feature_fraction(),
        ParamSpec(
            "ccp_alpha", "float", 0.0, low=0.0, high=1e6, search_low=0.0, search_high=0.05,
            help="Cost-complexity pruning; raise it to cut back branches that add little.",
        ),
        class_weight(),
    ),
    factory=_decision_tree,
    capabilities=_TREE_CAPS,
    scale_numeric=False,
)

RANDOM_FOREST = Algorithm(
    key="random_forest",
    name="Random forest",
    tasks=CLF_REG,
    description="Many decorrelated deep trees averaged; robust with little tuning.",
    params=_forest_params(bootstrap=True),
    factory=_random_forest,
    capabilities=_FOREST_CAPS,
    fitter=fit_growing_ensemble,
    scale_numeric=False,
)

EXTRA_TREES = Algorithm(
    key="extra_trees",
    name="Extra trees",
    tasks=CLF_REG,
    description="Like a random forest with random split points; faster, often as accurate.",
    params=_forest_params(bootstrap=False),
    factory=_extra_trees,
    capabilities=_FOREST_CAPS,
    fitter=fit_growing_ensemble,
    scale_numeric=False,
)
