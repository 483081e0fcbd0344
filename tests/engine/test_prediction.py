"""Predicting on new data: input checks per column, one predictor for runs and
ONNX files, row defaults, and the test rows behind a confusion cell."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.engine import (
    DataError,
    Project,
    RunSpec,
    TrainJob,
    box_rows,
    cell_rows,
    check_input,
    open_predictor,
    predict_table,
    row_defaults,
    held_out_predictions,
)
from workbench.engine.model import FeatureInfo

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"
FEATURES = [FeatureInfo("x", "numeric"), FeatureInfo("color", "categorical"), FeatureInfo("flag", "boolean")]


def test_missing_feature_columns_are_all_named():
    frame = pd.DataFrame({"color": ["a"], "other": [1]})
    with pytest.raises(DataError) as err:
        check_input(frame, FEATURES)
    assert "lacks 2 feature column(s) the model needs: x, flag" in str(err.value)


def test_extra_columns_are_ignored_and_said():
    frame = pd.DataFrame({"x": [1.0], "color": ["a"], "flag": [True], "id": [7], "note": ["n"]})
    check = check_input(frame, FEATURES)
    assert check.extra == ["id", "note"]
    assert check.notes == ["Ignored 2 column(s) the model does not use: id, note."]


def test_wrong_types_are_named_per_column_with_an_example():
    frame = pd.DataFrame({"x": ["1.5", "abc", "2", "n/a?"], "color": ["a", "b", "c", "d"],
                          "flag": ["yes", "no", "maybe", "true"]})
    with pytest.raises(DataError) as err:
        check_input(frame, FEATURES)
    message = str(err.value)
    assert "'x' should hold numbers but has 'abc' (2 such values, first in row 2)" in message
    assert "'flag' should hold true/false values but has 'maybe' (row 3)" in message
    lenient = check_input(frame, FEATURES, strict=False)
    assert lenient.problem_rows.tolist() == [False, True, True, True]


@pytest.fixture(scope="module")
def wine_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pred") / "wine"
    shutil.copytree(SAMPLES / "wine", root, ignore=shutil.ignore_patterns("runs", ".workbench-cache", "tunes"))
    job = TrainJob(root, RunSpec(dataset="wine", algorithm="logistic_regression", target="cultivar",
                                 learning_curve=False))
    job.run()
    return root, job.run_id


def test_predict_table_marks_problem_rows_and_still_predicts(wine_run):
    root, run_id = wine_run
    frame = Project.open(root).load_dataset("wine").head(5).drop(columns=["cultivar"])
    frame["alcohol"] = frame["alcohol"].astype(object)
    frame.loc[frame.index[1], "alcohol"] = "thirteen"
    predictor = open_predictor(root, run_id)
    with pytest.raises(DataError, match="'alcohol' should hold numbers but has 'thirteen'"):
        predict_table(predictor, frame)
    table = predict_table(predictor, frame, strict=False)
    assert table.check.problem_rows.tolist() == [False, True, False, False, False]
    assert len(table.frame) == 5 and table.frame["prediction"].notna().all()
    assert len(table.probability_columns) == 3
    assert np.allclose(table.frame[table.probability_columns].sum(axis=1), 1.0)


def test_row_defaults_are_median_and_most_frequent():
    frame = pd.DataFrame({"x": [1.0, 2.0, 10.0, np.nan], "color": ["a", "b", "b", None],
                          "flag": [True, False, True, True]})
    assert row_defaults(frame, FEATURES) == {"x": 2, "color": "b", "flag": True}


def test_confusion_cell_lists_its_test_rows(wine_run):
    root, run_id = wine_run
    table = held_out_predictions(root, run_id)
    result = Project.open(root).run(run_id).result
    cm = result.evaluation.confusion
    labels, counts = cm.labels, cm.counts
    for i, true_label in enumerate(labels):
        for j, pred_label in enumerate(labels):
            assert len(cell_rows(table, "cultivar", true_label, pred_label)) == counts[i][j]
    assert len(table) == result.test_rows
    assert {"row", "alcohol", "prediction"} <= set(table.columns)


def test_box_rows_selects_by_actual_and_predicted():
    table = pd.DataFrame({"y": [1.0, 2.0, 3.0], "prediction": [1.1, 2.5, 2.9]})
    assert box_rows(table, "y", (1.5, 3.5), (2.0, 2.6))["y"].tolist() == [2.0]


def test_an_onnx_file_predicts_like_its_run_and_gets_the_same_checks(wine_run, tmp_path):
    from workbench.engine import export_run

    root, run_id = wine_run
    path = tmp_path / "wine.onnx"
    export_run(root, run_id, path)
    frame = Project.open(root).load_dataset("wine").head(20)
    native = predict_table(open_predictor(root, run_id), frame)
    onnx = predict_table(open_predictor(path), frame)
    assert onnx.check.extra == ["cultivar"]  # the target is not a feature: ignored, said
    assert onnx.frame["prediction"].tolist() == native.frame["prediction"].tolist()
    assert np.allclose(onnx.frame[onnx.probability_columns], native.frame[native.probability_columns], atol=1e-4)
    with pytest.raises(DataError, match="lacks 1 feature column"):
        predict_table(open_predictor(path), frame.drop(columns=["hue"]))
