"""Exporting a run as a job, so it can run in a worker process like a fit.

Converting a big ensemble and checking its parity on thousands of rows takes
seconds to minutes of Python and native code; in a worker it cannot stall a
window, and a converter that crashes takes only the worker down.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

from workbench.engine.jobs.events import JobContext
from workbench.engine.jobs.kinds import DataclassJob

__all__ = ["ExportJob"]


@dataclass
class ExportJob(DataclassJob):
    """Export run ``run_id`` to ONNX with a parity check (see :func:`export_run`).

    ``output`` None: the run folder's ``model.onnx``.  Returns the export
    report (path, bytes, seconds, parity), which is also stored under
    ``onnx`` in the run's result.json.
    """

    kind: ClassVar[str] = "export"
    project_root: str
    run_id: str
    output: str | None = None
    title: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.project_root = os.fspath(self.project_root)
        self.output = os.fspath(self.output) if self.output else None
        self.title = f"Export {self.run_id} to ONNX"

    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.onnx.run_export import export_run

        return export_run(self.project_root, self.run_id, self.output, ctx=ctx or JobContext())
