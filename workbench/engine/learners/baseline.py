"""The baseline: a model that ignores the features.

Classification predicts the most frequent class of the training rows;
regression predicts their mean (or median).  Every other model must beat it
to be worth anything, so every run also scores it on the same split (see
``workbench.engine.training.baseline``), and as a catalog entry it can be
trained, compared, put on a leaderboard and exported like any model.

``strategy="prior"`` predicts the same labels as ``most_frequent`` but gives
the class frequencies as probabilities (a finite log loss, a meaningful ROC
curve of 0.5) instead of a one-hot row.
"""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import CLF, CLF_REG, REG

CLASSIFICATION_STRATEGIES = ("prior", "most_frequent")
REGRESSION_STRATEGIES = ("mean", "median")


def _baseline(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if ctx.task == CLF:
        return DummyClassifier(strategy=params.get("strategy", "prior"), random_state=ctx.seed)
    return DummyRegressor(strategy=params.get("strategy", "mean"))


BASELINE = Algorithm(
    key="baseline",
    name="Baseline (majority class / mean)",
    tasks=CLF_REG,
    description=(
        "Ignores the features: predicts the most frequent class or the mean target. "
        "Any useful model must beat it."
    ),
    params=(
        ParamSpec(
            "strategy", "choice", "prior", choices=CLASSIFICATION_STRATEGIES, tasks=(CLF,), tunable=False,
            help="prior: the majority class, with class frequencies as probabilities; "
            "most_frequent: the majority class with probability 1.",
        ),
        ParamSpec(
            "strategy", "choice", "mean", choices=REGRESSION_STRATEGIES, tasks=(REG,), tunable=False,
            help="Predict the training rows' mean (best for squared error) or median (best for absolute error).",
        ),
    ),
    factory=_baseline,
    capabilities=Capabilities(onnx=True, importances=False),
    scale_numeric=False,
)
