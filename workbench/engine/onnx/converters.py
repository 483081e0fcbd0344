"""skl2onnx converters for the pieces skl2onnx does not know by itself.

* our own transformers in :mod:`workbench.engine.training.preparation`
  (``ToFloat32``, ``DatetimeFeatures``, ``Clip``, ``MissingValues``,
  ``ParseNumbers``) and our own estimators
  (``learners.target_scaling.StandardizedMLPRegressor``);
* XGBoost's scikit-learn wrappers (onnxmltools' converter, registered into
  skl2onnx so an XGBoost model inside our Pipeline converts in one go);
* one fix to skl2onnx's HistGradientBoosting conversion: its split
  thresholds are rounded to float32 the way skl2onnx already does for every
  other scikit-learn tree (see :func:`_patch_hist_gradient_boosting_thresholds`).
  (skl2onnx also writes HistGradientBoosting's missing-value flags as
  booleans, which protobuf 7 rejects: the ``protobuf<7`` pin in
  pyproject.toml is the one fix for that, docs/decisions.md.)

Our own pieces' converters live in :mod:`.preparation_ops` (transformers) and
:mod:`.learner_ops` (estimators), with the graph helpers they share in
:mod:`.graph_ops`.  :func:`register_converters` installs all of them; it is
idempotent and cheap
after the first call.  skl2onnx, onnx and xgboost are imported inside it, so
importing this module costs nothing.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_done = False


def register_converters() -> None:
    """Register every converter the workbench's pipelines need (idempotent)."""
    from workbench.engine.onnx.learner_ops import register_learner_converters
    from workbench.engine.onnx.preparation_ops import register_preparation_converters

    global _done
    with _lock:
        if _done:
            return
        _patch_hist_gradient_boosting_thresholds()
        _register_xgboost()
        _register_lightgbm()
        _register_catboost()
        register_preparation_converters()
        register_learner_converters()
        _done = True


# --------------------------------------------------------------------------
# HistGradientBoosting thresholds
# --------------------------------------------------------------------------
def _patch_hist_gradient_boosting_thresholds() -> None:
    """Convert HistGradientBoosting thresholds with skl2onnx's float32 adjustment.

    HistGradientBoosting compares float64 inputs with float64 thresholds (the
    midpoints between bin edges); the ONNX tree node compares float32 with a
    float32 threshold.  Our inputs are float32 values (``ToFloat32`` ends
    every preparation), but a midpoint such as 30.6999998 (between 30.6f and
    30.8f) rounds to 30.7f: a row with bmi = 30.7 goes right natively and
    left in ONNX (up to 3.6 on the diabetes sample).  skl2onnx already fixes
    exactly this for DecisionTree/forest/GradientBoosting via
    ``adjust_threshold_for_sklearn`` (threshold -> largest float32 <= it,
    which splits every float32 value the same way) but passes False for
    HistGradientBoosting; this wrapper passes True.

    The argument is set by NAME through ``inspect.signature(...).bind``, so a
    reordered signature cannot flip another argument; a signature without it
    stops the export at once (:class:`ExportError`) instead of converting
    with silently wrong thresholds.
    """
    import inspect

    from skl2onnx.operator_converters import random_forest

    original = random_forest.add_tree_to_attribute_pairs_hist_gradient_boosting
    if getattr(original, "_workbench_adjusted", False):
        return
    signature = inspect.signature(original)
    check_patchable(signature, "adjust_threshold_for_sklearn", "add_tree_to_attribute_pairs_hist_gradient_boosting")

    def add_tree(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.arguments["adjust_threshold_for_sklearn"] = True
        return original(*bound.args, **bound.kwargs)

    add_tree._workbench_adjusted = True  # type: ignore[attr-defined]
    random_forest.add_tree_to_attribute_pairs_hist_gradient_boosting = add_tree


def check_patchable(signature: Any, parameter: str, function: str) -> None:
    """Raise ExportError unless ``signature`` still takes ``parameter``.

    A patched library function whose shape changed must stop the export, not
    convert a model that predicts something else.
    """
    if parameter not in signature.parameters:
        import skl2onnx

        from workbench.engine.errors import ExportError

        raise ExportError(
            f"skl2onnx {skl2onnx.__version__} changed {function}{signature}: it no longer takes "
            f"'{parameter}', which the workbench sets to keep HistGradientBoosting exports exact. "
            "Install the skl2onnx version pinned in pyproject.toml."
        )


# --------------------------------------------------------------------------
# XGBoost
# --------------------------------------------------------------------------
def _register_xgboost() -> None:
    try:
        from xgboost import XGBClassifier, XGBRegressor
    except ImportError:  # XGBoost is optional; nothing to register
        return
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    update_registered_converter(
        XGBClassifier,
        "XGBoostXGBClassifier",
        calculate_linear_classifier_output_shapes,
        convert_xgboost,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    update_registered_converter(
        XGBRegressor,
        "XGBoostXGBRegressor",
        calculate_linear_regressor_output_shapes,
        convert_xgboost,
    )


def _register_lightgbm() -> None:
    try:
        from lightgbm import LGBMClassifier, LGBMRegressor
    except ImportError:  # LightGBM is optional (workbench[boosting])
        return
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    update_registered_converter(
        LGBMClassifier, "LightGbmLGBMClassifier", calculate_linear_classifier_output_shapes, convert_lightgbm,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    update_registered_converter(
        LGBMRegressor, "LightGbmLGBMRegressor", calculate_linear_regressor_output_shapes, convert_lightgbm,
        options={"split": None},
    )


def _register_catboost() -> None:
    try:
        from catboost import CatBoostRegressor

        from workbench.engine.learners.catboost_model import FlatCatBoostClassifier
    except ImportError:  # CatBoost is optional (workbench[boosting])
        return
    from skl2onnx import update_registered_converter
    from skl2onnx._supported_operators import sklearn_classifier_list
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    # skl2onnx gives a model label + probabilities outputs only if it knows
    # it is a classifier; CatBoost does not derive from ClassifierMixin.
    if FlatCatBoostClassifier not in sklearn_classifier_list:
        sklearn_classifier_list.append(FlatCatBoostClassifier)
    update_registered_converter(
        FlatCatBoostClassifier, "WorkbenchCatBoostClassifier", calculate_linear_classifier_output_shapes,
        _convert_catboost, options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    update_registered_converter(
        CatBoostRegressor, "WorkbenchCatBoostRegressor", calculate_linear_regressor_output_shapes,
        _convert_catboost,
    )


def _convert_catboost(scope: Any, operator: Any, container: Any) -> None:
    """CatBoost's own ONNX export of the trees, inlined after our preparation.

    CatBoost writes a one-node graph (``TreeEnsembleClassifier`` /
    ``TreeEnsembleRegressor`` on a float ``features`` tensor; a classifier
    adds a ZipMap).  That node is copied as it is, its input wired to the
    prepared matrix and its outputs to the pipeline's ``label`` and
    ``probabilities`` tensors (no ZipMap: our graphs output plain tensors).
    """
    import os
    import tempfile

    import onnx
    from onnx import helper

    op = operator.raw_operator
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "catboost.onnx")
        op.save_model(path, format="onnx")
        exported = onnx.load(path)
    trees = [n for n in exported.graph.node if n.op_type.startswith("TreeEnsemble")]
    if len(trees) != 1:
        raise NotImplementedError(
            f"CatBoost's ONNX export has {len(trees)} tree nodes (expected 1): "
            + ", ".join(n.op_type for n in exported.graph.node)
        )
    node = trees[0]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    outputs = [o.full_name for o in operator.outputs[: len(node.output)]]
    container.add_node(
        node.op_type, [operator.inputs[0].full_name], outputs, op_domain="ai.onnx.ml", op_version=1,
        name=scope.get_unique_operator_name(f"CatBoost{node.op_type}"), **attrs,
    )
