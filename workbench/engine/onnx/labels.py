"""The classifier graph's ``label`` output holds the original class values.

skl2onnx's classifiers output the class *code* (0..K-1, the index into
``probabilities``' columns).  Another program reading that has to find the
class list in the metadata to make sense of it, so the export appends one
``Gather(classes, code)`` node: ``label`` then holds "Adelie" / "yes" for a
string target, 3 / 5 / 7 for an integer target, in the same order as the
probability columns and the ``classes`` metadata.

Files exported before this change (``workbench_format`` 1) hold codes; the
metadata key :data:`LABEL_VALUES_KEY` tells them apart, and
:func:`labels_from_output` reads both.  This module imports only numpy at
import time (the ONNX predictor uses it and must stay light).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

# metadata key -> "classes" when ``label`` holds class values (format 2+);
# absent in older files, whose ``label`` holds codes.
LABEL_VALUES_KEY = "label_values"
LABEL_HOLDS_CLASSES = "classes"
# The name the original code output gets inside the graph.
CODE_OUTPUT = "label_code"


def class_tensor(classes: Sequence[Any]) -> np.ndarray:
    """The class values as the array the graph stores.

    Integers (and booleans) stay integers, floats stay floats, anything else
    (strings, mixed) becomes strings, matching the ``classes`` metadata.
    """
    values = list(classes)
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.asarray(values, dtype=bool)
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values):
        return np.asarray(values, dtype=np.int64)
    if values and all(isinstance(v, (int, float, np.integer, np.floating)) for v in values):
        return np.asarray(values, dtype=np.float64)
    return np.asarray([str(v) for v in values], dtype=object)


def add_class_label_output(onx: Any, classes: Sequence[Any]) -> None:
    """Rewrite ``onx`` in place so its ``label`` output holds class values."""
    from onnx import numpy_helper
    from onnx.helper import make_node, np_dtype_to_tensor_dtype

    outputs = {o.name: o for o in onx.graph.output}
    if "label" not in outputs or not classes:
        return
    taken = {n for node in onx.graph.node for n in list(node.input) + list(node.output)}
    taken |= {i.name for i in onx.graph.initializer}
    code, table = CODE_OUTPUT, "label_classes"
    while code in taken or table in taken:
        code, table = code + "_", table + "_"
    for node in onx.graph.node:
        node.output[:] = [code if n == "label" else n for n in node.output]
        node.input[:] = [code if n == "label" else n for n in node.input]
    values = class_tensor(classes)
    onx.graph.initializer.append(numpy_helper.from_array(values, name=table))
    onx.graph.node.append(make_node("Gather", [table, code], ["label"], axis=0, name="LabelFromClassCode"))
    elem = 8 if values.dtype == object else np_dtype_to_tensor_dtype(values.dtype)  # 8 = STRING
    outputs["label"].type.tensor_type.elem_type = elem


def labels_from_output(label: np.ndarray, classes: Sequence[Any], holds_classes: bool) -> np.ndarray:
    """The ``label`` output as an object array of class values.

    ``holds_classes`` False: an older file whose label holds codes, mapped
    through ``classes``.  A string tensor always holds values.
    """
    flat = np.asarray(label).ravel()
    if holds_classes or flat.dtype.kind in "OUS" or not classes:
        return flat.astype(object)
    return np.asarray(classes, dtype=object)[flat.astype(np.int64)]


def class_codes(labels: np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    """Class values -> their codes (index in ``classes``); -1 for a value not in it."""
    lookup = {(c.item() if isinstance(c, np.generic) else c): i for i, c in enumerate(classes)}
    return np.fromiter(
        (lookup.get(v.item() if isinstance(v, np.generic) else v, -1) for v in np.asarray(labels).ravel()),
        dtype=np.int64,
    )
