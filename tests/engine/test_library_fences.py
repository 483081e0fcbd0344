"""The fences around library internals we hook (docs/decisions.md).

These are the only places where a library upgrade can give wrong numbers
instead of an error, so each hook identifies what it touches by what it is
and fails loudly on a shape it does not know.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from packaging.requirements import Requirement

from workbench.engine.catalog import FitData
from workbench.engine.errors import ExportError, TrainingError
from workbench.engine.jobs.events import Iteration, JobContext
from workbench.engine.learners.iterative import Reporter, _HistGBProbe, regression_metrics

ROOT = Path(__file__).resolve().parents[2]


# -- HistGradientBoosting live curves --------------------------------------
class _ConstantPredictor:
    def predict_binned(self, X, missing_bin, n_threads):
        return np.ones(X.shape[0])


def _fake_hist_gb(n_iterations: int) -> SimpleNamespace:
    """The attributes the probe reads from a HistGradientBoostingRegressor."""
    return SimpleNamespace(
        n_trees_per_iteration_=1,
        _baseline_prediction=0.0,
        _predictors=[[_ConstantPredictor()] for _ in range(n_iterations)],
        _bin_mapper=SimpleNamespace(missing_values_bin_idx_=255),
        _loss=SimpleNamespace(link=SimpleNamespace(inverse=lambda raw: raw)),
    )


def _probe():
    rng = np.random.default_rng(0)
    X_train, y_train = rng.normal(size=(40, 3)), rng.normal(10.0, 1.0, 40)
    X_valid, y_valid = rng.normal(size=(15, 3)), rng.normal(-5.0, 1.0, 15)
    events: list = []
    data = FitData("regression", X_train, y_train, X_valid, y_valid, ctx=JobContext(events.append))
    return _HistGBProbe(data, Reporter(data, 10), with_valid=True), events, (X_train, y_train, X_valid, y_valid)


@pytest.mark.parametrize("validation_first", [False, True], ids=["sklearn-order", "swapped-order"])
def test_hist_gradient_boosting_curves_do_not_depend_on_the_scorer_call_order(validation_first):
    probe, events, (X_train, y_train, X_valid, y_valid) = _probe()
    for step in (0, 1, 2):
        est = _fake_hist_gb(step)
        calls = [(X_train, y_train), (X_valid, y_valid)]
        for X, y in reversed(calls) if validation_first else calls:
            probe(est, X.copy(), y)  # sklearn passes its own binned copies
    points = [e for e in events if isinstance(e, Iteration)]
    assert [p.step for p in points] == [1, 2]
    # after 2 iterations every row predicts 2.0
    assert points[-1].train == pytest.approx(regression_metrics(y_train, np.full(40, 2.0)))
    assert points[-1].valid == pytest.approx(regression_metrics(y_valid, np.full(15, 2.0)))


def test_hist_gradient_boosting_probe_fails_loudly_on_an_unknown_call_pattern():
    probe, _, (X_train, y_train, _, _) = _probe()
    est = _fake_hist_gb(1)
    probe(est, X_train, y_train)
    with pytest.raises(TrainingError, match="scored the train rows twice"):
        probe(est, X_train, y_train)


# -- skl2onnx patches ---------------------------------------------------------
def test_threshold_patch_sets_its_argument_by_name_whatever_the_order(monkeypatch):
    from skl2onnx.operator_converters import random_forest

    from workbench.engine.onnx.converters import _patch_hist_gradient_boosting_thresholds

    seen = {}

    # a future skl2onnx with the arguments reordered
    def reordered(attr_pairs, adjust_threshold_for_sklearn=False, is_classifier=None, tree=None,
                  tree_id=0, tree_weight=1.0, weight_id_bias=0, leaf_weights_are_counts=False, dtype=None):
        seen.update(adjust=adjust_threshold_for_sklearn, is_classifier=is_classifier, counts=leaf_weights_are_counts)

    monkeypatch.setattr(random_forest, "add_tree_to_attribute_pairs_hist_gradient_boosting", reordered)
    _patch_hist_gradient_boosting_thresholds()
    random_forest.add_tree_to_attribute_pairs_hist_gradient_boosting({}, False, "clf", "tree", 0, 1.0, 0, False)
    assert seen == {"adjust": True, "is_classifier": "clf", "counts": False}


def test_threshold_patch_refuses_a_signature_without_its_argument(monkeypatch):
    from skl2onnx.operator_converters import random_forest

    from workbench.engine.onnx.converters import _patch_hist_gradient_boosting_thresholds

    def changed(attr_pairs, is_classifier, tree, tree_id, tree_weight, weight_id_bias, dtype=None):
        raise AssertionError("must not be called")

    monkeypatch.setattr(random_forest, "add_tree_to_attribute_pairs_hist_gradient_boosting", changed)
    with pytest.raises(ExportError, match="adjust_threshold_for_sklearn"):
        _patch_hist_gradient_boosting_thresholds()


def test_the_installed_skl2onnx_has_the_patched_shape():
    from skl2onnx.common.tree_ensemble import add_tree_to_attribute_pairs_hist_gradient_boosting as original

    assert "adjust_threshold_for_sklearn" in inspect.signature(original).parameters


# -- tested upper bounds --------------------------------------------------------
FENCED = ("scikit-learn", "skl2onnx", "onnxmltools", "protobuf")


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    reqs += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    return {r.name: r for r in reqs}


@pytest.mark.parametrize("name", FENCED + ("xgboost-cpu", "xgboost"))
def test_hooked_libraries_have_a_tested_upper_bound(name):
    requirement = _requirements()[name]
    assert any(spec.operator in ("<", "<=") for spec in requirement.specifier), f"{name} has no upper bound"


@pytest.mark.parametrize("name", FENCED)
def test_the_installed_version_is_inside_its_bounds(name):
    requirement = _requirements()[name]
    assert requirement.specifier.contains(importlib.metadata.version(name), prereleases=True)
