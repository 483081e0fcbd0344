"""Export a recorded run's model to ONNX and record the parity report.

The parity check runs on the run's own held-out rows (``test_rows.npy``
holds their index labels in the dataset), so the recorded agreement speaks
for data the model never saw.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from workbench.engine.errors import ExportError, WorkbenchError

PARITY_MAX_ROWS = 5000


def held_out_rows(project, record) -> Any:
    """The run's held-out rows as a raw frame (None if they can't be found)."""
    saved = record.folder / "holdout.parquet"  # runs trained on a cluster keep a sample of their own
    if saved.exists():
        import pandas as pd

        return pd.read_parquet(saved).head(PARITY_MAX_ROWS)
    rows_file = record.run_folder.test_rows_path
    if not rows_file.exists():
        return None
    spec = record.spec
    try:
        frame = project.load_dataset(spec.dataset)
    except WorkbenchError:
        return None
    try:
        labels = np.load(rows_file, allow_pickle=False)
    except Exception:  # damaged (a bad header raises ValueError, SyntaxError, TokenError...): no parity rows
        return None
    labels = [x for x in labels if x in frame.index][:PARITY_MAX_ROWS]
    return frame.loc[labels] if labels else None


def export_run(project_dir: str | os.PathLike, run_id: str, output: str | os.PathLike | None = None, ctx=None) -> dict[str, Any]:
    """Export run ``run_id`` to ``output`` (default: the run's model.onnx).

    Refuses (ExportError) before writing anything when the algorithm cannot be
    converted.  The report is stored under ``onnx`` in the run's result.json.
    """
    from workbench.engine.catalog import get_algorithm
    from workbench.engine.onnx.export import export_onnx
    from workbench.engine.project.folder import Project

    project = Project.open(project_dir)
    record = project.run(run_id)
    damage = record.damage
    if damage:
        raise ExportError(f"Run {record.run_id} is damaged: {damage}")
    if record.status != "completed" or not record.has_model:
        raise ExportError(f"Run {record.run_id} has no trained model to export (status: {record.status}).")
    algorithm = get_algorithm(record.algorithm)
    if not algorithm.capabilities.onnx:
        raise ExportError(f"{algorithm.name} models cannot be exported to ONNX (it has no predict step to convert).")
    model = record.load_model()
    path = Path(output) if output else record.run_folder.onnx_path
    result = record.result
    X_check = held_out_rows(project, record)
    report = export_onnx(
        model,
        path,
        X_check=X_check,
        run_id=record.run_id,
        metrics=result.metrics if result else None,
        ctx=ctx,
        reference_profile=_reference_profile(project_dir, record),
    )
    # Read-modify-write under the project lock: a label or another export
    # written meanwhile is kept.
    record.run_folder.update_result(lambda r: setattr(r, "onnx", report))
    return report


def _reference_profile(project_dir, record) -> dict[str, Any] | None:
    """The run's training-rows profile for the file's metadata (None if it cannot be had)."""
    from workbench.engine.monitoring.check import run_reference_profile

    try:
        return run_reference_profile(project_dir, record.run_id)
    except WorkbenchError:
        return None
