"""result.json read through the typed RunResult: old and odd files read, and write back unchanged."""

from __future__ import annotations

import copy
import json

from workbench.engine import RunResult

OLD = {
    "status": "completed",
    "task": "regression",
    "rows": {"train": 80},
    "timings": {"total_s": "n/a", "fit_s": 1.5},
    "cv": {"rmse": {"mean": 2.0, "std": None, "folds": [1.9, "x", 2.1]}, "note": "three folds"},
    "history": [{"train": {"rmse": 3.0}, "valid": {"rmse": 3.5, "r2": None}}, "garbage",
                {"step": 2, "train": {"rmse": 2.0}, "valid": {"rmse": 2.5}}],
    "threshold": {"value": "high"},
    "evaluation": {
        "sample": {"y_true": [1.0, 2.0], "y_pred": [1.5, None]},
        "histogram": {"edges": [-1.0, 0.0, 1.0], "counts": [1, 1]},
        "importances": {"method": "none", "x": 0.5, "y": "n/a"},
        "learning_curve": {"train_sizes": [10, 20], "train_mean": [0.5, 0.6], "valid_mean": [0.4, 0.5]},
        "confusion_matrix": "not a matrix",
    },
    "future_key": {"kept": True},
}


def test_old_and_odd_values_read_as_missing_not_as_errors():
    r = RunResult.from_dict(copy.deepcopy(OLD))
    assert r.train_rows == 80 and r.test_rows is None
    assert r.total_seconds is None and r.seconds("fit_s") == 1.5
    assert r.cv_scores["rmse"].mean == 2.0 and r.cv_scores["rmse"].folds == [1.9, None, 2.1]
    assert set(r.cv_scores) == {"rmse"}
    assert r.threshold_value is None
    # A history entry without a step takes its position; one that is not an entry is skipped.
    assert [(it.step, it.valid) for it in r.iterations] == [(0, {"rmse": 3.5}), (2, {"rmse": 2.5})]
    assert r.curves("valid") == {"rmse": ([0, 2], [3.5, 2.5])}
    ev = r.evaluation
    assert ev.sample.residual == [-0.5, None] and ev.histogram.counts == [1, 1]
    assert ev.importances.values == {"x": 0.5} and ev.importances.method == ""
    assert ev.learning_curve.train_std == [] and ev.learning_curve.metric == "score"
    assert ev.confusion is None and ev.roc == [] and ev.clusters is None


def test_reading_and_writing_back_keeps_the_file_as_it_was():
    r = RunResult.from_dict(copy.deepcopy(OLD))
    assert json.loads(json.dumps(r.to_dict())) == OLD
    assert list(r.to_dict()) == list(OLD)


def test_a_result_made_in_code_writes_only_what_it_has():
    r = RunResult(status="completed", metrics={"accuracy": 0.9})
    assert r.to_dict() == {"status": "completed", "metrics": {"accuracy": 0.9}}
    assert not r.evaluation and r.evaluation.importances is None and r.iterations == []
