"""Small ONNX graph-building helpers shared by our converters (typed constants,
casts, nodes with fresh names)."""

from __future__ import annotations

from typing import Any


def cast(container: Any, scope: Any, name: str, to: int) -> str:
    out = scope.get_unique_variable_name("cast")
    container.add_node("Cast", name, out, to=to, name=scope.get_unique_operator_name("Cast"))
    return out


def const(scope: Any, container: Any, value: Any) -> str:
    """A Constant node holding ``value`` (numbers or strings)."""
    from onnx import numpy_helper

    name = scope.get_unique_variable_name("const")
    container.add_node(
        "Constant", [], [name], value=numpy_helper.from_array(value, name),
        name=scope.get_unique_operator_name("Constant"),
    )
    return name


def scalar(scope: Any, container: Any, value: Any, onnx_type: int) -> str:
    name = scope.get_unique_variable_name("c")
    container.add_initializer(name, onnx_type, [], [value])
    return name


def node(scope: Any, container: Any, kind: str, inputs: list[str], out: str | None = None,
          **attrs: Any) -> str:
    out = out or scope.get_unique_variable_name(kind.lower())
    container.add_node(kind, inputs, out, name=scope.get_unique_operator_name(kind), **attrs)
    return out


class Graph:
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


def ints(g: Graph, values: list[int]) -> str:
    from onnx import TensorProto

    name = g.scope.get_unique_variable_name("i")
    g.container.add_initializer(name, TensorProto.INT64, [len(values)], values)
    return name
