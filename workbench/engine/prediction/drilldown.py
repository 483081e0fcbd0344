"""The held-out rows behind a point of an evaluation plot.

A confusion-matrix cell (true class, predicted class) or a box drawn on the
predicted-vs-actual plot becomes the table rows it stands for: the original
columns, the prediction and the class probabilities.  The run saved which
rows it held out (``test_rows.npy``); the model predicts them again.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError, ProjectError

__all__ = ["held_out_predictions", "cell_rows", "box_rows"]


def held_out_predictions(project_root: str | os.PathLike, run_id: str) -> pd.DataFrame:
    """The run's held-out rows with ``prediction`` (and ``proba_*``) columns.

    Raises DataError when the dataset changed since the run (the saved row
    positions would point at other rows).
    """
    from workbench.engine.project.folder import Project

    project = Project.open(project_root)
    record = project.run(run_id)
    spec = record.spec
    path = record.folder / "test_rows.npy"
    if not path.exists():
        raise ProjectError(f"Run {run_id} did not save its held-out rows (it may not have completed).")
    if spec.fingerprint and spec.fingerprint != project.current_fingerprint(spec.dataset):
        raise DataError(f"Dataset '{spec.dataset}' has changed since run {run_id}; its test rows are gone.")
    frame = project.load_dataset(spec.dataset)
    rows = frame.loc[np.load(path, allow_pickle=False)]
    out = record.load_model().prediction_frame(rows)
    out.insert(0, "row", rows.index.to_numpy() + 1)  # 1-based, as a person counts file rows
    return out


def cell_rows(table: pd.DataFrame, target: str, true_label: Any, predicted_label: Any) -> pd.DataFrame:
    """Rows of true class ``true_label`` predicted as ``predicted_label``.

    Labels compare as text: the confusion matrix stores them as JSON, so a
    class 1 may come back as "1".
    """
    truth = table[target].astype(str).to_numpy()
    pred = table["prediction"].astype(str).to_numpy()
    return table[(truth == str(true_label)) & (pred == str(predicted_label))]


def box_rows(table: pd.DataFrame, target: str, actual: tuple[float, float],
             predicted: tuple[float, float]) -> pd.DataFrame:
    """Regression rows whose actual and predicted values fall in the box."""
    y = pd.to_numeric(table[target], errors="coerce").to_numpy(dtype=float)
    p = table["prediction"].to_numpy(dtype=float)
    (a0, a1), (p0, p1) = sorted(actual), sorted(predicted)
    return table[(y >= a0) & (y <= a1) & (p >= p0) & (p <= p1)]
