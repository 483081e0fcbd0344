"""A drift check as a job: new rows against a model's training profile.

Reading the new data and comparing every feature takes as long as loading
the file; as a job it shows in the jobs panel, can be cancelled, and can run
in a worker process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from workbench.engine.errors import SpecError
from workbench.engine.jobs.events import JobContext
from workbench.engine.jobs.kinds import DataclassJob

__all__ = ["DriftJob"]


@dataclass
class DriftJob(DataclassJob):
    """Drift of ``data_path`` (a data file or a serve log) against a run or an ONNX file.

    Give ``project_root`` and ``run_id`` for a run's training rows, or
    ``model_path`` for the profile stored in an exported model.  Returns the
    drift report (:func:`~workbench.engine.monitoring.drift.drift_report`).
    """

    kind: ClassVar[str] = "drift"
    data_path: str
    project_root: str | None = None
    run_id: str | None = None
    model_path: str | None = None
    title: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.data_path = os.fspath(self.data_path)
        self.project_root = os.fspath(self.project_root) if self.project_root else None
        self.model_path = os.fspath(self.model_path) if self.model_path else None
        if self.model_path is None and not (self.project_root and self.run_id):
            raise SpecError("A drift check needs a run (project and run id) or an exported .onnx model.")
        against = Path(self.model_path).name if self.model_path else self.run_id
        self.title = f"Drift of {Path(self.data_path).name} against {against}"

    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.monitoring.check import drift_for_onnx, drift_for_run

        ctx = ctx or JobContext()
        ctx.progress(0.0, "comparing with the training data")
        if self.model_path:
            report = drift_for_onnx(self.model_path, self.data_path)
        else:
            report = drift_for_run(self.project_root, self.run_id, self.data_path)  # type: ignore[arg-type]
        ctx.progress(1.0, "drift check done")
        return report
