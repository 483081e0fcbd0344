"""Naive Bayes."""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import CLF


def _gaussian_nb(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB(**params)


NAIVE_BAYES = Algorithm(
    key="naive_bayes",
    name="Gaussian naive Bayes",
    tasks=(CLF,),
    description="Assumes independent, normally distributed features; very fast, a quick baseline.",
    params=(
        ParamSpec(
            "var_smoothing", "float", 1e-9, low=0.0, high=1.0, log=True, search_low=1e-12,
            search_high=1e-2,
            help="Variance added to every feature for stability; raise it if some features are nearly constant.",
        ),
    ),
    factory=_gaussian_nb,
    capabilities=Capabilities(onnx=True, importances=False),
)
