"""Regressors that learn a standardised target (MLP, SVR).

scikit-learn's ``MLPRegressor`` fits the raw target: its weights start near
zero and its output layer is linear, so a target around 150 with a spread of
77 (the diabetes sample) takes hundreds of epochs just to reach the right
scale, and early stopping ends the run long before (r2 = -1.4).  Fitting
``(y - mean) / scale`` and mapping predictions back is the usual cure.

:class:`StandardizedMLPRegressor` does that *inside* the estimator, not as a
wrapper, so everything that works with ``MLPRegressor`` keeps working:

* the same parameters (``get_params``/``clone``/tuning) and ``partial_fit``,
  so the epoch fitter (``iterative.fit_epochs``) drives it unchanged and its
  live ``rmse``/``mae`` and early stopping see ``predict`` in the ORIGINAL
  target units;
* scikit-learn's own early stopping scores ``_predict`` against the scaled
  target it was fitted on (r2 does not care about the scale);
* a module-level class under ``workbench.engine``, so skops loads it as a
  trusted type; ``onnx_converters`` registers its ONNX converter (the MLP
  graph followed by ``* scale + mean``).

This module imports scikit-learn: import it inside factories only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neural_network import MLPRegressor
from sklearn.svm import SVR


class _StandardizedTarget:
    """Learn ``(y - mean) / scale`` and predict in the original units (mixin).

    Attributes
    ----------
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Mean and standard deviation (1 where it is 0) of the target seen by
        the first ``fit``/``partial_fit``; ``predict`` returns
        ``model output * y_scale_ + y_mean_``.
    """

    def predict(self, X: Any) -> np.ndarray:
        scaled = super().predict(X)  # type: ignore[misc]
        if scaled.ndim == 1:
            return scaled * self.y_scale_[0] + self.y_mean_[0]
        return scaled * self.y_scale_ + self.y_mean_

    def _learn_scale(self, y: Any, sample_weight: Any = None) -> None:
        if y is None:  # scikit-learn's wording (check_requires_y_none), before y is used
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = np.asarray(y, dtype=np.float64)
        y2 = y.reshape(len(y), -1)
        # Weighted like the fit itself: a row of weight 2 counts as two rows.
        w = None if sample_weight is None else np.broadcast_to(np.asarray(sample_weight, np.float64), len(y2))
        if w is not None and not w.sum() > 0:
            w = None
        if len(y2):
            mean = np.average(y2, axis=0, weights=w)
            scale = np.sqrt(np.average((y2 - mean) ** 2, axis=0, weights=w))
        else:
            mean, scale = np.zeros(y2.shape[1]), np.ones(y2.shape[1])
        # A constant target has no spread to divide by; 1 keeps it as is.
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        self.y_mean_ = np.asarray(mean, dtype=np.float64)
        self.y_scale_ = np.asarray(scale, dtype=np.float64)

    def _scaled(self, y: Any) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1:
            return (y - self.y_mean_[0]) / self.y_scale_[0]
        return (y - self.y_mean_) / self.y_scale_


class StandardizedMLPRegressor(_StandardizedTarget, MLPRegressor):
    """``MLPRegressor`` fitted on the standardised target (see the module docstring)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "StandardizedMLPRegressor":
        # warm_start continues the same network: keep the scale it learnt in.
        if not (self.warm_start and hasattr(self, "y_mean_")):
            self._learn_scale(y, sample_weight)
        elif y is None:
            self._learn_scale(y)  # refuses it
        return super().fit(X, self._scaled(y), sample_weight=sample_weight)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> "StandardizedMLPRegressor":
        # The first call fixes the scale; later epochs must use the same one.
        if not hasattr(self, "coefs_") or not hasattr(self, "y_mean_"):
            self._learn_scale(y, sample_weight)
        elif y is None:
            self._learn_scale(y)  # refuses it
        return super().partial_fit(X, self._scaled(y), sample_weight=sample_weight)


class StandardizedSVR(_StandardizedTarget, SVR):
    """``SVR`` fitted on the standardised target.

    SVR's ``epsilon`` (the error it ignores) and ``C`` are in target units:
    with the defaults (0.1, 1) a target in the hundreds is fitted almost flat
    (R2 0.065 on airquality, 0.496 on boston; 0.606 and 0.690 standardised).
    On the standardised target the defaults mean "ignore errors under a tenth
    of a standard deviation", whatever the units.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "StandardizedSVR":
        self._learn_scale(y, sample_weight)
        return super().fit(X, self._scaled(y), sample_weight=sample_weight)
