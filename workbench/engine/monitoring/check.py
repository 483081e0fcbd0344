"""Drift checks on a run's model: where the reference and the new rows come from.

The reference profile is read from the run folder (written at training), or
from an exported ONNX file's metadata, or, for runs trained before profiles
existed, rebuilt from the run's training rows (the dataset minus the
held-out rows in ``test_rows.npy``).  New rows come from a data file or from
a ``workbench serve`` log (JSON lines, one predicted row per line).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError, ProjectError
from workbench.engine.monitoring.reference import (
    METADATA_KEY,
    load_reference_profile,
    save_reference_profile,
)

SERVE_LOG_ROW_KEY = "row"


def run_reference_profile(project_dir: str | os.PathLike, run_id: str) -> dict[str, Any]:
    """The run's reference profile, rebuilt (and saved) if the run predates profiles."""
    from workbench.engine.project.folder import Project

    project = Project.open(project_dir)
    record = project.run(run_id)
    profile = load_reference_profile(record.folder)
    if profile is not None:
        return profile
    if not record.has_model:
        raise ProjectError(f"Run {record.run_id} has no trained model (status: {record.status}).")
    model_info = json.loads((record.folder / "model.json").read_text(encoding="utf-8"))
    rows_file = record.folder / "test_rows.npy"
    frame = project.load_dataset(record.spec.dataset)
    held_out = set(np.load(rows_file, allow_pickle=False).tolist()) if rows_file.exists() else set()
    training = frame.loc[[i for i in frame.index if i not in held_out]]
    from workbench.engine.model import FeatureInfo, coerce_features

    features = [FeatureInfo(**f) for f in model_info["features"]]
    save_reference_profile(record.folder, coerce_features(training, features), features,
                           seed=record.spec.seed or 0)
    saved = load_reference_profile(record.folder)
    if saved is None:  # written just now: only a folder that refuses writes gets here
        raise ProjectError(f"Run {record.run_id}: its reference profile could not be saved in {record.folder}.")
    return saved


def onnx_reference_profile(model_path: str | os.PathLike) -> dict[str, Any] | None:
    """The profile stored in an exported model's metadata (None if absent)."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for missing or broken files
        raise DataError(f"Cannot read {Path(model_path).name} as an ONNX model: "
                        f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
    text = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    return json.loads(text) if text else None


def is_serve_log(path: str | os.PathLike) -> bool:
    p = Path(path)
    if p.suffix.lower() not in (".jsonl", ".ndjson", ".json"):
        return False
    try:
        with open(p, encoding="utf-8") as fh:
            first = fh.readline()
        return isinstance(json.loads(first), dict) and SERVE_LOG_ROW_KEY in json.loads(first)
    except (OSError, ValueError):
        return False


def read_serve_log(path: str | os.PathLike) -> pd.DataFrame:
    """The input rows recorded by ``workbench serve --log`` (a torn last line is skipped)."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line)[SERVE_LOG_ROW_KEY])
            except (ValueError, KeyError, TypeError):
                continue
    if not rows:
        raise DataError(f"{path} holds no logged rows.")
    return pd.DataFrame(rows)


def load_new_rows(path: str | os.PathLike) -> pd.DataFrame:
    """A data file or a serve log, as raw rows."""
    if is_serve_log(path):
        return read_serve_log(path)
    from workbench.engine.data.loading import load_table

    return load_table(path)


def drift_for_run(project_dir: str | os.PathLike, run_id: str, data: str | os.PathLike | pd.DataFrame
                  ) -> dict[str, Any]:
    """Drift report of new rows (a file, a serve log or a frame) against the run's training rows."""
    from workbench.engine.monitoring.drift import drift_report

    profile = run_reference_profile(project_dir, run_id)
    frame = data if isinstance(data, pd.DataFrame) else load_new_rows(data)
    report = drift_report(profile, frame)
    report["run_id"] = run_id
    return report


def drift_for_onnx(model_path: str | os.PathLike, data: str | os.PathLike | pd.DataFrame) -> dict[str, Any]:
    """Drift report against the profile stored in an exported model."""
    from workbench.engine.monitoring.drift import drift_report

    profile = onnx_reference_profile(model_path)
    if profile is None:
        raise DataError(
            f"{Path(model_path).name} carries no reference profile (exported before drift checks "
            "existed, or not by the workbench); export the run again, or use "
            "'workbench drift PROJECT RUN FILE'."
        )
    frame = data if isinstance(data, pd.DataFrame) else load_new_rows(data)
    return drift_report(profile, frame)

