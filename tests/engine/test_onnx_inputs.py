"""OnnxPredictor takes a DataFrame, a dict or a list of dicts, and predicts the same.

A few rows take a row-wise fast path (no per-column pandas work); it must
give exactly the arrays the general path (the native model's coercion)
gives, whatever mix of Python values the user passes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.engine.errors import DataError, WorkbenchError
from workbench.engine.model import FeatureInfo
from workbench.engine.onnx.export import export_onnx
from workbench.engine.onnx.inputs import FeedBuilder, as_frame
from workbench.engine.onnx.predict import OnnxPredictor

from onnx_helpers import mixed_frame, train

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning",
                                        "ignore::RuntimeWarning")

FEATURES = ["bill_length", "flipper_length", "bill_depth", "island", "tagged", "observed"]


@pytest.fixture(scope="module")
def predictors(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx_inputs")
    frame = mixed_frame(400, seed=11)
    out = {}
    for key, task in (("random_forest", "classification"), ("logistic_regression", "classification"),
                      ("gradient_boosting", "regression")):
        model = train(key, task, frame.iloc[:300])
        export_onnx(model, folder / f"{key}.onnx")
        out[key] = (OnnxPredictor(folder / f"{key}.onnx"), model)
    return out, frame.iloc[300:][FEATURES].reset_index(drop=True)


@pytest.mark.parametrize("key", ["random_forest", "logistic_regression", "gradient_boosting"])
def test_dict_and_records_predict_like_the_frame(predictors, key):
    models, rows = predictors
    predictor, native = models[key]
    batch = predictor.predict(rows)
    records = rows.to_dict("records")
    for i in range(0, len(rows), 7):
        one = rows.iloc[[i]]
        expected = predictor.predict(one)
        assert np.array_equal(predictor.predict(records[i]), expected)  # dict of scalars
        assert np.array_equal(predictor.predict([records[i]]), expected)  # one record
        assert np.array_equal(predictor.predict({c: [v] for c, v in records[i].items()}), expected)
        # a single row predicts what the same row predicts inside a batch
        if key == "gradient_boosting":
            np.testing.assert_allclose(expected, batch[i : i + 1], rtol=1e-6)
        else:
            assert expected[0] == batch[i] or _is_tie(predictor, rows.iloc[[i]])
    assert np.array_equal(predictor.predict(records), batch)
    columns = {c: rows[c].tolist() for c in rows.columns}
    assert np.array_equal(predictor.predict(columns), batch)
    if key != "gradient_boosting":
        np.testing.assert_allclose(predictor.predict_proba(records[:5]), predictor.predict_proba(rows.iloc[:5]),
                                   atol=1e-6)
        # and what the native model predicts
        agree = np.mean(predictor.predict(records) == native.predict(rows))
        assert agree >= 0.98


def _is_tie(predictor, row):
    p = np.sort(predictor.predict_proba(row)[0])
    return p[-1] - p[-2] <= 1e-6


def test_predict_frame_takes_records(predictors):
    models, rows = predictors
    predictor, _ = models["random_forest"]
    records = rows.iloc[:4].to_dict("records")
    got = predictor.predict_frame(records)
    expected = predictor.predict_frame(rows.iloc[:4])
    assert list(got.columns) == list(expected.columns)
    assert got["prediction"].tolist() == expected["prediction"].tolist()


@pytest.mark.parametrize("shape", ["frame", "dict", "records", "columns"])
def test_a_missing_column_is_named(predictors, shape):
    models, rows = predictors
    predictor, _ = models["random_forest"]
    one = rows.iloc[[0]].drop(columns=["island"])
    data = {"frame": one, "dict": one.iloc[0].to_dict(), "records": one.to_dict("records"),
            "columns": {c: [v] for c, v in one.iloc[0].to_dict().items()}}[shape]
    with pytest.raises(DataError, match="missing column.*island"):
        predictor.predict(data)


def test_wrong_values_and_shapes_are_workbench_errors(predictors):
    models, rows = predictors
    predictor, _ = models["random_forest"]
    record = rows.iloc[0].to_dict()
    with pytest.raises(DataError, match="bill_length.*numeric.*'long'"):
        predictor.predict({**record, "bill_length": "long"})
    with pytest.raises(WorkbenchError, match="table"):
        predictor.predict("bill_length=40")
    with pytest.raises(WorkbenchError, match="table"):
        predictor.predict([1, 2, 3])
    with pytest.raises(DataError):
        predictor.predict({**{c: [v] for c, v in record.items()}, "bill_length": [1.0, 2.0]})


def test_extra_columns_are_ignored(predictors):
    models, rows = predictors
    predictor, _ = models["logistic_regression"]
    record = rows.iloc[3].to_dict()
    assert np.array_equal(predictor.predict({**record, "comment": "x", "id": 7}),
                          predictor.predict(rows.iloc[[3]]))


# ---------------------------------------------------------------------------
# the fast path gives the general path's arrays, value for value
# ---------------------------------------------------------------------------
KINDS = {"n": "numeric", "b": "boolean", "c": "categorical", "d": "datetime"}
POOLS = {
    "numeric": [1, 0, -3, 2.5, np.nan, None, np.inf, -np.inf, 1e300, np.float32(0.1), np.int64(7),
                np.uint8(200), True, False, "3.5", "abc", pd.NA, 2**70, 2**63],
    "boolean": [True, False, None, np.nan, 1, 0, 2, 1.0, 0.5, "yes", "No", " true ", "TRUE", "t",
                "x", np.bool_(True), np.inf, "é"],
    "categorical": ["a", "b", "", None, np.nan, 1, 2, 3.0, 1.5, True, np.int64(4), np.str_("z"), pd.NA,
                    np.float64("nan")],
    "datetime": ["2024-01-01", None, "2024-05-17T13:45:00"],
}
BUILDER = FeedBuilder([FeatureInfo(f"{k}{i}", kind) for k, kind in KINDS.items() for i in range(3)])


def _reference(data):
    try:
        return BUILDER.from_frame(as_frame(data))
    except DataError as exc:
        return exc


def _fast(data):
    try:
        return BUILDER.build(data)
    except DataError as exc:
        return exc


def _same(a, b):
    if isinstance(a, Exception) or isinstance(b, Exception):
        return type(a) is type(b) and str(a) == str(b)
    (na, fa), (nb, fb) = a, b
    if na != nb or fa.keys() != fb.keys():
        return False
    for k in fa:
        x, y = fa[k], fb[k]
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if x.dtype == object:
            if x.ravel().tolist() != y.ravel().tolist():
                return False
        elif not np.array_equal(x, y, equal_nan=True):
            return False
    return True


def _column(rng, kind, n):
    pool = POOLS[kind]
    chosen = rng.choice(len(pool), size=rng.integers(1, 4), replace=False)
    return [pool[int(rng.choice(chosen))] for _ in range(n)]


@pytest.mark.parametrize("seed", range(40))
def test_fast_path_equals_general_path(seed):
    rng = np.random.default_rng(seed)
    for n in (1, 1, 2, 5):
        columns = {f.name: _column(rng, f.kind, n) for f in BUILDER.features}
        shapes = {
            "columns": columns,
            "records": [{k: v[i] for k, v in columns.items()} for i in range(n)],
            "frame": as_frame(columns),
        }
        if n == 1:
            shapes["dict"] = {k: v[0] for k, v in columns.items()}
        for label, data in shapes.items():
            ref = _reference(data)
            got = _fast(data)
            assert _same(ref, got), (label, columns, ref, got)


def test_fast_path_handles_plain_rows_without_pandas_per_column(monkeypatch):
    """The common single row (numbers, strings, booleans) never reaches coerce_columns."""
    import workbench.engine.onnx.inputs as inputs

    builder = FeedBuilder([FeatureInfo("x", "numeric"), FeatureInfo("flag", "boolean"),
                           FeatureInfo("color", "categorical")])

    def refuse(*args, **kwargs):
        raise AssertionError("general path taken")

    monkeypatch.setattr(inputs, "coerce_columns", refuse)
    n, feeds = builder.build({"x": 1.5, "flag": True, "color": "red"})
    assert n == 1 and feeds["x"].tolist() == [[1.5]] and feeds["flag"].tolist() == [[1.0]]
    assert feeds["color"].tolist() == [["red"]]
    frame = pd.DataFrame({"x": [1.5, np.inf], "flag": [True, False], "color": ["red", None]})
    n, feeds = builder.build(frame)
    assert n == 2 and np.isnan(feeds["x"][1, 0]) and feeds["color"].tolist() == [["red"], [""]]
    n, feeds = builder.build([{"x": None, "flag": "yes", "color": 3}])
    assert np.isnan(feeds["x"][0, 0]) and feeds["flag"][0, 0] == 1.0 and feeds["color"][0, 0] == "3"


def test_big_inputs_run_in_concurrent_batches_in_order(predictors):
    """Batches run side by side on several threads; rows come back in order."""
    models, rows = predictors
    predictor, _ = models["random_forest"]
    big = rows.sample(5000, replace=True, random_state=1).reset_index(drop=True)
    one_thread = OnnxPredictor(predictor.path, n_threads=1)
    expected = np.vstack([one_thread.predict_proba(big.iloc[i : i + 1000]) for i in range(0, 5000, 1000)])
    threaded = OnnxPredictor(predictor.path, n_threads=3)
    np.testing.assert_array_equal(threaded.run(big, batch_rows=700)["probabilities"], expected)
    assert np.array_equal(threaded.predict(big), one_thread.predict(big))
