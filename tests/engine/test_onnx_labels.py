"""A classifier's ONNX ``label`` output holds the original class values, so a
program that knows nothing of the workbench reads "Adelie" (or 5), not a code."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest

from workbench.engine.onnx.export import convert_model, export_onnx
from workbench.engine.onnx.parity import check_parity
from workbench.engine.onnx.predict import OnnxPredictor

from onnx_helpers import mixed_frame, train

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def frame():
    return mixed_frame(360, seed=5)


def _raw_outputs(path, model, rows):
    """Run the file with plain onnxruntime, feeding columns by hand."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    coerced = model.coerce(rows)
    feeds = {}
    for i in session.get_inputs():
        col = coerced[i.name].to_numpy()
        feeds[i.name] = (np.asarray(col, dtype=object) if "string" in i.type
                         else col.astype(np.float32)).reshape(-1, 1)
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))


@pytest.mark.parametrize("key", ["xgboost", "random_forest", "logistic_regression"])
def test_string_target_label_is_the_class_name(key, frame, tmp_path):
    model = train(key, "classification", frame.iloc[:280])
    export_onnx(model, tmp_path / "m.onnx", X_check=frame.iloc[280:])
    new = frame.iloc[280:]
    out = _raw_outputs(tmp_path / "m.onnx", model, new)
    labels = list(out["label"].ravel())
    assert set(labels) <= {"Adelie", "Chinstrap", "Gentoo"}
    native = model.predict(new)
    assert np.mean(np.asarray(labels, dtype=object) == native) >= 0.99
    # label agrees with the probability columns, which follow the classes metadata
    meta = ort.InferenceSession(str(tmp_path / "m.onnx")).get_modelmeta().custom_metadata_map
    classes = json.loads(meta["classes"])
    argmax = [classes[i] for i in out["probabilities"].argmax(axis=1)]
    assert np.mean(np.asarray(argmax, dtype=object) == np.asarray(labels, dtype=object)) >= 0.99
    assert meta["label_values"] == "classes"


def test_integer_target_label_is_the_integer(frame, tmp_path):
    df = frame.assign(grade=np.select([frame["species"] == "Adelie", frame["species"] == "Gentoo"], [3, 7], 5))
    df = df.drop(columns=["species"])
    model = train("logistic_regression", "classification", df.iloc[:280], target="grade")
    assert model.classes == [3, 5, 7]
    report = export_onnx(model, tmp_path / "m.onnx", X_check=df.iloc[280:])
    assert report["parity"]["within_tolerance"], report["parity"]
    out = _raw_outputs(tmp_path / "m.onnx", model, df.iloc[280:])
    assert out["label"].dtype == np.int64
    assert set(out["label"].ravel().tolist()) <= {3, 5, 7}
    np.testing.assert_array_equal(out["label"].ravel(), model.predict(df.iloc[280:]).astype(np.int64))
    predicted = OnnxPredictor(tmp_path / "m.onnx").predict(df.iloc[280:])
    assert list(predicted) == list(model.predict(df.iloc[280:]))


def test_parity_catches_a_label_output_that_disagrees(frame):
    model = train("logistic_regression", "classification", frame.iloc[:280])
    onx = convert_model(model)
    # Swap two class values in the graph's table: probabilities stay right,
    # only the label output is wrong, and parity must say so.
    (table,) = [t for t in onx.graph.initializer if t.name == "label_classes"]
    values = onnx.numpy_helper.to_array(table).copy()
    values[[0, 2]] = values[[2, 0]]
    table.CopyFrom(onnx.numpy_helper.from_array(values, name="label_classes"))
    parity = check_parity(model, onx.SerializeToString(), frame.iloc[280:])
    assert parity["label_mismatches"] > 0
    assert not parity["within_tolerance"]


def test_files_exported_with_codes_still_predict_class_names(frame, tmp_path, monkeypatch):
    """A format-1 file (label = code, no label_values key) keeps working."""
    from workbench.engine.onnx import labels

    model = train("random_forest", "classification", frame.iloc[:280])
    monkeypatch.setattr(labels, "add_class_label_output", lambda onx, classes: None)
    export_onnx(model, tmp_path / "old.onnx")
    onx = onnx.load(tmp_path / "old.onnx")
    kept = [p for p in onx.metadata_props if p.key != "label_values"]
    del onx.metadata_props[:]
    onx.metadata_props.extend(kept)
    onnx.save(onx, tmp_path / "old.onnx")
    assert _raw_outputs(tmp_path / "old.onnx", model, frame.iloc[280:])["label"].dtype == np.int64

    predicted = OnnxPredictor(tmp_path / "old.onnx").predict_frame(frame.iloc[280:])["prediction"]
    assert (predicted.to_numpy() == model.predict(frame.iloc[280:])).mean() >= 0.99


def test_cli_predict_with_model_writes_class_names(frame, tmp_path):
    from workbench.cli import main

    model = train("xgboost", "classification", frame.iloc[:280])
    export_onnx(model, tmp_path / "m.onnx")
    frame.iloc[280:].drop(columns=["species"]).to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", "--model", str(tmp_path / "m.onnx"), str(tmp_path / "new.csv"),
                 "-o", str(tmp_path / "out.csv")]) == 0
    written = pd.read_csv(tmp_path / "out.csv")
    assert set(written["prediction"]) <= {"Adelie", "Chinstrap", "Gentoo"}
    assert (written["prediction"].to_numpy() == model.predict(frame.iloc[280:])).mean() >= 0.99
