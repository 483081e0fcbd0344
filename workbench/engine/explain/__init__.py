"""Explaining trained models: per-row contributions, partial dependence,
calibration and the decision threshold of binary classifiers."""
