"""Training Workbench: train, evaluate, tune and export models on tabular data."""

__version__ = "0.1.0"
