"""Retrain a run on new data: same spec, fair comparison, recorded lineage.

The new run trains the parent's spec (algorithm, parameters, preparation,
the same feature columns, seed) on the new dataset, with its own held-out
split.  Both models are then scored on exactly those held-out rows of the
new data, which neither model saw: the old one never saw the new data, the
new one held them out.  The report says which wins on the task's headline
metric, and ``lineage.json`` in the new run records the parent run and both
datasets' fingerprints.

With ``append=True`` the new dataset is the parent's data with the new rows
appended (saved into the project as its own dataset).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError, ProjectError
from workbench.engine.fsutil import atomic_write_text

LINEAGE_FILE = "lineage.json"


def read_lineage(run_folder: str | os.PathLike) -> dict[str, Any] | None:
    try:
        return json.loads((Path(run_folder) / LINEAGE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def check_columns(frame: pd.DataFrame, target: str | None, features: list[str], what: str) -> None:
    """Refuse data that lacks the parent's target or feature columns."""
    missing_target = target is not None and target not in frame.columns
    missing = [f for f in features if f not in frame.columns]
    if missing_target or missing:
        parts = []
        if missing_target:
            parts.append(f"the target column '{target}'")
        if missing:
            shown = ", ".join(f"'{m}'" for m in missing[:10]) + (f" and {len(missing) - 10} more"
                                                                  if len(missing) > 10 else "")
            parts.append(f"feature column(s) {shown}")
        raise DataError(f"Cannot retrain on {what}: it lacks " + " and ".join(parts)
                        + ", which the original run used.")


def _unique_name(project: Any, base: str) -> str:
    import re

    base = re.sub(r"[^A-Za-z0-9_.-]", "_", base)[:56] or "data"
    name, k = base, 2
    while name in project.datasets:
        name, k = f"{base}-{k}", k + 1
    return name


class RetrainJob:
    """Train ``run_id``'s spec on ``new_data`` (a dataset name or a file) and compare."""

    kind = "retrain"

    def __init__(self, project_root: str | os.PathLike, run_id: str, new_data: str | os.PathLike,
                 *, append: bool = False) -> None:
        self.project_root = str(project_root)
        # Not "run_id": that names the run a job writes (the CLI finalizes it on Ctrl-C).
        self.parent_run_id = run_id
        self.new_data = str(new_data)
        self.append = append
        self.title = f"Retrain {run_id} on {Path(self.new_data).name}"

    def run(self, ctx: Any = None) -> dict[str, Any]:
        from workbench.engine.jobs.events import JobContext
        from workbench.engine.project.folder import Project
        from workbench.engine.training.job import TrainJob

        ctx = ctx or JobContext()
        project = Project.open(self.project_root)
        parent = project.run(self.parent_run_id)
        if parent.status != "completed" or not parent.has_model:
            raise ProjectError(f"Run {parent.run_id} has no trained model to retrain (status: {parent.status}).")
        parent_spec = parent.spec
        old_model = parent.load_model()
        features = [f.name for f in old_model.info.features]
        if old_model.task == "clustering":
            raise DataError("Retraining compares models on held-out rows by their predictions' quality; "
                            "clustering runs have no target to compare on.")
        ctx.progress(0.0, "Reading the new data")
        dataset = self._dataset(project, parent_spec, features, old_model.info.target, ctx)
        spec = replace(parent_spec, dataset=dataset, dataset_path=None, fingerprint=None,
                       features=features, task=old_model.task)
        ctx.check()
        summary = TrainJob(self.project_root, spec).run(ctx.sub(0.1, 0.9))
        new_record = project.run(summary["run_id"])
        ctx.progress(0.9, "Scoring both models on the new held-out rows")
        seen = parent_training_rows(project, parent)
        comparison = compare_on_held_out(project, new_record, old_model, exclude=seen)
        lineage = {
            "parent_run": parent.run_id,
            "parent_dataset": parent_spec.dataset,
            "parent_fingerprint": parent_spec.fingerprint,
            "dataset": dataset,
            "fingerprint": new_record.spec.fingerprint,
            "appended": self.append,
            "comparison": comparison,
            "created": time.time(),
        }
        atomic_write_text(new_record.folder / LINEAGE_FILE, json.dumps(lineage, indent=2, default=str))
        ctx.progress(1.0, f"Retrained: the {comparison['winner']} model wins on {comparison['metric']}")
        return {"run_id": new_record.run_id, **lineage}

    def _dataset(self, project: Any, parent_spec: Any, features: list[str], target: str | None, ctx: Any) -> str:
        """The name of the dataset to train on (registering a file or an appended copy)."""
        from workbench.engine.data.loading import load_table

        if self.new_data in project.datasets:
            frame = project.load_dataset(self.new_data)
            check_columns(frame, target, features, self.new_data)
            if not self.append:
                return self.new_data
        else:
            path = Path(self.new_data)
            if not path.exists():
                raise DataError(f"'{self.new_data}' is neither a dataset of this project nor a file.")
            frame = load_table(path)
            check_columns(frame, target, features, path.name)
            if not self.append:
                return project.add_dataset(path, name=_unique_name(project, path.stem)).name
        old = project.load_dataset(parent_spec.dataset)
        combined = pd.concat([old, frame[[c for c in old.columns if c in frame.columns]]], ignore_index=True)
        data_dir = project.root / "data"
        data_dir.mkdir(exist_ok=True)
        base = _unique_name(project, f"{parent_spec.dataset}-plus-{Path(self.new_data).stem}")
        out = data_dir / f"{base}.parquet"
        combined.to_parquet(out, index=False)
        ctx.log(f"Appended {len(frame):,} new rows to {parent_spec.dataset} ({len(old):,} rows) as {base}.")
        return project.add_dataset(out, name=base).name


def _scores(task: str, y_true_codes: np.ndarray, model: Any, X: pd.DataFrame, classes: list[Any]
            ) -> dict[str, Any]:
    from workbench.engine.training import evaluation as ev

    if task == "regression":
        return ev.score_predictions(task, y_true_codes, model.predict(X))
    lookup = {c: i for i, c in enumerate(classes)}
    pred = np.array([lookup.get(p, -1) for p in model.predict(X)])
    proba = model.predict_proba(X)
    if proba is not None:
        # The model's probability columns follow its own classes; line them
        # up with the new data's classes (a class it never saw gets 0).
        aligned = np.zeros((len(X), len(classes)))
        for j, c in enumerate(model.classes):
            if c in lookup:
                aligned[:, lookup[c]] = proba[:, j]
        proba = aligned
    return ev.score_predictions(task, y_true_codes, pred, proba, classes)


def parent_training_rows(project: Any, parent: Any) -> pd.DataFrame | None:
    """The rows the parent model was trained on (None when its dataset is gone or changed)."""
    from workbench.engine.errors import WorkbenchError

    spec = parent.spec
    try:
        if spec.fingerprint and project.current_fingerprint(spec.dataset) != spec.fingerprint:
            return None
        frame = project.load_dataset(spec.dataset)
    except WorkbenchError:
        return None
    rows_file = parent.folder / "test_rows.npy"
    held_out = set(np.load(rows_file, allow_pickle=False).tolist()) if rows_file.exists() else set()
    return frame.loc[[i for i in frame.index if i not in held_out]]


def _row_keys(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return pd.util.hash_pandas_object(frame[columns].astype(str), index=False).to_numpy()


def compare_on_held_out(project: Any, new_record: Any, old_model: Any,
                        exclude: pd.DataFrame | None = None) -> dict[str, Any]:
    """Both models scored on the new run's held-out rows; the headline metric decides.

    Held-out rows identical to a row the old model trained on (``exclude``:
    e.g. old rows in an appended dataset) are left out, so neither model is
    scored on rows it learnt from.
    """
    from workbench.engine.training import evaluation as ev

    new_model = new_record.load_model()
    spec = new_record.spec
    frame = project.load_dataset(spec.dataset)
    labels = np.load(new_record.folder / "test_rows.npy", allow_pickle=False)
    rows = frame.loc[[x for x in labels if x in frame.index]]
    task = new_model.task
    target = new_model.info.target
    rows = rows[rows[target].notna()]
    overlap = 0
    if exclude is not None and len(rows):
        columns = [f.name for f in old_model.info.features] + [target]
        if all(c in exclude.columns for c in columns):
            seen = set(_row_keys(exclude, columns).tolist())
            keep = np.array([k not in seen for k in _row_keys(rows, columns)], dtype=bool)
            overlap = int((~keep).sum())
            rows = rows[keep]
    if not len(rows):
        raise DataError("None of the new run's held-out rows is new to the old model (they are all rows it "
                        "was trained on); retrain on data with new rows.")
    if task == "classification":
        classes = list(new_model.classes)
        lookup = {str(c): i for i, c in enumerate(classes)}
        y = np.array([lookup.get(str(v), -1) for v in rows[target]])
    else:
        classes = []
        y = pd.to_numeric(rows[target], errors="coerce").to_numpy(dtype=float)
    old = _scores(task, y, old_model, rows, classes)
    new = _scores(task, y, new_model, rows, classes)
    metric = ev.headline_metric(task)
    direction = ev.metric_direction(metric)
    a, b = old.get(metric), new.get(metric)
    if a is None or b is None or abs(a - b) <= 1e-12:
        winner = "new" if a is None and b is not None else ("old" if b is None and a is not None else "tie")
    else:
        winner = "new" if (b > a) == (direction == "max") else "old"
    return {
        "rows": int(len(rows)),
        "excluded_seen_rows": overlap,
        "evaluated_on": f"{len(rows):,} held-out rows of {spec.dataset} that neither model trained on"
                        + (f" ({overlap:,} held-out rows the old model had trained on left out)" if overlap else ""),
        "metric": metric,
        "direction": direction,
        "old": old,
        "new": new,
        "winner": winner,
    }
