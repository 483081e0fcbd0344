"""Naive Bayes that fits each column kind with its own likelihood.

Gaussian naive Bayes on one-hot columns models each 0/1 indicator as a bell
curve with a tiny variance: one category then decides everything (cars93:
accuracy 0.263, the majority rate; the numeric columns alone gave 0.684).
:class:`MixedNB` finds the 0/1 columns of the prepared matrix (one-hot
categories, yes/no columns) and models them as Bernoulli variables, and the
other columns as Gaussians, summing both log-likelihoods with the class
prior.  That is exactly scikit-learn's ``GaussianNB`` on continuous columns
plus ``BernoulliNB`` on binary ones, combined the way naive Bayes combines
independent features.

It imports scikit-learn: import it inside factories only.  ONNX: see
``onnx/converters.py`` (the same arithmetic in double precision).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class MixedNB(ClassifierMixin, BaseEstimator):
    """Gaussian likelihood on continuous columns, Bernoulli on 0/1 columns.

    Parameters
    ----------
    var_smoothing : float
        As ``GaussianNB``: this fraction of the largest variance is added to
        every Gaussian column's variance.
    alpha : float
        As ``BernoulliNB``: additive (Laplace) smoothing of the 0/1 frequencies.

    Attributes
    ----------
    classes_, class_log_prior_ : per class
    binary_ : bool mask of the columns modelled as Bernoulli
    theta_, var_ : (K, n_gaussian) means and variances
    feature_log_prob_ : (K, n_binary) log P(x = 1 | class)
    """

    def __init__(self, var_smoothing: float = 1e-9, alpha: float = 1.0) -> None:
        self.var_smoothing = var_smoothing
        self.alpha = alpha

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "MixedNB":
        X = validate_data(self, X, dtype=np.float64)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        k = len(self.classes_)
        w = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        counts = np.bincount(codes, weights=w, minlength=k)
        self.class_log_prior_ = np.log(counts / counts.sum())
        self.binary_ = np.all((X == 0.0) | (X == 1.0), axis=0)
        Xg, Xb = X[:, ~self.binary_], X[:, self.binary_]
        self.theta_ = np.zeros((k, Xg.shape[1]))
        self.var_ = np.ones((k, Xg.shape[1]))
        ones = np.zeros((k, Xb.shape[1]))
        for c in range(k):
            rows = codes == c
            wc = w[rows]
            if Xg.shape[1]:
                self.theta_[c] = np.average(Xg[rows], axis=0, weights=wc)
                self.var_[c] = np.average((Xg[rows] - self.theta_[c]) ** 2, axis=0, weights=wc)
            ones[c] = wc @ Xb[rows]
        if Xg.shape[1]:
            self.var_ += self.var_smoothing * float(np.var(Xg, axis=0).max())
            self.var_ = np.maximum(self.var_, np.finfo(np.float64).tiny)
        self.feature_log_prob_ = np.log((ones + self.alpha) / (counts[:, None] + 2.0 * self.alpha))
        return self

    def _joint_log_likelihood(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "binary_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        jll = np.tile(self.class_log_prior_, (X.shape[0], 1))
        Xg, Xb = X[:, ~self.binary_], X[:, self.binary_]
        if Xg.shape[1]:
            jll += -0.5 * np.sum(np.log(2.0 * np.pi * self.var_), axis=1)
            jll += -0.5 * (((Xg[:, None, :] - self.theta_[None]) ** 2) / self.var_[None]).sum(axis=2)
        if Xb.shape[1]:
            log_no = np.log1p(-np.exp(self.feature_log_prob_))
            jll += Xb @ (self.feature_log_prob_ - log_no).T + log_no.sum(axis=1)
        return jll

    def predict_log_proba(self, X: Any) -> np.ndarray:
        jll = self._joint_log_likelihood(X)
        return jll - logsumexp(jll, axis=1, keepdims=True)

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self._joint_log_likelihood(X), axis=1)]
