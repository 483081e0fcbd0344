"""ONNX: export with a parity check, our converters, tree splitting, inputs and prediction.

(Inside this package ``import onnx`` still means the onnx library: imports are absolute.)
"""
