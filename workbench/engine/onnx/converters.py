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

:func:`register_converters` installs all of them; it is idempotent and cheap
after the first call.  skl2onnx, onnx and xgboost are imported inside it, so
importing this module costs nothing.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_done = False

# The order DatetimeFeatures emits its parts in, per input column (the same
# tuple as preparation.DATETIME_PARTS; repeated so importing this module does
# not import scikit-learn).
DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour")


def register_converters() -> None:
    """Register every converter the workbench's pipelines need (idempotent)."""
    global _done
    with _lock:
        if _done:
            return
        _patch_hist_gradient_boosting_thresholds()
        _register_xgboost()
        _register_lightgbm()
        _register_catboost()
        _register_preparation()
        _register_learners()
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


# --------------------------------------------------------------------------
# Our own transformers
# --------------------------------------------------------------------------
def _register_preparation() -> None:
    from skl2onnx import update_registered_converter

    from workbench.engine.training import preparation

    table = {
        "ToFloat32": (_shape_same_width, _convert_to_float32),
        "DatetimeFeatures": (_shape_datetime_features, _convert_datetime_features),
        "Clip": (_shape_same_width, _convert_clip),
        "MissingValues": (_shape_same_type, _convert_missing_values),
        "ParseNumbers": (_shape_same_width, _convert_parse_numbers),
    }
    # MissingValues keeps its input's type (text stays text): the default
    # parser would declare a float output, and the imputer after it would
    # then be typed float-in, float-out on text.
    parsers = {"MissingValues": _parse_same_type}
    for name, (shape, convert) in table.items():
        cls = getattr(preparation, name, None)
        if cls is not None:
            update_registered_converter(cls, f"Workbench{name}", shape, convert, parser=parsers.get(name))


def _register_learners() -> None:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_regressor_output_shapes

    from workbench.engine.learners.target_scaling import StandardizedMLPRegressor, StandardizedSVR

    for cls in (StandardizedMLPRegressor, StandardizedSVR):
        update_registered_converter(
            cls, f"Workbench{cls.__name__}", calculate_linear_regressor_output_shapes,
            _convert_standardized_target,
        )
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    from workbench.engine.learners.mixed_nb import MixedNB

    update_registered_converter(
        MixedNB, "WorkbenchMixedNB", calculate_linear_classifier_output_shapes,
        _convert_mixed_nb, options={"zipmap": [False, True, "columns"], "nocl": [False, True]},
    )
    from sklearn.linear_model import SGDClassifier

    update_registered_converter(
        SGDClassifier, "WorkbenchSGDClassifier", calculate_linear_classifier_output_shapes,
        _convert_sgd_classifier, options={"zipmap": [False, True, "columns"], "nocl": [False, True]},
    )
    from sklearn.dummy import DummyClassifier, DummyRegressor

    update_registered_converter(
        DummyClassifier, "WorkbenchDummyClassifier", calculate_linear_classifier_output_shapes,
        _convert_dummy_classifier, options={"zipmap": [False, True, "columns"], "nocl": [False, True]},
    )
    update_registered_converter(
        DummyRegressor, "WorkbenchDummyRegressor", calculate_linear_regressor_output_shapes,
        _convert_dummy_regressor,
    )


def _convert_mixed_nb(scope: Any, operator: Any, container: Any) -> None:
    """MixedNB's joint log-likelihood, softmax and argmax, in double precision.

    jll = log prior - 1/2 sum log(2 pi var) - 1/2 sum (x_g - theta)^2 / var
          + x_b @ (log p - log(1 - p))^T + sum log(1 - p)
    Computed in double like the native model, so probabilities agree to
    float64 rounding; the label is the first class of largest jll (ArgMax
    takes the first maximum, as numpy does).
    """
    import numpy as np
    from onnx import TensorProto

    op = operator.raw_operator
    x = _cast(container, scope, operator.inputs[0].full_name, TensorProto.DOUBLE)
    k = len(op.classes_)
    gaussian = np.flatnonzero(~op.binary_).astype(np.int64)
    binary = np.flatnonzero(op.binary_).astype(np.int64)
    const = np.asarray(op.class_log_prior_, dtype=np.float64).copy()
    terms: list[str] = []

    def node(kind: str, inputs: list[str], **attrs: Any) -> str:
        out = scope.get_unique_variable_name(kind.lower())
        container.add_node(kind, inputs, [out], name=scope.get_unique_operator_name(kind), **attrs)
        return out

    if len(gaussian):
        const += -0.5 * np.sum(np.log(2.0 * np.pi * op.var_), axis=1)
        xg = node("Gather", [x, _const(scope, container, gaussian)], axis=1)
        xg3 = node("Unsqueeze", [xg, _const(scope, container, np.array([1], np.int64))])  # N,1,G
        diff = node("Sub", [xg3, _const(scope, container, np.asarray(op.theta_, np.float64)[None])])  # N,K,G
        weighted = node("Mul", [node("Mul", [diff, diff]),
                                _const(scope, container, (-0.5 / np.asarray(op.var_, np.float64))[None])])
        terms.append(node("ReduceSum", [weighted, _const(scope, container, np.array([2], np.int64))], keepdims=0))
    if len(binary):
        flp = np.asarray(op.feature_log_prob_, np.float64)
        log_no = np.log1p(-np.exp(flp))
        const += log_no.sum(axis=1)
        xb = node("Gather", [x, _const(scope, container, binary)], axis=1)
        terms.append(node("MatMul", [xb, _const(scope, container, (flp - log_no).T.copy())]))
    jll = _const(scope, container, const.reshape(1, k))
    for term in terms:
        jll = node("Add", [jll, term])
    proba = node("Softmax", [jll], axis=1)
    container.add_node("Cast", [proba], [operator.outputs[1].full_name], to=TensorProto.FLOAT,
                       name=scope.get_unique_operator_name("Cast"))
    code = node("ArgMax", [jll], axis=1, keepdims=0)
    classes = np.asarray(op.classes_)
    table = classes.astype(np.int64) if classes.dtype.kind in "iub" else classes.astype(str).astype(object)
    container.add_node("Gather", [_const(scope, container, table), code], [operator.outputs[0].full_name], axis=0,
                       name=scope.get_unique_operator_name("Gather"))


def _convert_sgd_classifier(scope: Any, operator: Any, container: Any) -> None:
    """SGDClassifier with the native label rule: the class of the largest decision score.

    skl2onnx takes the label from the probabilities; on saturated one-vs-rest
    probabilities (1.0 for two classes) that picks the first, while native
    ``predict`` takes the larger decision score (an SGD model's labels agreed
    on 38.9 % of rows).  Here scores, probabilities and label follow
    scikit-learn's own formulas, in double precision like the native model.
    """
    import numpy as np
    from onnx import TensorProto

    op = operator.raw_operator
    g = _Graph(scope, container)
    # The scores in the precision native decision_function uses (scikit-learn
    # keeps float32 coefficients for float32 data), then double from there.
    dtype: Any
    if np.asarray(op.coef_).dtype == np.float32:
        x, dtype = operator.inputs[0].full_name, np.float32
    else:
        x, dtype = _cast(container, scope, operator.inputs[0].full_name, TensorProto.DOUBLE), np.float64
    coef = np.asarray(op.coef_, dtype=dtype)
    raw = g.op("Add", g.op("MatMul", x, _const(scope, container, coef.T.copy())),
               _const(scope, container, np.asarray(op.intercept_, dtype=dtype).reshape(1, -1)))
    scores = g.op("Cast", raw, to=TensorProto.DOUBLE) if dtype == np.float32 else raw
    binary = coef.shape[0] == 1
    if binary:
        # decision_function is scores[:, 0]; predict: class 1 where it is > 0.
        code = g.op("Cast", g.op("Greater", scores, 0.0), to=TensorProto.INT64)
        code = g.op("Reshape", code, _const(scope, container, np.array([-1], np.int64)))
    else:
        code = g.op("ArgMax", scores, axis=1, keepdims=0)
    if op.loss == "log_loss":
        # expit, accurate on both tails like scipy's (tiny probabilities of
        # very negative scores matter: one-vs-rest divides by their sum):
        # e = exp(-|x|); x >= 0: 1 / (1 + e), else e / (1 + e).
        e = g.op("Exp", g.op("Neg", g.op("Abs", scores)))
        denominator = g.op("Add", e, 1.0)
        p = g.op("Where", g.op("GreaterOrEqual", scores, 0.0), g.op("Div", 1.0, denominator),
                 g.op("Div", e, denominator))
    elif op.loss == "modified_huber":
        p = g.op("Div", g.op("Add", g.op("Clip", scores, g.const(-1.0), g.const(1.0)), 1.0), 2.0)
    else:  # no probabilities natively: the graph carries the scores
        p = scores
    if binary:
        other = g.op("Sub", 1.0, p) if op.loss in ("log_loss", "modified_huber") else g.op("Neg", p)
        proba = g.op("Concat", other, p, axis=1)
    elif op.loss in ("log_loss", "modified_huber"):
        total = g.op("ReduceSum", p, _const(scope, container, np.array([1], np.int64)), keepdims=1)
        if op.loss == "modified_huber":
            # scikit-learn: rows whose probabilities sum to 0 become uniform.
            zero = g.op("Equal", total, 0.0)
            total = g.op("Where", zero, g.const(1.0), total)
            uniform = g.const(1.0 / coef.shape[0])
            proba = g.op("Where", zero, uniform, g.op("Div", p, total))
        else:
            proba = g.op("Div", p, total)
    else:
        proba = p
    container.add_node("Cast", [proba], [operator.outputs[1].full_name], to=TensorProto.FLOAT,
                       name=scope.get_unique_operator_name("Cast"))
    classes = np.asarray(op.classes_)
    table = classes.astype(np.int64) if classes.dtype.kind in "iub" else classes.astype(str).astype(object)
    container.add_node("Gather", [_const(scope, container, table), code], [operator.outputs[0].full_name], axis=0,
                       name=scope.get_unique_operator_name("Gather"))


def _rows_times(scope: Any, container: Any, x: str, row: Any, out: str) -> None:
    """``out`` = the constant ``row`` (1 x K) repeated once per row of ``x``.

    Built from ``Shape(x)[0]`` and ``Expand``, never from arithmetic on ``x``:
    a baseline must not turn a missing input value into a missing prediction.
    """
    import numpy as np

    row = np.asarray(row).reshape(1, -1)
    shape = scope.get_unique_variable_name("shape")
    container.add_node("Shape", [x], [shape], name=scope.get_unique_operator_name("Shape"))
    n = scope.get_unique_variable_name("n")
    container.add_node(
        "Slice", [shape, _const(scope, container, np.array([0], np.int64)),
                  _const(scope, container, np.array([1], np.int64))], [n],
        name=scope.get_unique_operator_name("Slice"),
    )
    target = scope.get_unique_variable_name("target_shape")
    container.add_node(
        "Concat", [n, _const(scope, container, np.array([row.shape[1]], np.int64))], [target], axis=0,
        name=scope.get_unique_operator_name("Concat"),
    )
    container.add_node(
        "Expand", [_const(scope, container, row), target], [out], name=scope.get_unique_operator_name("Expand"),
    )


def _const(scope: Any, container: Any, value: Any) -> str:
    """A Constant node holding ``value`` (numbers or strings)."""
    from onnx import numpy_helper

    name = scope.get_unique_variable_name("const")
    container.add_node(
        "Constant", [], [name], value=numpy_helper.from_array(value, name),
        name=scope.get_unique_operator_name("Constant"),
    )
    return name


def _convert_dummy_classifier(scope: Any, operator: Any, container: Any) -> None:
    """Labels: the class native ``predict`` gives every row; probabilities: its ``predict_proba`` row."""
    import numpy as np

    op = operator.raw_operator
    if op.strategy not in ("prior", "most_frequent"):
        raise NotImplementedError(f"DummyClassifier(strategy={op.strategy!r}) has no ONNX converter")
    classes = np.asarray(op.classes_)
    prior = np.asarray(op.class_prior_, dtype=np.float64)
    top = int(np.argmax(prior))  # what DummyClassifier.predict returns (first of equals)
    proba = prior if op.strategy == "prior" else np.eye(len(classes))[top]
    x = operator.inputs[0].full_name
    _rows_times(scope, container, x, proba.astype(np.float32), operator.outputs[1].full_name)
    label = classes[top]
    if classes.dtype.kind in "iub":
        label_row = np.array([int(label)], dtype=np.int64)
    else:
        label_row = np.array([str(label)], dtype=object)
    wide = scope.get_unique_variable_name("label2d")
    _rows_times(scope, container, x, label_row, wide)
    container.add_node(
        "Reshape", [wide, _const(scope, container, np.array([-1], np.int64))], [operator.outputs[0].full_name],
        name=scope.get_unique_operator_name("Reshape"),
    )


def _convert_dummy_regressor(scope: Any, operator: Any, container: Any) -> None:
    """The constant ``predict`` gives every row, as an (N, 1) float tensor."""
    import numpy as np

    op = operator.raw_operator
    value = np.asarray(op.constant_, dtype=np.float32).reshape(1, -1)
    _rows_times(scope, container, operator.inputs[0].full_name, value, operator.outputs[0].full_name)


def _convert_standardized_target(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx's own graph of the plain regressor, then ``* y_scale_ + y_mean_``.

    The model part is converted from a plain ``MLPRegressor`` / ``SVR``
    holding the same fitted state (the subclass adds only the target scale),
    so it is exactly the graph a plain model gets.
    """
    import numpy as np
    from sklearn.neural_network import MLPRegressor
    from sklearn.svm import SVR
    from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
    from skl2onnx.algebra.onnx_ops import OnnxAdd, OnnxMul

    op = operator.raw_operator
    base = MLPRegressor if isinstance(op, MLPRegressor) else SVR
    plain = base.__new__(base)
    plain.__dict__.update(op.__dict__)
    opv = container.target_opset
    scaled = OnnxSubEstimator(plain, operator.inputs[0], op_version=opv)
    scale = np.asarray(op.y_scale_, dtype=np.float32).reshape(1, -1)
    mean = np.asarray(op.y_mean_, dtype=np.float32).reshape(1, -1)
    result = OnnxAdd(
        OnnxMul(scaled, scale, op_version=opv), mean,
        op_version=opv, output_names=operator.outputs[:1],
    )
    result.add_to(scope, container)


def _n_columns(operator: Any) -> Any:
    return operator.inputs[0].get_second_dimension()


def _shape_same_width(operator: Any) -> None:
    from skl2onnx.common.data_types import FloatTensorType

    inp = operator.inputs[0]
    operator.outputs[0].type = FloatTensorType([inp.get_first_dimension(), _n_columns(operator)])


def _datetime_parts(transformer: Any) -> tuple[str, ...]:
    parts = tuple(getattr(transformer, "parts", None) or DATETIME_PARTS)
    unknown = [p for p in parts if p not in DATETIME_PARTS]
    if unknown:
        raise NotImplementedError(f"DatetimeFeatures part(s) {unknown} have no ONNX conversion")
    return parts


def _shape_datetime_features(operator: Any) -> None:
    from skl2onnx.common.data_types import FloatTensorType

    parts = _datetime_parts(operator.raw_operator)
    n_in = _n_columns(operator)
    width = None if n_in is None else n_in * len(parts)
    operator.outputs[0].type = FloatTensorType([operator.inputs[0].get_first_dimension(), width])


def _cast(container: Any, scope: Any, name: str, to: int) -> str:
    out = scope.get_unique_variable_name("cast")
    container.add_node("Cast", name, out, to=to, name=scope.get_unique_operator_name("Cast"))
    return out


def _convert_to_float32(scope: Any, operator: Any, container: Any) -> None:
    from onnx import TensorProto

    container.add_node(
        "Cast",
        operator.inputs[0].full_name,
        operator.outputs[0].full_name,
        to=TensorProto.FLOAT,
        name=scope.get_unique_operator_name("ToFloat32"),
    )


def _convert_clip(scope: Any, operator: Any, container: Any) -> None:
    """Element-wise clip with NaN kept as NaN (as ``numpy.clip`` does)."""
    import numpy as np
    from onnx import TensorProto

    op = operator.raw_operator
    x = operator.inputs[0].full_name
    if operator.inputs[0].type.__class__.__name__ != "FloatTensorType":
        x = _cast(container, scope, x, TensorProto.FLOAT)
    lo = np.asarray(getattr(op, "lower", getattr(op, "low", -np.inf)), dtype=np.float32)
    hi = np.asarray(getattr(op, "upper", getattr(op, "high", np.inf)), dtype=np.float32)
    lo_name = scope.get_unique_variable_name("clip_lo")
    hi_name = scope.get_unique_variable_name("clip_hi")
    container.add_initializer(lo_name, TensorProto.FLOAT, list(lo.shape), lo.ravel().tolist())
    container.add_initializer(hi_name, TensorProto.FLOAT, list(hi.shape), hi.ravel().tolist())
    # Max/Min propagate NaN in onnxruntime like numpy does (checked by a test).
    tmp = scope.get_unique_variable_name("clip_max")
    container.add_node("Max", [x, lo_name], tmp, name=scope.get_unique_operator_name("Max"))
    container.add_node(
        "Min", [tmp, hi_name], operator.outputs[0].full_name, name=scope.get_unique_operator_name("Min")
    )


def _parse_same_type(scope: Any, model: Any, inputs: list[Any], custom_parsers: Any = None) -> list[Any]:
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    operator = scope.declare_local_operator(f"Workbench{type(model).__name__}", model)
    operator.inputs = inputs
    kind = StringTensorType if isinstance(inputs[0].type, StringTensorType) else FloatTensorType
    operator.outputs.append(scope.declare_local_variable("variable", kind()))
    return list(operator.outputs)


def _shape_same_type(operator: Any) -> None:
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    inp = operator.inputs[0]
    kind = StringTensorType if isinstance(inp.type, StringTensorType) else FloatTensorType
    operator.outputs[0].type = kind([inp.get_first_dimension(), _n_columns(operator)])


def _scalar(scope: Any, container: Any, value: Any, onnx_type: int) -> str:
    name = scope.get_unique_variable_name("c")
    container.add_initializer(name, onnx_type, [], [value])
    return name


def _node(scope: Any, container: Any, kind: str, inputs: list[str], out: str | None = None,
          **attrs: Any) -> str:
    out = out or scope.get_unique_variable_name(kind.lower())
    container.add_node(kind, inputs, out, name=scope.get_unique_operator_name(kind), **attrs)
    return out


def _convert_missing_values(scope: Any, operator: Any, container: Any) -> None:
    """``MissingValues``: cells equal to a declared value become missing.

    Text: "" (the model's missing text); numbers: NaN, compared in float32
    as the native transformer compares them.  ``Equal`` on strings is opset
    19+ (the export writes 21).
    """
    from onnx import TensorProto
    from skl2onnx.common.data_types import StringTensorType

    op = operator.raw_operator
    x = operator.inputs[0].full_name
    text = isinstance(operator.inputs[0].type, StringTensorType)
    values: list[Any]
    missing: Any
    if text:
        values = [str(v) for v in op.values]
        onnx_type, missing = TensorProto.STRING, ""
    else:
        if operator.inputs[0].type.__class__.__name__ != "FloatTensorType":
            x = _cast(container, scope, x, TensorProto.FLOAT)
        values = [float(v) for v in op.values]
        onnx_type, missing = TensorProto.FLOAT, float("nan")
    mask = None
    for value in values:
        hit = _node(scope, container, "Equal", [x, _scalar(scope, container, value, onnx_type)])
        mask = hit if mask is None else _node(scope, container, "Or", [mask, hit])
    if mask is None:  # nothing declared: pass through
        _node(scope, container, "Identity", [x], operator.outputs[0].full_name)
        return
    _node(scope, container, "Where", [mask, _scalar(scope, container, missing, onnx_type), x],
          operator.outputs[0].full_name)


def _convert_parse_numbers(scope: Any, operator: Any, container: Any) -> None:
    """``ParseNumbers``: ``Cast(string -> float)`` with "" and +-inf as NaN.

    onnxruntime's Cast reads a number's text as a double and rounds it to
    float32 (the native transformer rounds the same way); it cannot read
    "", hence the ``Where`` first.  Unlike the native model, which refuses a
    value that is not a number, onnxruntime fails on some ("Age") and reads
    the leading number of others ("3 kg" -> 3).
    """
    from onnx import TensorProto

    x = operator.inputs[0].full_name
    empty = _node(scope, container, "Equal", [x, _scalar(scope, container, "", TensorProto.STRING)])
    text = _node(scope, container, "Where", [empty, _scalar(scope, container, "NaN", TensorProto.STRING), x])
    number = _node(scope, container, "Cast", [text], to=TensorProto.FLOAT)
    infinite = _node(scope, container, "IsInf", [number])
    nan = _scalar(scope, container, float("nan"), TensorProto.FLOAT)
    _node(scope, container, "Where", [infinite, nan, number], operator.outputs[0].full_name)


class _Graph:
    """Tiny helper: double-precision element-wise ops with unique names."""

    def __init__(self, scope: Any, container: Any) -> None:
        self.scope = scope
        self.container = container
        self._consts: dict[float, str] = {}

    def const(self, value: float) -> str:
        from onnx import TensorProto

        if value not in self._consts:
            name = self.scope.get_unique_variable_name("c")
            self.container.add_initializer(name, TensorProto.DOUBLE, [], [float(value)])
            self._consts[value] = name
        return self._consts[value]

    def op(self, kind: str, *inputs: str | float, **attrs: Any) -> str:
        names = [self.const(i) if isinstance(i, (int, float)) else i for i in inputs]
        out = self.scope.get_unique_variable_name(kind.lower())
        self.container.add_node(
            kind, names, out, name=self.scope.get_unique_operator_name(kind), **attrs
        )
        return out

    def floordiv(self, a: str, b: float) -> str:
        return self.op("Floor", self.op("Div", a, b))


def _convert_datetime_features(scope: Any, operator: Any, container: Any) -> None:
    """Civil-from-days in float64, the same operations as the native code.

    Mirrors :func:`workbench.engine.training.preparation.civil_from_days` step by
    step.  The input (float32 days since 1970-01-01) is widened to float64
    as numpy does; every intermediate is an integer-valued double far below
    2**53, so the graph reproduces numpy bit for bit, and NaN (a missing
    date) stays NaN through every operation.
    """
    from onnx import TensorProto

    g = _Graph(scope, container)
    parts = _datetime_parts(operator.raw_operator)
    days = _cast(container, scope, operator.inputs[0].full_name, TensorProto.DOUBLE)
    z = g.op("Floor", days)
    # hour = min(floor((days - z) * 24 + tolerance), 23): float32 days carry
    # ~2.8 minutes of rounding error, and the native code rounds up across it.
    from workbench.engine.training import preparation

    tolerance = float(getattr(preparation, "HOUR_TOLERANCE", 0.0))
    raw_hour = g.op("Mul", g.op("Sub", days, z), 24.0)
    if tolerance:
        raw_hour = g.op("Add", raw_hour, tolerance)
    hour = g.op("Min", g.op("Floor", raw_hour), 23.0)
    z3 = g.op("Add", z, 3.0)
    dayofweek = g.op("Sub", z3, g.op("Mul", 7.0, g.floordiv(z3, 7.0)))
    zz = g.op("Add", z, 719468.0)
    era = g.floordiv(zz, 146097.0)
    doe = g.op("Sub", zz, g.op("Mul", era, 146097.0))
    yoe = g.floordiv(
        g.op(
            "Sub",
            g.op("Add", g.op("Sub", doe, g.floordiv(doe, 1460.0)), g.floordiv(doe, 36524.0)),
            g.floordiv(doe, 146096.0),
        ),
        365.0,
    )
    doy = g.op(
        "Sub",
        doe,
        g.op("Sub", g.op("Add", g.op("Mul", 365.0, yoe), g.floordiv(yoe, 4.0)), g.floordiv(yoe, 100.0)),
    )
    mp = g.floordiv(g.op("Add", g.op("Mul", 5.0, doy), 2.0), 153.0)
    day = g.op("Add", g.op("Sub", doy, g.floordiv(g.op("Add", g.op("Mul", 153.0, mp), 2.0), 5.0)), 1.0)
    month = g.op("Sub", g.op("Add", mp, 3.0), g.op("Mul", 12.0, g.floordiv(mp, 10.0)))
    year = g.op(
        "Add",
        g.op("Add", yoe, g.op("Mul", era, 400.0)),
        g.floordiv(g.op("Sub", 14.0, month), 12.0),
    )
    computed = {"year": year, "month": month, "day": day, "dayofweek": dayofweek, "hour": hour}
    outputs = [computed[p] for p in parts]
    # Native layout: for each input column, its parts side by side
    # ([N, C] -> [N, C, P] -> [N, C * P]).
    stacked = g.op("Concat", *[g.op("Unsqueeze", o, _ints(g, [2])) for o in outputs], axis=2)
    shape = g.op("Shape", days)
    rows = g.op("Slice", shape, _ints(g, [0]), _ints(g, [1]))
    width = g.op("Mul", g.op("Slice", shape, _ints(g, [1]), _ints(g, [2])), _ints(g, [len(parts)]))
    flat = g.op("Reshape", stacked, g.op("Concat", rows, width, axis=0))
    container.add_node(
        "Cast", flat, operator.outputs[0].full_name, to=TensorProto.FLOAT,
        name=scope.get_unique_operator_name("Cast"),
    )


def _ints(g: _Graph, values: list[int]) -> str:
    from onnx import TensorProto

    name = g.scope.get_unique_variable_name("i")
    g.container.add_initializer(name, TensorProto.INT64, [len(values)], values)
    return name
