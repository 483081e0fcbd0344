"""Parameter specs shared by several families, and small factory helpers.

Nothing here imports scikit-learn: the catalog must stay cheap to import.
"""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import ParamSpec

CLF = "classification"
REG = "regression"
CLUSTER = "clustering"
CLF_REG = (CLF, REG)


def n_estimators(default: int = 100, what: str = "trees") -> ParamSpec:
    return ParamSpec(
        "n_estimators", "int", default, low=1, high=100_000, search_low=20, search_high=1000,
        log=True,
        help=f"Number of {what}; more is steadier but slower to fit and predict.",
    )


def learning_rate(default: float = 0.1) -> ParamSpec:
    return ParamSpec(
        "learning_rate", "float", default, low=1e-5, high=1.0, log=True,
        search_low=0.005, search_high=0.5,
        help="Shrinks each tree's contribution; lower needs more trees but usually generalises better.",
    )


def max_depth(default: int | None, high: int = 1000, search_high: int = 30) -> ParamSpec:
    return ParamSpec(
        "max_depth", "int", default, low=1, high=high, nullable=True, search_low=2,
        search_high=search_high,
        help="Deepest a tree may grow (none = no limit); lower it to curb overfitting.",
    )


def min_samples_leaf(default: int = 1) -> ParamSpec:
    return ParamSpec(
        "min_samples_leaf", "int", default, low=1, high=100_000, log=True, search_low=1,
        search_high=200,
        help="Fewest training rows a leaf may hold; raise it for smoother, less overfit trees.",
    )


def min_samples_split() -> ParamSpec:
    return ParamSpec(
        "min_samples_split", "int", 2, low=2, high=100_000, log=True, search_low=2,
        search_high=200,
        help="Fewest rows a node needs before it may be split; raise it to regularise.",
    )


def feature_fraction(name: str = "max_features", default: float = 1.0) -> ParamSpec:
    return ParamSpec(
        name, "float", default, low=0.01, high=1.0, search_low=0.2, search_high=1.0,
        help="Fraction of the features considered at each split; lower adds randomness and speed.",
    )


def class_weight() -> ParamSpec:
    return ParamSpec(
        "class_weight", "choice", None, choices=(None, "balanced"), tasks=(CLF,),
        help="'balanced' weights classes inversely to their frequency; use it for rare classes.",
    )


def boosting_sampling_and_penalties(reg_lambda: float, what: str = "leaf weights") -> tuple[ParamSpec, ...]:
    """Row/feature sampling and L2/L1 penalties, as XGBoost and LightGBM name them."""
    return (
        ParamSpec(
            "subsample", "float", 1.0, low=0.01, high=1.0, search_low=0.5,
            help="Fraction of rows sampled per round; below 1 adds randomness against overfitting.",
        ),
        ParamSpec(
            "colsample_bytree", "float", 1.0, low=0.01, high=1.0, search_low=0.3,
            help="Fraction of features sampled per tree; lower decorrelates trees.",
        ),
        ParamSpec(
            "reg_lambda", "float", reg_lambda, low=0.0, high=1e6, log=True, search_low=1e-3, search_high=100.0,
            help=f"L2 penalty on {what}; raise it to regularise.",
        ),
        ParamSpec(
            "reg_alpha", "float", 0.0, low=0.0, high=1e6, log=True, search_low=1e-3, search_high=10.0,
            help=f"L1 penalty on {what}; raise it to push small {what} to zero.",
        ),
    )


def early_stopping_rounds(default: int = 0) -> ParamSpec:
    return ParamSpec(
        "early_stopping_rounds", "int", default, low=0, high=10_000, tunable=False,
        help="Stop when the validation loss has not improved for this many iterations (0 = off).",
    )


def tree_criterion() -> tuple[ParamSpec, ParamSpec]:
    return (
        ParamSpec(
            "criterion", "choice", "gini", choices=("gini", "entropy", "log_loss"), tasks=(CLF,),
            help="How split quality is measured; gini is fastest, entropy/log_loss sometimes a bit better.",
        ),
        ParamSpec(
            "criterion", "choice", "squared_error",
            choices=("squared_error", "friedman_mse", "absolute_error", "poisson"), tasks=(REG,),
            help="Error a split minimises; absolute_error resists outliers but is much slower.",
        ),
    )


def is_classification(task: str) -> bool:
    return task == CLF


def pick(task: str, classifier: Any, regressor: Any) -> Any:
    """The classifier or regressor class for ``task``."""
    return classifier if task == CLF else regressor


def only(params: dict[str, Any], *names: str) -> dict[str, Any]:
    """The subset of ``params`` named, skipping those absent for this task."""
    return {n: params[n] for n in names if n in params}


def shuffled_folds(task: str, n_splits: int, seed: int) -> Any:
    """Seeded, shuffled (stratified for classes) folds for a learner's inner CV.

    scikit-learn's ``cv=5`` means folds in row order: on a file sorted by
    date or by class, stacking's members were scored on unlike rows and
    seattle-weather stacking fell to 0.608 while its members scored 0.77.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    cls = StratifiedKFold if task == CLF else KFold
    return cls(n_splits=int(n_splits), shuffle=True, random_state=seed)
