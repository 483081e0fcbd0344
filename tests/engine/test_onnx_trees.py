"""Big tree ensembles are exported as one TreeEnsemble node per few trees.

The split graph must predict what the one-node graph predicts (and what the
native model predicts): same inputs, same outputs, probabilities equal to
float32 summation rounding, labels equal except exact ties.
"""

from __future__ import annotations

import copy

import numpy as np
import onnxruntime as ort
import pytest

from workbench.engine.onnx import trees as onnx_trees
from workbench.engine.onnx.export import convert_model, export_onnx
from workbench.engine.onnx.labels import class_codes
from workbench.engine.onnx.parity import onnx_feeds
from workbench.engine.onnx.trees import split_tree_ensembles

from onnx_helpers import mixed_frame, train

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def frame():
    return mixed_frame(400, seed=5)


def _outputs(onx, model, rows):
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, onnx_feeds(model, model.coerce(rows)))))


def _tree_nodes(onx):
    return sum(1 for n in onx.graph.node if n.op_type.startswith("TreeEnsemble"))


CASES = [
    ("random_forest", "classification", "species", True),   # 3 classes: probabilities summed
    ("random_forest", "classification", "sex", True),       # 2 classes: the "binary" layout
    ("extra_trees", "classification", "species", True),
    ("random_forest", "regression", "mass", True),
    ("extra_trees", "regression", "mass", True),
    ("gradient_boosting", "regression", "mass", True),      # SUM with a base value
    ("gradient_boosting", "classification", "sex", False),  # LOGISTIC transform: left alone
    ("xgboost", "classification", "species", False),        # SOFTMAX transform: left alone
]


@pytest.mark.parametrize(("key", "task", "target", "splits"), CASES)
def test_split_graph_predicts_like_the_one_node_graph(key, task, target, splits, frame):
    model = train(key, task, frame.iloc[:300], target=target, params={"max_depth": 8})
    whole = convert_model(model)
    parts = copy.deepcopy(whole)
    assert split_tree_ensembles(parts, min_nodes=0, chunk_nodes=1) == (1 if splits else 0)
    if not splits:
        assert parts == whole
        return
    assert _tree_nodes(parts) == 12  # one node per tree (SMALL_PARAMS: 12 estimators)
    assert [i.name for i in parts.graph.input] == [i.name for i in whole.graph.input]
    assert [o.name for o in parts.graph.output] == [o.name for o in whole.graph.output]

    rows = frame.iloc[300:]
    a, b = _outputs(whole, model, rows), _outputs(parts, model, rows)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].shape == b[name].shape and a[name].dtype == b[name].dtype, name
    if task == "regression":
        np.testing.assert_allclose(b["variable"], a["variable"], rtol=1e-6)
        native = model.pipeline.predict(model.coerce(rows))
        np.testing.assert_allclose(b["variable"].ravel(), native, rtol=1e-4)
        return
    np.testing.assert_allclose(b["probabilities"], a["probabilities"], atol=1e-6)
    top2 = np.sort(a["probabilities"], axis=1)[:, -2:]
    tie = top2[:, 1] - top2[:, 0] <= 1e-6
    assert np.array_equal(a["label"][~tie], b["label"][~tie])
    # and the labels are the native model's (argmax, first class on ties)
    native = model.pipeline.predict_proba(model.coerce(rows))
    native_tie = np.abs(np.sort(native, axis=1)[:, -1] - np.sort(native, axis=1)[:, -2]) <= 1e-6
    codes = class_codes(b["label"], model.classes)  # the label output holds class values
    assert np.array_equal(codes[~native_tie], native.argmax(axis=1)[~native_tie])


def test_chunks_hold_whole_trees_up_to_the_node_budget(frame):
    model = train("random_forest", "classification", frame.iloc[:300], target="species")
    onx = convert_model(model)
    node = next(n for n in onx.graph.node if n.op_type == "TreeEnsembleClassifier")
    tree_ids = np.array(next(a for a in node.attribute if a.name == "nodes_treeids").ints)
    per_tree = np.bincount(tree_ids)
    budget = int(per_tree[:3].sum())  # about three trees per chunk
    split_tree_ensembles(onx, min_nodes=0, chunk_nodes=budget)
    chunks = [n for n in onx.graph.node if n.op_type.startswith("TreeEnsemble")]
    seen = []
    for chunk in chunks:
        ids = np.array(next(a for a in chunk.attribute if a.name == "nodes_treeids").ints)
        trees = np.unique(ids)
        seen.extend(trees.tolist())
        assert len(ids) == per_tree[trees].sum()  # whole trees only
        assert len(ids) <= budget or len(trees) == 1
    assert seen == list(range(len(per_tree)))  # every tree once, in order
    assert 1 < len(chunks) < len(per_tree)


def test_small_ensembles_stay_one_node(frame):
    model = train("random_forest", "classification", frame.iloc[:300], target="species")
    onx = convert_model(model)  # default threshold: a 12-tree toy forest is far below it
    assert _tree_nodes(onx) == 1


def test_export_of_a_split_forest_passes_the_parity_check(frame, tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_trees, "SPLIT_MIN_NODES", 0)
    monkeypatch.setattr(onnx_trees, "CHUNK_NODES", 1)
    model = train("random_forest", "classification", frame.iloc[:300], target="sex")
    report = export_onnx(model, tmp_path / "rf.onnx", X_check=frame.iloc[300:])
    assert report["parity"]["within_tolerance"], report["parity"]
    import onnx

    assert _tree_nodes(onnx.load(tmp_path / "rf.onnx")) == 12
