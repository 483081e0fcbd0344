"""Split a big tree ensemble in an ONNX graph into one node per few trees.

Why: onnxruntime's TreeEnsemble kernel evaluates a batch in blocks of 128
rows (a constant in its source), and for each block walks *every* tree of
the node.  A 100-tree random forest grown on 200k rows has ~2M nodes (~40 MB
in onnxruntime's layout), so each block finds the trees evicted from cache
again and the forest ran 2x slower than scikit-learn, which walks one tree
over all the rows.  With one node per tree (or per few small trees) each
kernel call keeps its tree in the core's L2 cache for the whole batch:
measured 3-5x faster on 1M rows (bench/inference.py), and the graph still
has the same inputs and the same ``label``/``probabilities``/``variable``
outputs.

Each chunk is a ``TreeEnsembleRegressor`` that sums its trees' leaf
weights (one float per row and target: no per-chunk label, no second
probability column to write), and the chunks are added in tree order: a
float32 sum, as the kernel adds trees.  Outputs agree with the one-node
graph to float32 rounding of the summation order (the kernel's own order
already depends on its thread count).  Only plain sums are split:

* ``TreeEnsembleClassifier`` with integer class labels, no base values,
  ``post_transform`` NONE, and either more than two classes (probabilities
  summed, label = first class of highest probability) or the "binary" layout
  scikit-learn converters write (weights of one class only, all >= 0:
  probability of class 1 summed, label = class 1 when it is > 0.5);
* ``TreeEnsembleRegressor`` with ``aggregate_function`` SUM and
  ``post_transform`` NONE (base values kept on the first chunk).

Anything else is left as it is.  Only onnx is imported (by the caller).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Split when an ensemble has more nodes than this (about 4 MB in onnxruntime's
# 20-byte node layout: beyond what a core's cache keeps).  Small ensembles
# (XGBoost with depth 6, a few shallow trees) stay one node: splitting would
# only add per-node overhead to every call.
SPLIT_MIN_NODES = 200_000
# Nodes per chunk: whole trees, as many as fit in about this many nodes
# (~400 KB, a fraction of a 2 MB L2 cache); one tree per chunk at least.
CHUNK_NODES = 20_000

_WEIGHT_FIELDS = {
    "TreeEnsembleClassifier": ("class_ids", "class_nodeids", "class_treeids", "class_weights",
                               "class_weights_as_tensor"),
    "TreeEnsembleRegressor": ("target_ids", "target_nodeids", "target_treeids", "target_weights",
                              "target_weights_as_tensor"),
}
_TREE_ID_FIELD = {"TreeEnsembleClassifier": "class_treeids", "TreeEnsembleRegressor": "target_treeids"}


def split_tree_ensembles(onx: Any, *, min_nodes: int | None = None,
                         chunk_nodes: int | None = None) -> int:
    """Split every big, plainly-summed tree ensemble node of ``onx`` in place.

    ``min_nodes`` / ``chunk_nodes`` default to :data:`SPLIT_MIN_NODES` and
    :data:`CHUNK_NODES`.  Returns the number of nodes split (0: unchanged).
    """
    min_nodes = SPLIT_MIN_NODES if min_nodes is None else min_nodes
    chunk_nodes = CHUNK_NODES if chunk_nodes is None else chunk_nodes
    graph = onx.graph
    main_opset = next((o.version for o in onx.opset_import if o.domain in ("", "ai.onnx")), 0)
    if main_opset < 13:  # Slice/Squeeze with axes as inputs
        return 0
    names = _NameMaker(graph)
    new_nodes: list[Any] = []
    split = 0
    for node in graph.node:
        replacement = None
        if node.domain == "ai.onnx.ml" and node.op_type in _WEIGHT_FIELDS:
            replacement = _split_node(node, graph, names, min_nodes, chunk_nodes)
        if replacement is None:
            new_nodes.append(node)
        else:
            new_nodes.extend(replacement)
            split += 1
    if split:
        del graph.node[:]
        graph.node.extend(new_nodes)
    return split


class _NameMaker:
    """Fresh value/node names that clash with nothing in the graph."""

    def __init__(self, graph: Any) -> None:
        used: set[str] = set()
        for n in graph.node:
            used.update(n.input)
            used.update(n.output)
            used.add(n.name)
        used.update(v.name for v in list(graph.input) + list(graph.output) + list(graph.initializer)
                    + list(graph.value_info))
        self.used = used

    def __call__(self, base: str) -> str:
        k = 0
        name = base
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name


def _attrs(node: Any) -> dict[str, Any]:
    return {a.name: a for a in node.attribute}


def _ints(attr: Any) -> np.ndarray:
    return np.fromiter(attr.ints, dtype=np.int64, count=len(attr.ints))


def _chunks(tree_ids: np.ndarray, chunk_nodes: int) -> list[tuple[int, int]] | None:
    """Node index ranges [lo, hi) of consecutive whole trees, ~chunk_nodes each."""
    if len(tree_ids) == 0 or np.any(np.diff(tree_ids) < 0):
        return None  # trees not stored one after another: leave the node alone
    starts = np.flatnonzero(np.r_[True, np.diff(tree_ids) != 0])
    ends = np.r_[starts[1:], len(tree_ids)]
    ranges: list[tuple[int, int]] = []
    lo = int(starts[0])
    for s, e in zip(starts, ends):
        if e - lo > chunk_nodes and s > lo:
            ranges.append((lo, int(s)))
            lo = int(s)
    ranges.append((lo, len(tree_ids)))
    return ranges


def _split_node(node: Any, graph: Any, names: _NameMaker, min_nodes: int,
                chunk_nodes: int) -> list[Any] | None:
    from onnx import AttributeProto, helper, numpy_helper

    a = _attrs(node)
    kind = node.op_type
    if "nodes_treeids" not in a or len(a["nodes_treeids"].ints) < max(min_nodes, 2):
        return None
    if a.get("post_transform") is not None and a["post_transform"].s not in (b"NONE", b""):
        return None
    labels: list[int] = []
    if kind == "TreeEnsembleClassifier":
        if "classlabels_strings" in a or "classlabels_int64s" not in a or len(node.output) < 2:
            return None
        if "base_values" in a or "base_values_as_tensor" in a or "class_weights" not in a:
            return None
        labels = list(a["classlabels_int64s"].ints)
        class_ids = _ints(a["class_ids"])
        if len(labels) > 2 and class_ids.min() >= 0 and class_ids.max() < len(labels):
            mode, n_targets = "multiclass", len(labels)
        elif (len(labels) == 2 and len(np.unique(class_ids)) == 1
              and np.all(np.asarray(a["class_weights"].floats) >= 0)):
            mode, n_targets = "binary", 1
        else:
            return None
    else:
        agg = a.get("aggregate_function")
        if agg is not None and agg.s != b"SUM":
            return None
        mode = "regression"
        n_targets = a["n_targets"].i if "n_targets" in a else 1

    node_trees = _ints(a["nodes_treeids"])
    weight_trees = _ints(a[_TREE_ID_FIELD[kind]])
    ranges = _chunks(node_trees, chunk_nodes)
    if ranges is None or len(ranges) < 2 or np.any(np.diff(weight_trees) < 0):
        return None
    node_fields = [n for n in a if n.startswith("nodes_")]
    if {len(_values(a[n])) for n in node_fields} != {len(node_trees)}:
        return None  # optional per-node attributes of another length: unusual, leave it
    # Every chunk is a TreeEnsembleRegressor summing its trees' leaf weights
    # (for a classifier: the class weights, i.e. its share of the
    # probabilities): one float per row and target, no label per chunk.
    weight_fields = {src: dst for src, dst in zip(
        _WEIGHT_FIELDS[kind], _WEIGHT_FIELDS["TreeEnsembleRegressor"]) if src in a}
    if mode == "binary":
        fixed: dict[str, Any] = {"n_targets": 1}  # all weights are of one class: target 0
    else:
        fixed = {"n_targets": n_targets}

    prefix = node.name or kind
    chunk_outputs: list[str] = []
    out: list[Any] = []
    for k, (lo, hi) in enumerate(ranges):
        w_lo = int(np.searchsorted(weight_trees, node_trees[lo], side="left"))
        w_hi = int(np.searchsorted(weight_trees, node_trees[hi - 1], side="right"))
        value = names(f"{prefix}_trees{k}")
        chunk = helper.make_node("TreeEnsembleRegressor", list(node.input), [value], domain="ai.onnx.ml",
                                 name=names(f"{prefix}_trees{k}"), aggregate_function="SUM",
                                 post_transform="NONE", **fixed)
        if mode == "regression" and k == 0:
            for n in ("base_values", "base_values_as_tensor"):
                if n in a:  # added once, by the first chunk
                    chunk.attribute.append(a[n])
        slices = [(n, n, lo, hi) for n in node_fields]
        slices += [(src, dst, w_lo, w_hi) for src, dst in weight_fields.items()]
        for src_name, dst_name, s, e in slices:
            src = a[src_name]
            attr = AttributeProto()
            attr.name = dst_name
            attr.type = src.type
            if mode == "binary" and src_name == "class_ids":
                attr.ints.extend([0] * (e - s))
            elif src.type == AttributeProto.INTS:
                attr.ints.extend(src.ints[s:e])
            elif src.type == AttributeProto.FLOATS:
                attr.floats.extend(src.floats[s:e])
            elif src.type == AttributeProto.STRINGS:
                attr.strings.extend(src.strings[s:e])
            elif src.type == AttributeProto.TENSOR:
                arr = numpy_helper.to_array(src.t)
                attr.t.CopyFrom(numpy_helper.from_array(arr[s:e], src.t.name))
            else:
                return None
            chunk.attribute.append(attr)
        chunk_outputs.append(value)
        out.append(chunk)

    def const(value: np.ndarray, base: str) -> str:
        name = names(f"{prefix}_{base}")
        graph.initializer.append(numpy_helper.from_array(value, name))
        return name

    if mode == "regression":
        out.append(helper.make_node("Sum", chunk_outputs, [node.output[0]], name=names(f"{prefix}_sum")))
        return out
    label_out, proba_out = node.output[0], node.output[1]
    if mode == "multiclass":
        # Probabilities are the summed class weights; the label is the first
        # class of highest probability, as the kernel picks it.
        out.append(helper.make_node("Sum", chunk_outputs, [proba_out], name=names(f"{prefix}_sum")))
        argmax = names(f"{prefix}_argmax")
        out.append(helper.make_node("ArgMax", [proba_out], [argmax], axis=1, keepdims=0,
                                    name=names(f"{prefix}_argmax")))
        out.append(helper.make_node("Gather", [const(np.asarray(labels, dtype=np.int64), "labels"), argmax],
                                    [label_out], axis=0, name=names(f"{prefix}_label")))
        return out
    # Binary: the weights are the second class's probability s; the kernel
    # writes [1 - s, s] and picks the second class when s > 0.5.
    total = names(f"{prefix}_positive")
    out.append(helper.make_node("Sum", chunk_outputs, [total], name=names(f"{prefix}_sum")))
    negative = names(f"{prefix}_negative")
    out.append(helper.make_node("Sub", [const(np.array(1.0, dtype=np.float32), "one"), total], [negative],
                                name=names(f"{prefix}_complement")))
    out.append(helper.make_node("Concat", [negative, total], [proba_out], axis=1, name=names(f"{prefix}_proba")))
    above = names(f"{prefix}_above")
    out.append(helper.make_node("Greater", [total, const(np.array(0.5, dtype=np.float32), "half")], [above],
                                name=names(f"{prefix}_greater")))
    picked = names(f"{prefix}_picked")
    out.append(helper.make_node("Where", [above, const(np.array(labels[1], dtype=np.int64), "positive_label"),
                                          const(np.array(labels[0], dtype=np.int64), "negative_label")],
                                [picked], name=names(f"{prefix}_where")))
    axes = const(np.array([1], dtype=np.int64), "axes")
    out.append(helper.make_node("Squeeze", [picked, axes], [label_out], name=names(f"{prefix}_squeeze")))
    return out


def _values(attr: Any) -> Any:
    from onnx import AttributeProto

    if attr.type == AttributeProto.INTS:
        return attr.ints
    if attr.type == AttributeProto.FLOATS:
        return attr.floats
    if attr.type == AttributeProto.STRINGS:
        return attr.strings
    if attr.type == AttributeProto.TENSOR:
        return range(int(np.prod(attr.t.dims)) if attr.t.dims else 0)
    return ()
