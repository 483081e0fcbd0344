"""Our own estimators pass scikit-learn's own conventions (check_estimator).

They sit inside every saved Pipeline, are cloned by cross-validation and
tuning, and are converted to ONNX; scikit-learn's checks catch what breaks
those (feature-count checks, NaN handling declared as tags, y=None, sample
weights).  No check is expected to fail.
"""

from __future__ import annotations

import warnings

import pytest
from sklearn.utils.estimator_checks import check_estimator

from workbench.engine.learners.target_scaling import StandardizedMLPRegressor
from workbench.engine.training.preparation import Clip, DatetimeFeatures, ToFloat32

ESTIMATORS = [ToFloat32(), Clip(low=-3.0, high=3.0), DatetimeFeatures(), StandardizedMLPRegressor(max_iter=50)]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_passes_scikit_learns_estimator_checks(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of 50-iteration fits
        results = check_estimator(estimator, on_fail=None, on_skip=None)
    failed = {r["check_name"]: str(r["exception"]).strip().splitlines()[0] for r in results if r["status"] == "failed"}
    assert failed == {}
