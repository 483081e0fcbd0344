"""The catalog: every entry present, its specs sane, errors a person can act on."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from workbench.engine.catalog import TASKS, algorithms, get_algorithm
from workbench.engine.errors import SpecError

REQUIRED = {
    "logistic_regression": {"classification"},
    "linear_regression": {"regression"},
    "ridge": {"classification", "regression"},
    "lasso": {"regression"},
    "elastic_net": {"regression"},
    "svm": {"classification", "regression"},
    "knn": {"classification", "regression"},
    "naive_bayes": {"classification"},
    "decision_tree": {"classification", "regression"},
    "random_forest": {"classification", "regression"},
    "extra_trees": {"classification", "regression"},
    "gradient_boosting": {"classification", "regression"},
    "hist_gradient_boosting": {"classification", "regression"},
    "xgboost": {"classification", "regression"},
    "mlp": {"classification", "regression"},
    "kmeans": {"clustering"},
    "agglomerative": {"clustering"},
    "bagging": {"classification", "regression"},
    "voting": {"classification", "regression"},
    "stacking": {"classification", "regression"},
}
TREES = {"decision_tree", "random_forest", "extra_trees", "gradient_boosting",
         "hist_gradient_boosting", "xgboost", "bagging"}

ALL = algorithms()
IDS = [a.key for a in ALL]


def test_every_required_entry_serves_its_tasks():
    keys = {a.key: set(a.tasks) for a in ALL}
    for key, tasks in REQUIRED.items():
        assert key in keys, key
        assert tasks <= keys[key], key
    for task in TASKS:
        assert all(task in a.tasks for a in algorithms(task))


@pytest.mark.parametrize("algo", ALL, ids=IDS)
def test_param_specs_are_sane(algo):
    assert algo.name and algo.description and set(algo.tasks) <= set(TASKS)
    for task in algo.tasks:
        names = [p.name for p in algo.params_for(task)]
        assert len(names) == len(set(names)), f"duplicate parameter for {task}"
        assert "n_jobs" not in names  # threads come from the run, not the form
        assert algo.validate_params({}, task) == algo.defaults(task)
    for p in algo.params:
        assert p.help, p.name
        assert p.validate(p.default) == p.default, p.name  # defaults pass their own checks
        if p.kind in ("int", "float") and p.default is not None:
            assert p.low is None or p.low <= p.default, p.name
            assert p.high is None or p.default <= p.high, p.name
        if p.kind == "choice":
            assert p.default in p.choices, p.name
        if p.search_low is not None or p.search_high is not None:
            lo = p.search_low if p.search_low is not None else p.low
            hi = p.search_high if p.search_high is not None else p.high
            assert lo < hi, p.name
            assert (p.low is None or p.low <= lo) and (p.high is None or hi <= p.high), p.name
        if p.log and p.tunable:
            lo = p.search_low if p.search_low is not None else p.low
            assert lo is not None and lo > 0, f"{p.name}: a log-scale search needs a positive low end"
        assert not p.tasks or set(p.tasks) <= set(algo.tasks), p.name


@pytest.mark.parametrize("algo", ALL, ids=IDS)
def test_to_dict_is_json(algo):
    d = json.loads(json.dumps(algo.to_dict()))
    assert d["key"] == algo.key and d["capabilities"]["onnx"] in (True, False)


def test_capabilities_are_honest():
    caps = {a.key: a.capabilities for a in ALL}
    assert [k for k, c in caps.items() if c.gpu] == ["xgboost", "lightgbm", "catboost"]
    assert not caps["agglomerative"].onnx  # no predict(): nothing to export
    for key in ("xgboost", "hist_gradient_boosting", "gradient_boosting", "mlp", "random_forest"):
        assert caps[key].iterative, key
    for key in ("xgboost", "hist_gradient_boosting", "gradient_boosting", "mlp", "lightgbm", "catboost"):
        assert caps[key].early_stopping, key
    for key in TREES:
        assert not get_algorithm(key).scale_numeric, key  # scaled trees break ONNX parity
    for key in ("logistic_regression", "svm", "knn", "mlp", "kmeans"):
        assert get_algorithm(key).scale_numeric, key


def test_bad_values_name_the_parameter_and_its_range():
    rf = get_algorithm("random_forest")
    with pytest.raises(SpecError, match=r"n_estimators.*\[1, 100000\]"):
        rf.validate_params({"n_estimators": 0}, "classification")
    with pytest.raises(SpecError, match="max_features.*sqrt"):
        rf.parse_params(["max_features=half"], "classification")
    with pytest.raises(SpecError, match="learning_rate"):
        get_algorithm("xgboost").parse_params(["learning_rate=fast"], "regression")
    with pytest.raises(SpecError, match="does not do clustering"):
        rf.validate_params({}, "clustering")


def test_unknown_parameter_suggests_the_close_one():
    with pytest.raises(SpecError, match="Did you mean 'n_estimators'"):
        get_algorithm("random_forest").parse_params(["n_estimator=10"], "classification")
    with pytest.raises(SpecError, match="Did you mean 'xgboost'"):
        get_algorithm("xgbost")


def test_task_specific_params():
    rf = get_algorithm("random_forest")
    assert rf.defaults("classification")["criterion"] == "gini"
    assert rf.defaults("regression")["criterion"] == "squared_error"
    assert "class_weight" not in rf.defaults("regression")
    with pytest.raises(SpecError, match="criterion"):
        rf.validate_params({"criterion": "gini"}, "regression")


def test_nullable_params_parse_none():
    assert get_algorithm("decision_tree").parse_params(["max_depth=none"], "regression") == {"max_depth": None}


def test_listing_the_catalog_imports_no_estimator_library():
    code = (
        "import sys\n"
        "from workbench.engine import algorithms\n"
        "assert len(algorithms()) >= 20\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'xgboost', 'scipy'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_invalid_combinations_are_spec_errors():
    from workbench.engine.catalog import BuildContext

    lr = get_algorithm("logistic_regression")
    with pytest.raises(SpecError, match="saga"):
        lr.factory(lr.validate_params({"l1_ratio": 1.0}, "classification"), BuildContext("classification"))
    agg = get_algorithm("agglomerative")
    with pytest.raises(SpecError, match="ward"):
        agg.factory(agg.validate_params({"metric": "cosine"}, "clustering"), BuildContext("clustering"))


def test_missing_xgboost_gives_install_hint(monkeypatch):
    from workbench.engine.catalog import BuildContext
    from workbench.engine.errors import TrainingError

    monkeypatch.setitem(sys.modules, "xgboost", None)  # import now raises ImportError
    xgb = get_algorithm("xgboost")
    with pytest.raises(TrainingError, match=r"pip install 'workbench\[cpu\]'"):
        xgb.factory(xgb.defaults("regression"), BuildContext("regression"))


def test_math_is_not_nan_in_defaults():
    for algo in ALL:
        for p in algo.params:
            assert not (isinstance(p.default, float) and math.isnan(p.default))
