"""skl2onnx converters for our estimators and for scikit-learn's that skl2onnx
lacks or gets wrong for us: MixedNB, SGDClassifier, the dummy baselines, and
the target-standardizing wrappers (``learners.target_scaling``)."""

from __future__ import annotations

from typing import Any

from workbench.engine.onnx import graph_ops as ops


def register_learner_converters() -> None:
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
    x = ops.cast(container, scope, operator.inputs[0].full_name, TensorProto.DOUBLE)
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
        xg = node("Gather", [x, ops.const(scope, container, gaussian)], axis=1)
        xg3 = node("Unsqueeze", [xg, ops.const(scope, container, np.array([1], np.int64))])  # N,1,G
        diff = node("Sub", [xg3, ops.const(scope, container, np.asarray(op.theta_, np.float64)[None])])  # N,K,G
        weighted = node("Mul", [node("Mul", [diff, diff]),
                                ops.const(scope, container, (-0.5 / np.asarray(op.var_, np.float64))[None])])
        terms.append(node("ReduceSum", [weighted, ops.const(scope, container, np.array([2], np.int64))], keepdims=0))
    if len(binary):
        flp = np.asarray(op.feature_log_prob_, np.float64)
        log_no = np.log1p(-np.exp(flp))
        const += log_no.sum(axis=1)
        xb = node("Gather", [x, ops.const(scope, container, binary)], axis=1)
        terms.append(node("MatMul", [xb, ops.const(scope, container, (flp - log_no).T.copy())]))
    jll = ops.const(scope, container, const.reshape(1, k))
    for term in terms:
        jll = node("Add", [jll, term])
    proba = node("Softmax", [jll], axis=1)
    container.add_node("Cast", [proba], [operator.outputs[1].full_name], to=TensorProto.FLOAT,
                       name=scope.get_unique_operator_name("Cast"))
    code = node("ArgMax", [jll], axis=1, keepdims=0)
    classes = np.asarray(op.classes_)
    table = classes.astype(np.int64) if classes.dtype.kind in "iub" else classes.astype(str).astype(object)
    container.add_node("Gather", [ops.const(scope, container, table), code], [operator.outputs[0].full_name], axis=0,
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
    g = ops.Graph(scope, container)
    # The scores in the precision native decision_function uses (scikit-learn
    # keeps float32 coefficients for float32 data), then double from there.
    dtype: Any
    if np.asarray(op.coef_).dtype == np.float32:
        x, dtype = operator.inputs[0].full_name, np.float32
    else:
        x, dtype = ops.cast(container, scope, operator.inputs[0].full_name, TensorProto.DOUBLE), np.float64
    coef = np.asarray(op.coef_, dtype=dtype)
    raw = g.op("Add", g.op("MatMul", x, ops.const(scope, container, coef.T.copy())),
               ops.const(scope, container, np.asarray(op.intercept_, dtype=dtype).reshape(1, -1)))
    scores = g.op("Cast", raw, to=TensorProto.DOUBLE) if dtype == np.float32 else raw
    binary = coef.shape[0] == 1
    if binary:
        # decision_function is scores[:, 0]; predict: class 1 where it is > 0.
        code = g.op("Cast", g.op("Greater", scores, 0.0), to=TensorProto.INT64)
        code = g.op("Reshape", code, ops.const(scope, container, np.array([-1], np.int64)))
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
        total = g.op("ReduceSum", p, ops.const(scope, container, np.array([1], np.int64)), keepdims=1)
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
    container.add_node("Gather", [ops.const(scope, container, table), code], [operator.outputs[0].full_name], axis=0,
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
        "Slice", [shape, ops.const(scope, container, np.array([0], np.int64)),
                  ops.const(scope, container, np.array([1], np.int64))], [n],
        name=scope.get_unique_operator_name("Slice"),
    )
    target = scope.get_unique_variable_name("target_shape")
    container.add_node(
        "Concat", [n, ops.const(scope, container, np.array([row.shape[1]], np.int64))], [target], axis=0,
        name=scope.get_unique_operator_name("Concat"),
    )
    container.add_node(
        "Expand", [ops.const(scope, container, row), target], [out], name=scope.get_unique_operator_name("Expand"),
    )


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
        "Reshape", [wide, ops.const(scope, container, np.array([-1], np.int64))], [operator.outputs[0].full_name],
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
