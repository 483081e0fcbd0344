"""Jobs on a project's datasets that may run in a worker process.

Profiling walks every column of the frame in Python (value counts,
histograms, correlations): seconds of GIL on a big table.  As a job the
worker reloads the dataset from the project's Parquet cache, so nothing but
the dataset's name crosses the pipe, and the profile comes back as its
JSON dict.  Adding a file parses it (pandas builds text columns holding the
GIL): in a thread of the window's process that stalled the GUI thread for up
to 364 ms on a 1M-row CSV, so it is a job of its own too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

from workbench.engine.jobs.events import JobContext
from workbench.engine.jobs.kinds import DataclassJob

__all__ = ["AddDatasetJob", "ProfileJob"]


@dataclass
class AddDatasetJob(DataclassJob):
    """Add the file (or folder of files) at ``path`` to a project as dataset ``name``.

    ``name`` None: from the file's name.  Returns ``{"name": the dataset's name}``.
    """

    kind: ClassVar[str] = "add-dataset"
    project_root: str
    path: str
    name: str | None = None
    title: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.project_root = os.fspath(self.project_root)
        self.path = os.fspath(self.path)
        self.title = f"Add {os.path.basename(os.path.normpath(self.path))}"

    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.project.folder import Project

        entry = Project.open(self.project_root).add_dataset(self.path, self.name, ctx=ctx or JobContext())
        return {"name": entry.name}


@dataclass
class ProfileJob(DataclassJob):
    """Profile dataset ``dataset`` of a project (for ``target``, if it is a column).

    Returns ``{"profile": Profile.to_dict(), "target": the target used or None,
    "task": the target's inferred task or None}``.
    """

    kind: ClassVar[str] = "profile"
    project_root: str
    dataset: str
    target: str | None = None
    title: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.project_root = os.fspath(self.project_root)
        self.title = f"Profile {self.dataset}"

    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.data.profile import profile_dataset
        from workbench.engine.project.folder import Project
        from workbench.engine.data.target_checks import infer_task

        ctx = ctx or JobContext()
        frame = Project.open(self.project_root).load_dataset(self.dataset, ctx.sub(0.0, 0.3))
        ctx.check()
        target = self.target if self.target in frame.columns else None
        task = str(infer_task(frame[target])) if target is not None else None
        profile = profile_dataset(frame, target=target, ctx=ctx.sub(0.3, 1.0))
        return {"profile": profile.to_dict(), "target": target, "task": task}
