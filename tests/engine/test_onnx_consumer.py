"""The exported model works outside the workbench: the stand-alone example
program and OnnxPredictor give the native model's predictions, without
scikit-learn, XGBoost or the training code."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.engine.errors import DataError
from workbench.engine.onnx.export import export_onnx
from workbench.engine.onnx.predict import OnnxPredictor, predict_onnx_to_csv

from onnx_helpers import mixed_frame, train

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = ROOT / "examples" / "onnx_consumer.py"
HEAVY = ("sklearn", "xgboost", "skl2onnx", "onnxmltools", "scipy")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A classifier and a regressor exported, plus a CSV of unseen rows."""
    folder = tmp_path_factory.mktemp("onnx")
    frame = mixed_frame(500, seed=3)
    train_rows, new_rows = frame.iloc[:350], frame.iloc[350:].drop(columns=["species", "sex", "mass"])
    models = {
        "classification": train("random_forest", "classification", train_rows),
        "regression": train("gradient_boosting", "regression", train_rows),
    }
    for task, model in models.items():
        export_onnx(model, folder / f"{task}.onnx", X_check=frame.iloc[350:])
    csv_path = folder / "new.csv"
    new_rows.to_csv(csv_path, index=False)
    return folder, models, csv_path


def _run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_consumer_program_alone_matches_native(task, exported):
    folder, models, csv_path = exported
    out = folder / f"consumer_{task}.csv"
    # Run the example's own main() in a fresh interpreter, then prove that
    # nothing from the training stack was imported along the way.
    code = (
        "import runpy, sys, json\n"
        f"sys.argv = ['onnx_consumer.py', sys.argv[1], sys.argv[2], sys.argv[3]]\n"
        f"runpy.run_path({str(CONSUMER)!r}, run_name='__main__')\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY + ('workbench', 'pandas')!r}]\n"
        "print(json.dumps(heavy))\n"
    )
    done = _run_python(code, str(folder / f"{task}.onnx"), str(csv_path), str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []

    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    native = models[task].predict(pd.read_csv(csv_path))
    assert len(rows) == len(native)
    if task == "classification":
        agree = np.mean([r["prediction"] == str(p) for r, p in zip(rows, native)])
        assert agree >= 0.99
        assert {"proba_Adelie", "proba_Chinstrap", "proba_Gentoo"} <= set(rows[0])
    else:
        got = np.array([float(r["prediction"]) for r in rows])
        np.testing.assert_allclose(got, native, rtol=1e-4)


def test_predictor_frame_has_native_layout(exported):
    folder, models, csv_path = exported
    data = pd.read_csv(csv_path)
    for task, model in models.items():
        native = model.prediction_frame(data)
        got = OnnxPredictor(folder / f"{task}.onnx").predict_frame(data, batch_rows=37)
        assert list(got.columns) == list(native.columns)
        if task == "classification":
            assert (got["prediction"] == native["prediction"]).mean() >= 0.99
            proba_cols = [c for c in native.columns if c.startswith("proba_")]
            np.testing.assert_allclose(got[proba_cols], native[proba_cols], atol=1e-5)
        else:
            np.testing.assert_allclose(got["prediction"], native["prediction"], rtol=1e-4)


def test_predictor_names_the_missing_column(exported):
    folder, _, csv_path = exported
    data = pd.read_csv(csv_path).drop(columns=["island"])
    with pytest.raises(DataError, match="island"):
        OnnxPredictor(folder / "classification.onnx").predict_frame(data)


def test_predict_to_csv_without_training_libraries(exported):
    folder, models, csv_path = exported
    out = folder / "predicted.csv"
    code = (
        "import sys, json\n"
        "from workbench.engine.onnx.predict import predict_onnx_to_csv\n"
        "report = predict_onnx_to_csv(sys.argv[1], sys.argv[2], sys.argv[3])\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print(json.dumps({'rows': report['rows'], 'heavy': heavy}))\n"
    )
    done = _run_python(code, str(folder / "classification.onnx"), str(csv_path), str(out))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    written = pd.read_csv(out)
    assert result["rows"] == len(written) == len(pd.read_csv(csv_path))
    native = models["classification"].predict(pd.read_csv(csv_path))
    assert (written["prediction"].astype(str).to_numpy() == native.astype(str)).mean() >= 0.99


def test_predict_to_csv_in_process(exported):
    folder, _, csv_path = exported
    report = predict_onnx_to_csv(folder / "regression.onnx", csv_path, folder / "reg.csv")
    assert report["rows"] == len(pd.read_csv(folder / "reg.csv"))
