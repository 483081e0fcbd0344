"""Run a real TrainJob on a small frame and read back what the user sees.

Shared by the tests of model quality (baseline, preparation decisions,
shuffling, fitting on every training row): each builds the data that shows a
defect, trains through the same job the GUI and CLI use, and checks the
result file and the run log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.engine.jobs.events import Log
from workbench.engine.project.folder import Project
from workbench.engine.project.runs import read_events
from workbench.engine.spec import RunSpec
from workbench.engine.training.job import TrainJob


def project_with(tmp_path: Path, frame: pd.DataFrame, name: str = "data") -> Project:
    """A fresh project holding ``frame`` as dataset ``name``."""
    csv = tmp_path / f"{name}.csv"
    frame.to_csv(csv, index=False)
    root = tmp_path / "project"
    project = Project.open(root) if (root / "workbench.toml").exists() else Project.init(root)
    project.add_dataset(csv)
    return project


def train_run(project: Project, algorithm: str, target: str | None, dataset: str = "data",
              **fields: Any) -> tuple[dict[str, Any], list[Log]]:
    """Train; return the run's result.json and its log lines (Log events)."""
    fields.setdefault("learning_curve", False)
    spec = RunSpec(dataset=dataset, algorithm=algorithm, target=target, **fields)
    summary = TrainJob(project.root, spec).run()
    folder = project.runs_dir / summary["run_id"]
    result = json.loads((folder / "result.json").read_text())
    logs = [e for e in read_events(folder / "events.jsonl") if isinstance(e, Log)]
    return result, logs


def warnings_in(logs: list[Log]) -> list[str]:
    return [e.message for e in logs if e.level == "warning"]
