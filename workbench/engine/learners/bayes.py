"""Naive Bayes."""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import CLF, class_weight


def _naive_bayes(params: dict[str, Any], ctx: BuildContext) -> Any:
    # Gaussian on continuous columns, Bernoulli on 0/1 (one-hot, yes/no)
    # columns: Gaussian NB on one-hot columns scored the majority rate.
    from workbench.engine.learners.mixed_nb import MixedNB

    p = dict(params)
    p.pop("class_weight", None)  # "balanced": per-row weights in our fitter
    return MixedNB(**p)


NAIVE_BAYES = Algorithm(
    key="naive_bayes",
    name="Naive Bayes",
    tasks=(CLF,),
    description="Assumes independent features: numbers as bell curves, categories and yes/no columns as "
    "coin flips; very fast, a quick baseline.",
    params=(
        ParamSpec(
            "var_smoothing", "float", 1e-9, low=0.0, high=1.0, log=True, search_low=1e-12,
            search_high=1e-2,
            help="Variance added to every numeric feature for stability; raise it if some are nearly constant.",
        ),
        ParamSpec(
            "alpha", "float", 1.0, low=0.0, high=1e3, log=True, search_low=1e-3, search_high=10.0,
            help="Smoothing of category frequencies (1 = Laplace); raise it for rare categories.",
        ),
        class_weight(),
    ),
    factory=_naive_bayes,
    capabilities=Capabilities(onnx=True, importances=False),
)
