"""Support vector machines (kernel SVC / SVR)."""

from __future__ import annotations

from typing import Any

from workbench.engine.learners.base import Algorithm, BuildContext, Capabilities, ParamSpec
from workbench.engine.learners.common import CLF, CLF_REG, REG, class_weight, shuffled_folds


def _svm(params: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.svm import SVC

    p = dict(params)
    probability = p.pop("probability", False)
    p["gamma"] = "scale" if p["gamma"] is None else p["gamma"]
    if ctx.task != CLF:
        # Learns the standardised target: SVR's epsilon and C are in target
        # units, and on a raw target in the hundreds the defaults fit flat.
        from workbench.engine.learners.target_scaling import StandardizedSVR

        return StandardizedSVR(**p)
    svc = SVC(random_state=ctx.seed, **p)
    if not probability:
        return svc
    # SVC(probability=True) is deprecated in scikit-learn 1.9; this is its
    # replacement (Platt scaling on cross-validated scores, one final SVC),
    # and it converts to ONNX.
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(svc, method="sigmoid", ensemble=False, cv=shuffled_folds(CLF, 5, ctx.seed))


SVM = Algorithm(
    key="svm",
    name="Support vector machine",
    tasks=CLF_REG,
    description="Kernel SVM; strong on small to medium data with scaled features, slow beyond ~50k rows.",
    params=(
        ParamSpec(
            "C", "float", 1.0, low=1e-6, high=1e6, log=True, search_low=1e-2, search_high=1e3,
            help="Penalty on margin violations; higher C fits the training data more tightly.",
        ),
        ParamSpec(
            "kernel", "choice", "rbf", choices=("rbf", "linear", "poly", "sigmoid"),
            help="Shape of the decision boundary; rbf is a good default, linear for many features.",
        ),
        ParamSpec(
            "gamma", "float", None, low=1e-9, high=1e3, log=True, nullable=True,
            search_low=1e-4, search_high=10.0,
            help="Reach of one training row for rbf/poly/sigmoid (none = 1/(features x variance)); higher is wigglier.",
        ),
        ParamSpec(
            "degree", "int", 3, low=1, high=10, search_high=5,
            help="Degree of the polynomial kernel (used only with kernel=poly).",
        ),
        ParamSpec(
            "epsilon", "float", 0.1, low=0.0, high=1e6, tasks=(REG,), search_high=1.0,
            help="Errors smaller than this are ignored; raise it for a simpler, smoother fit.",
        ),
        class_weight(),
        ParamSpec(
            "probability", "bool", True, tasks=(CLF,), tunable=False,
            help="Calibrate scores into probabilities (needed for log loss and ROC curves); costs extra fits.",
        ),
    ),
    factory=_svm,
    capabilities=Capabilities(onnx=True, importances=False),
)
