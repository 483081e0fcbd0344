"""Predicting on new data: checking the input, one source for run models and
ONNX files, single-row defaults for a "try one row" form, and the test rows
behind an evaluation plot's cell or points.
"""
