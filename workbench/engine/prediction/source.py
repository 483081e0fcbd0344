"""One way to predict, whether the model is a run's or any ``.onnx`` file.

A run's model predicts with its native pipeline (scikit-learn/XGBoost); an
ONNX file with onnxruntime only.  Both take the raw columns and give the same
layout: the input columns plus ``prediction`` and ``proba_<class>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError
from workbench.engine.prediction.input_check import InputCheck, check_input, clean_input

__all__ = ["Predictor", "PredictionTable", "open_predictor", "predict_table", "row_defaults"]


@dataclass
class Predictor:
    """A model ready to predict: features, task, classes and a frame function."""

    name: str
    task: str
    features: list[Any]  # FeatureInfo
    classes: list[Any]
    target: str | None
    _frame_fn: Any

    def prediction_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self._frame_fn(frame)


def open_predictor(source: str | os.PathLike, run_id: str | None = None) -> Predictor:
    """``open_predictor(project_root, run_id)`` or ``open_predictor("model.onnx")``."""
    if run_id is None:
        path = Path(source)
        if path.suffix.lower() != ".onnx":
            raise DataError(f"{path.name} is not an .onnx file; pick a run or an exported model.")
        from workbench.engine.onnx.predict import OnnxPredictor

        onnx = OnnxPredictor(path)
        return Predictor(path.name, onnx.task, onnx.features, list(onnx.classes), onnx.target, onnx.predict_frame)
    from workbench.engine.project.folder import Project

    model = Project.open(source).run(run_id).load_model()
    info = model.info
    return Predictor(run_id, info.task, info.features, list(info.classes), info.target, model.prediction_frame)


@dataclass
class PredictionTable:
    """Predictions for a table, and what was wrong with its input."""

    frame: pd.DataFrame  # input columns + prediction + proba_<class>
    check: InputCheck

    @property
    def probability_columns(self) -> list[str]:
        return [c for c in self.frame.columns if str(c).startswith("proba_")]


def predict_table(predictor: Predictor, frame: pd.DataFrame, *, strict: bool = True) -> PredictionTable:
    """Check ``frame``, then predict every row.

    ``strict``: values of the wrong type are an error naming each column with
    an example (the CLI); otherwise they are blanked, imputed like missing
    values, and their rows marked in ``check.problem_rows`` (the window).
    """
    check = check_input(frame, predictor.features, strict=strict)
    out = predictor.prediction_frame(clean_input(frame, check))
    if check.bad:  # show what the file said, not the blanks the model was given
        out = pd.concat([frame, out.drop(columns=list(frame.columns))], axis=1)
    return PredictionTable(out, check)


def row_defaults(frame: pd.DataFrame, features: list[Any]) -> dict[str, Any]:
    """A typical row: the median of numbers and dates, the most frequent value otherwise.

    Prefills a "try one row" form; ``frame`` is any table with the feature
    columns (the training data, or the file being predicted).
    """
    out: dict[str, Any] = {}
    for f in features:
        col = frame[f.name] if f.name in frame.columns else pd.Series(dtype=object)
        present = col.dropna()
        if present.empty:
            out[f.name] = None
        elif f.kind == "numeric" and pd.api.types.is_numeric_dtype(present.dtype):
            value = float(np.median(present.to_numpy(dtype=float)))
            out[f.name] = int(value) if value.is_integer() else round(value, 6)
        elif f.kind == "datetime":
            dates = pd.to_datetime(present, errors="coerce", format="mixed").dropna()
            out[f.name] = str(dates.sort_values().iloc[len(dates) // 2].date()) if len(dates) else None
        else:
            value = present.mode().iloc[0]
            out[f.name] = value.item() if hasattr(value, "item") else value
    return out
