"""Linear models: logistic/linear regression, ridge, lasso, elastic net, SGD."""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.errors import SpecError
from workbench.engine.learners.common import CLF, CLF_REG, REG, class_weight, early_stopping_rounds, pick
from workbench.engine.learners.iterative import fit_epochs

_LINEAR_CAPS = Capabilities(onnx=True, importances=True)  # coef_

_FIT_INTERCEPT = ParamSpec(
    "fit_intercept", "bool", True, tunable=False,
    help="Learn a constant offset; turn off only if the target is centred at zero.",
)
_MAX_ITER = ParamSpec(
    "max_iter", "int", 1000, low=1, high=1_000_000, tunable=False,
    help="Most solver iterations; raise it if you see a convergence warning.",
)
_TOL = ParamSpec(
    "tol", "float", 1e-4, low=1e-10, high=1.0, log=True, tunable=False,
    help="Solver stops once improvements fall below this; smaller is more precise but slower.",
)
_ALPHA = ParamSpec(
    "alpha", "float", 1.0, low=0.0, high=1e6, log=True, search_low=1e-4, search_high=1e3,
    help="Regularisation strength; raise it to shrink coefficients and fight overfitting.",
)
_L1_RATIO = ParamSpec(
    "l1_ratio", "float", 0.5, low=0.0, high=1.0,
    help="Mix of L1 (1.0, sparse coefficients) and L2 (0.0, small coefficients) penalties.",
)
_SELECTION = ParamSpec(
    "selection", "choice", "cyclic", choices=("cyclic", "random"), tunable=False,
    help="Order of coordinate updates; 'random' often converges faster on many features.",
)


def _check_logistic(params: dict[str, Any], facts: Any = None) -> None:
    """Solver/penalty pairs scikit-learn refuses, said before any fit."""
    solver, l1_ratio = params["solver"], params["l1_ratio"]
    if solver == "liblinear" and 0 < l1_ratio < 1:
        raise SpecError(
            f"logistic_regression: l1_ratio={l1_ratio} (elastic net) needs solver=saga; "
            "liblinear takes only l1_ratio=0 or 1."
        )
    if l1_ratio > 0 and solver not in ("saga", "liblinear"):
        raise SpecError(
            f"logistic_regression: l1_ratio={l1_ratio} (an L1 penalty) needs solver=saga "
            f"(or liblinear for l1_ratio=1); solver={solver} supports only l1_ratio=0."
        )
    if solver == "liblinear" and facts is not None and facts.n_classes > 2:
        raise SpecError(
            f"logistic_regression: solver=liblinear handles two classes only; the target has "
            f"{facts.n_classes}. Use solver=lbfgs or saga."
        )


def _logistic(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import LogisticRegression

    _check_logistic(params)  # tuning builds estimators without the pre-run check
    return LogisticRegression(random_state=ctx.seed, **params)


def _linear(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import LinearRegression

    return LinearRegression(**params)


def _ridge(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import Ridge, RidgeClassifier

    return pick(ctx.task, RidgeClassifier, Ridge)(random_state=ctx.seed, **params)


def _lasso(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import Lasso

    return Lasso(random_state=ctx.seed, **params)


def _elastic_net(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import ElasticNet

    return ElasticNet(random_state=ctx.seed, **params)


def _sgd(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    p = dict(params)
    rounds = p.pop("early_stopping_rounds")
    # "balanced" becomes per-row weights in our fitter: partial_fit refuses
    # class_weight="balanced".
    p.pop("class_weight", None)
    # Early stopping is done by our fitter on the run's validation rows; on a
    # plain fit (e.g. of a clone) scikit-learn's own early stopping applies.
    return pick(ctx.task, SGDClassifier, SGDRegressor)(
        random_state=ctx.seed, early_stopping=rounds > 0, n_iter_no_change=max(rounds, 1), **p
    )


LOGISTIC_REGRESSION = Algorithm(
    key="logistic_regression",
    name="Logistic regression",
    tasks=(CLF,),
    description="A linear model of class log-odds; fast, calibrated, a strong baseline.",
    params=(
        ParamSpec(
            "C", "float", 1.0, low=1e-8, high=1e8, log=True, search_low=1e-4, search_high=1e3,
            help="Inverse regularisation strength; lower C means a simpler, more regularised model.",
        ),
        ParamSpec(
            "l1_ratio", "float", 0.0, low=0.0, high=1.0,
            # Not searched by default: the default solver (lbfgs) accepts only 0.
            tunable=False,
            help="0 = L2 penalty, 1 = L1 (sparse coefficients; needs solver saga), between = elastic net.",
        ),
        ParamSpec(
            "solver", "choice", "lbfgs", choices=("lbfgs", "newton-cholesky", "saga", "liblinear"),
            tunable=False,
            help="Optimiser; lbfgs suits most data, saga handles L1 and very many rows.",
        ),
        class_weight(),
        ParamSpec(
            "max_iter", "int", 100, low=1, high=1_000_000, tunable=False,
            help="Most solver iterations; raise it if you see a convergence warning.",
        ),
        _TOL,
        _FIT_INTERCEPT,
    ),
    factory=_logistic,
    check=_check_logistic,
    capabilities=_LINEAR_CAPS,
)

LINEAR_REGRESSION = Algorithm(
    key="linear_regression",
    name="Linear regression",
    tasks=(REG,),
    description="Ordinary least squares; no tuning, a baseline for every regression.",
    params=(
        _FIT_INTERCEPT,
        ParamSpec(
            "positive", "bool", False, tunable=False,
            help="Force every coefficient to be >= 0, when physics or business rules demand it.",
        ),
    ),
    factory=_linear,
    capabilities=_LINEAR_CAPS,
)

RIDGE = Algorithm(
    key="ridge",
    name="Ridge",
    tasks=CLF_REG,
    description="Least squares with an L2 penalty; stable when features are correlated.",
    params=(_ALPHA, class_weight(), _FIT_INTERCEPT),
    factory=_ridge,
    capabilities=_LINEAR_CAPS,
)

LASSO = Algorithm(
    key="lasso",
    name="Lasso",
    tasks=(REG,),
    description="Least squares with an L1 penalty; sets unhelpful coefficients to exactly zero.",
    params=(_ALPHA, _MAX_ITER, _TOL, _SELECTION, _FIT_INTERCEPT),
    factory=_lasso,
    capabilities=_LINEAR_CAPS,
)

ELASTIC_NET = Algorithm(
    key="elastic_net",
    name="Elastic net",
    tasks=(REG,),
    description="Least squares with a mix of L1 and L2 penalties.",
    params=(_ALPHA, _L1_RATIO, _MAX_ITER, _TOL, _SELECTION, _FIT_INTERCEPT),
    factory=_elastic_net,
    capabilities=_LINEAR_CAPS,
)

SGD = Algorithm(
    key="sgd",
    name="SGD linear model",
    tasks=CLF_REG,
    description="A linear model trained by stochastic gradient descent, epoch by epoch; scales to many rows.",
    params=(
        ParamSpec(
            "loss", "choice", "log_loss", choices=("log_loss", "modified_huber", "hinge"), tasks=(CLF,),
            help="log_loss gives probabilities (logistic regression); hinge is a linear SVM (no probabilities).",
        ),
        ParamSpec(
            "loss", "choice", "squared_error",
            choices=("squared_error", "huber", "epsilon_insensitive"), tasks=(REG,),
            help="squared_error is least squares; huber and epsilon_insensitive resist outliers.",
        ),
        ParamSpec(
            "penalty", "choice", "l2", choices=("l2", "l1", "elasticnet"),
            help="Regularisation type; l1 or elasticnet drive some coefficients to zero.",
        ),
        ParamSpec(
            "alpha", "float", 1e-4, low=1e-10, high=100.0, log=True, search_low=1e-6, search_high=1e-1,
            help="Regularisation strength; raise it if the model overfits.",
        ),
        ParamSpec(
            "l1_ratio", "float", 0.15, low=0.0, high=1.0,
            help="Share of L1 in the elasticnet penalty (0 = pure L2, 1 = pure L1).",
        ),
        ParamSpec(
            "learning_rate", "choice", "optimal", choices=("optimal", "constant", "invscaling", "adaptive"),
            tasks=(CLF,), tunable=False,
            help="Step-size schedule; 'optimal' adapts to alpha, the others start from eta0.",
        ),
        ParamSpec(
            "learning_rate", "choice", "invscaling", choices=("constant", "invscaling", "adaptive"),
            tasks=(REG,), tunable=False,
            help="Step-size schedule; invscaling decays from eta0, adaptive shrinks it when progress stalls.",
        ),
        ParamSpec(
            "eta0", "float", 0.01, low=1e-6, high=10.0, log=True, search_low=1e-4, search_high=0.5,
            help="Initial step size for the constant/invscaling/adaptive schedules; lower if the loss jumps.",
        ),
        ParamSpec(
            "max_iter", "int", 1000, low=1, high=100_000, tunable=False,
            help="Most epochs (passes over the training rows).",
        ),
        ParamSpec(
            "tol", "float", 1e-3, low=0.0, high=1.0, tunable=False,
            help="An epoch counts as an improvement only if the validation loss drops by more than this.",
        ),
        class_weight(),
        early_stopping_rounds(5),
    ),
    factory=_sgd,
    capabilities=Capabilities(iterative=True, early_stopping=True, onnx=True, importances=True),
    fitter=fit_epochs,
)
