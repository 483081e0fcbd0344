"""Predicting as jobs, so a big table is predicted in a worker process.

A job's result must be JSON, so the predictions themselves go to a file
(the CLI's ``-o`` CSV, or a Parquet file the window reads back for its
table); the result says what a person needs to know about them: how many,
what was wrong with the input, and the drift of the data when asked.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from workbench.engine.errors import SpecError, WorkbenchError
from workbench.engine.fsutil import atomic_write_bytes, atomic_write_text
from workbench.engine.jobs.events import JobContext
from workbench.engine.jobs.kinds import DataclassJob

__all__ = ["PredictJob", "HeldOutPredictionsJob", "write_table"]


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` atomically: Parquet for ``*.parquet``, else CSV."""
    if Path(path).suffix.lower() != ".parquet":
        atomic_write_text(path, frame.to_csv(index=False))
        return
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except Exception:  # a column of mixed types (a number among text): Parquet wants one type
        buffer = io.BytesIO()
        _as_text(frame).to_parquet(buffer, index=False)
    atomic_write_bytes(path, buffer.getvalue())


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].map(lambda v: v if v is None or isinstance(v, str) or v != v else str(v))
    return out


@dataclass
class PredictJob(DataclassJob):
    """Predict every row of a table with a run's model or an exported ``.onnx`` file.

    The model: ``project_root`` + ``run_id``, or ``model_path``.  The rows:
    ``data_path`` (any file ``load_table`` reads), or ``dataset`` of the
    project.  Predictions (input columns + ``prediction`` + ``proba_*``) are
    written to ``output``.

    ``strict``: values of the wrong type are an error naming the columns
    (the CLI); otherwise they are treated as missing and their rows listed
    in ``problem_rows`` when ``mark_problems`` (the window tints them).
    ``drift``: also compare the rows with the model's training profile
    (``drift`` in the result, None when the model has none, and then
    ``drift_error`` says why).
    """

    kind: ClassVar[str] = "predict"
    output: str
    project_root: str | None = None
    run_id: str | None = None
    model_path: str | None = None
    data_path: str | None = None
    dataset: str | None = None
    strict: bool = True
    mark_problems: bool = False
    drift: bool = False
    title: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.output = os.fspath(self.output)
        self.project_root = os.fspath(self.project_root) if self.project_root else None
        self.model_path = os.fspath(self.model_path) if self.model_path else None
        self.data_path = os.fspath(self.data_path) if self.data_path else None
        if self.model_path is None and not (self.project_root and self.run_id):
            raise SpecError("Predicting needs a run (project and run id) or an exported .onnx model.")
        if (self.data_path is None) == (self.dataset is None) or (self.dataset and not self.project_root):
            raise SpecError("Predicting needs one data file, or one dataset of the project.")
        model = Path(self.model_path).name if self.model_path else self.run_id
        self.title = f"Predict with {model}"

    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.data.loading import load_table
        from workbench.engine.prediction.source import open_predictor, predict_table
        from workbench.engine.project.folder import Project

        ctx = ctx or JobContext()
        ctx.progress(0.0, "Opening the model")
        if self.model_path:
            predictor = open_predictor(self.model_path)
        else:
            predictor = open_predictor(self.project_root, self.run_id)  # type: ignore[arg-type]
        ctx.check()
        ctx.progress(0.1, "Reading the data")
        if self.data_path:
            frame = load_table(self.data_path)
        else:
            frame = Project.open(self.project_root).load_dataset(self.dataset, ctx.sub(0.1, 0.4))  # type: ignore[arg-type]
        ctx.check()
        ctx.progress(0.4, f"Predicting {len(frame):,} rows")
        table = predict_table(predictor, frame, strict=self.strict)
        ctx.check()
        ctx.progress(0.8, "Writing the predictions")
        write_table(table.frame, self.output)
        check = table.check
        problems = np.flatnonzero(np.asarray(check.problem_rows, dtype=bool))
        result: dict[str, Any] = {
            "output": self.output,
            "rows": int(len(table.frame)),
            "model": predictor.name,
            "task": predictor.task,
            "notes": list(check.notes),
            "bad": check.bad_message() if check.bad else "",
            "problem_count": int(len(problems)),
        }
        if self.mark_problems:
            result["problem_rows"] = problems.tolist()
        if self.drift:
            ctx.progress(0.9, "Comparing with the training data")
            result["drift"], result["drift_error"] = self._drift(frame)
        ctx.progress(1.0, f"{len(table.frame):,} predictions")
        return result

    def _drift(self, frame: pd.DataFrame) -> tuple[dict[str, Any] | None, str]:
        from workbench.engine.monitoring.check import drift_for_onnx, drift_for_run

        try:
            if self.model_path:
                return drift_for_onnx(self.model_path, frame), ""
            return drift_for_run(self.project_root, self.run_id, frame), ""  # type: ignore[arg-type]
        except WorkbenchError as exc:  # predictions never fail for the sake of a drift check
            return None, str(exc)


@dataclass
class HeldOutPredictionsJob(DataclassJob):
    """A run's held-out rows with its model's predictions, written to ``output``.

    See :func:`~workbench.engine.prediction.drilldown.held_out_predictions`.
    """

    kind: ClassVar[str] = "held-out-predictions"
    project_root: str
    run_id: str
    output: str
    title: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.project_root = os.fspath(self.project_root)
        self.output = os.fspath(self.output)
        self.title = f"Test rows of {self.run_id}"

    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.prediction.drilldown import held_out_predictions

        ctx = ctx or JobContext()
        ctx.progress(0.0, "Predicting the held-out rows")
        table = held_out_predictions(self.project_root, self.run_id)
        ctx.check()
        write_table(table, self.output)
        return {"output": self.output, "rows": int(len(table))}
