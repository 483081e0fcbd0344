"""Meta-ensembles: bagging of trees, voting and stacking of fixed members.

Voting and stacking mix linear models with trees.  Trees must see unscaled
numbers (ONNX parity, docs/findings.md), so these entries do not scale numeric
columns; the linear members carry their own StandardScaler instead.
"""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import CLF, CLF_REG, REG, class_weight, max_depth, n_estimators, pick, shuffled_folds
from workbench.engine.learners.iterative import fit_growing_ensemble


def _bagging(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.ensemble import BaggingClassifier, BaggingRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    p = dict(params)
    p.pop("class_weight", None)  # "balanced": per-row weights in our fitter
    tree = pick(ctx.task, DecisionTreeClassifier, DecisionTreeRegressor)(
        max_depth=p.pop("max_depth"), random_state=ctx.seed
    )
    cls = pick(ctx.task, BaggingClassifier, BaggingRegressor)
    return cls(tree, random_state=ctx.seed, n_jobs=ctx.n_threads, **p)


def _members(params: dict[str, Any], ctx: BuildContext) -> list[tuple[str, Any]]:
    """The fixed trio: a scaled linear model, a random forest, histogram boosting."""
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = ctx.task == CLF
    # "Balance classes" reaches every member as its own class_weight.
    weights = {"class_weight": params["class_weight"]} if clf and params.get("class_weight") else {}
    linear = LogisticRegression(max_iter=1000, **weights) if clf else Ridge()
    forest = pick(ctx.task, RandomForestClassifier, RandomForestRegressor)(
        n_estimators=params["n_estimators"], random_state=ctx.seed, n_jobs=ctx.n_threads, **weights
    )
    boosting = pick(ctx.task, HistGradientBoostingClassifier, HistGradientBoostingRegressor)(
        max_iter=params["n_estimators"], random_state=ctx.seed, early_stopping=False,
        categorical_features=None, **weights,
    )
    return [("linear", make_pipeline(StandardScaler(), linear)), ("forest", forest), ("boosting", boosting)]


def _voting(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.ensemble import VotingClassifier, VotingRegressor

    members = _members(params, ctx)
    if ctx.task == CLF:
        # flatten_transform only shapes transform(); skl2onnx converts only False.
        return VotingClassifier(members, voting=params["voting"], flatten_transform=False, n_jobs=1)
    return VotingRegressor(members, n_jobs=1)


def _stacking(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.ensemble import StackingClassifier, StackingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    members = _members(params, ctx)
    common = dict(cv=shuffled_folds(ctx.task, params["cv"], ctx.seed), passthrough=params["passthrough"], n_jobs=1)
    if ctx.task == CLF:
        return StackingClassifier(members, final_estimator=LogisticRegression(C=params["final_C"]), **common)
    return StackingRegressor(members, final_estimator=Ridge(alpha=params["final_alpha"]), **common)


_MEMBER_SIZE = ParamSpec(
    "n_estimators", "int", 100, low=1, high=10_000, log=True, search_low=20, search_high=500,
    help="Trees in the forest member and iterations of the boosting member.",
)

BAGGING = Algorithm(
    key="bagging",
    name="Bagging (trees)",
    tasks=CLF_REG,
    description="Averages decision trees each fitted on a resample of rows and/or features.",
    params=(
        n_estimators(10),
        ParamSpec(
            "max_samples", "float", 1.0, low=0.01, high=1.0, search_low=0.2,
            help="Fraction of rows drawn for each tree; lower is faster and more diverse.",
        ),
        ParamSpec(
            "max_features", "float", 1.0, low=0.01, high=1.0, search_low=0.2,
            help="Fraction of features drawn for each tree; lower decorrelates the trees.",
        ),
        ParamSpec(
            "bootstrap", "bool", True,
            help="Draw rows with replacement (classic bagging); off = subsampling without replacement.",
        ),
        ParamSpec(
            "bootstrap_features", "bool", False,
            help="Draw features with replacement too.",
        ),
        max_depth(None),
        class_weight(),
    ),
    factory=_bagging,
    # BaggingClassifier has no feature_importances_: permutation importance.
    capabilities=Capabilities(iterative=True, onnx=True, importances=False),
    fitter=fit_growing_ensemble,
    scale_numeric=False,
)

VOTING = Algorithm(
    key="voting",
    name="Voting ensemble",
    tasks=CLF_REG,
    description="Averages a scaled linear model, a random forest and histogram boosting.",
    params=(
        ParamSpec(
            "voting", "choice", "soft", choices=("soft", "hard"), tasks=(CLF,), tunable=False,
            help="soft averages probabilities (usually better); hard takes the majority label, no probabilities.",
        ),
        _MEMBER_SIZE,
        class_weight(),
    ),
    factory=_voting,
    capabilities=Capabilities(onnx=True, importances=False),
    scale_numeric=False,
)

STACKING = Algorithm(
    key="stacking",
    name="Stacking ensemble",
    tasks=CLF_REG,
    description="A linear model learns how to combine a linear model, a random forest and histogram boosting.",
    params=(
        _MEMBER_SIZE,
        ParamSpec(
            "cv", "int", 5, low=2, high=20, tunable=False,
            help="Folds used to produce the members' out-of-fold predictions; more is steadier but slower.",
        ),
        ParamSpec(
            "passthrough", "bool", False,
            help="Give the final model the original features as well as the members' predictions.",
        ),
        ParamSpec(
            "final_C", "float", 1.0, low=1e-6, high=1e6, log=True, search_low=1e-3, search_high=100.0,
            tasks=(CLF,),
            help="Inverse regularisation of the final logistic regression; lower trusts members more evenly.",
        ),
        ParamSpec(
            "final_alpha", "float", 1.0, low=0.0, high=1e6, log=True, search_low=1e-3, search_high=100.0,
            tasks=(REG,),
            help="Regularisation of the final ridge model; higher blends members more evenly.",
        ),
        class_weight(),
    ),
    factory=_stacking,
    capabilities=Capabilities(onnx=True, importances=False),
    scale_numeric=False,
)
