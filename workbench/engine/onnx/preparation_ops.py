"""skl2onnx converters (and shape calculators) for our preparation transformers
(``training.preparation``: ToFloat32, DatetimeFeatures, Clip, MissingValues,
ParseNumbers)."""

from __future__ import annotations

from typing import Any

from workbench.engine.onnx import graph_ops as ops

# The order DatetimeFeatures emits its parts in, per input column (the same
# tuple as preparation.DATETIME_PARTS; repeated so importing this module does
# not import scikit-learn).
DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour")


def register_preparation_converters() -> None:
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
        x = ops.cast(container, scope, x, TensorProto.FLOAT)
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
            x = ops.cast(container, scope, x, TensorProto.FLOAT)
        values = [float(v) for v in op.values]
        onnx_type, missing = TensorProto.FLOAT, float("nan")
    mask = None
    for value in values:
        hit = ops.node(scope, container, "Equal", [x, ops.scalar(scope, container, value, onnx_type)])
        mask = hit if mask is None else ops.node(scope, container, "Or", [mask, hit])
    if mask is None:  # nothing declared: pass through
        ops.node(scope, container, "Identity", [x], operator.outputs[0].full_name)
        return
    ops.node(scope, container, "Where", [mask, ops.scalar(scope, container, missing, onnx_type), x],
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
    empty = ops.node(scope, container, "Equal", [x, ops.scalar(scope, container, "", TensorProto.STRING)])
    text = ops.node(scope, container, "Where", [empty, ops.scalar(scope, container, "NaN", TensorProto.STRING), x])
    number = ops.node(scope, container, "Cast", [text], to=TensorProto.FLOAT)
    infinite = ops.node(scope, container, "IsInf", [number])
    nan = ops.scalar(scope, container, float("nan"), TensorProto.FLOAT)
    ops.node(scope, container, "Where", [infinite, nan, number], operator.outputs[0].full_name)


def _convert_datetime_features(scope: Any, operator: Any, container: Any) -> None:
    """Civil-from-days in float64, the same operations as the native code.

    Mirrors :func:`workbench.engine.training.preparation.civil_from_days` step by
    step.  The input (float32 days since 1970-01-01) is widened to float64
    as numpy does; every intermediate is an integer-valued double far below
    2**53, so the graph reproduces numpy bit for bit, and NaN (a missing
    date) stays NaN through every operation.
    """
    from onnx import TensorProto

    g = ops.Graph(scope, container)
    parts = _datetime_parts(operator.raw_operator)
    days = ops.cast(container, scope, operator.inputs[0].full_name, TensorProto.DOUBLE)
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
    stacked = g.op("Concat", *[g.op("Unsqueeze", o, ops.ints(g, [2])) for o in outputs], axis=2)
    shape = g.op("Shape", days)
    rows = g.op("Slice", shape, ops.ints(g, [0]), ops.ints(g, [1]))
    width = g.op("Mul", g.op("Slice", shape, ops.ints(g, [1]), ops.ints(g, [2])), ops.ints(g, [len(parts)]))
    flat = g.op("Reshape", stacked, g.op("Concat", rows, width, axis=0))
    container.add_node(
        "Cast", flat, operator.outputs[0].full_name, to=TensorProto.FLOAT,
        name=scope.get_unique_operator_name("Cast"),
    )
