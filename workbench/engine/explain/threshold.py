"""Binary classifiers: is the probability calibrated, and where to cut it.

* :func:`calibration_curve` — a reliability diagram with the row count of
  every bin (a bin of 3 rows says little, and the report shows that).
* :func:`threshold_curve` — precision, recall, F1 and, when the user gives
  the cost of a false positive and of a false negative, the total cost of
  the held-out rows at every threshold on P(positive class).
* :func:`set_threshold` — saves the chosen threshold with the run: in
  ``model.json`` (so ``TrainedModel.predict``, ``workbench predict`` and
  serving from the run use it), in ``result.json`` (so Results and the report
  show it) and in ``model.onnx``'s metadata when the run has been exported
  (``OnnxPredictor`` applies it; the graph's own ``label`` keeps 0.5).

The positive class is ``classes[1]`` (code 1), as everywhere in the engine.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.engine.errors import ProjectError, SpecError
from workbench.engine.fsutil import atomic_write_bytes, atomic_write_text
from workbench.engine.json_values import json_safe

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext

CALIBRATION_BINS = 10
THRESHOLD_STEPS = 99  # 0.01 .. 0.99


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Equal-width bins of predicted P(positive): mean prediction, observed rate, count."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    out = []
    gaps = 0.0
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        mean_predicted = float(p[mask].mean()) if n else None
        fraction_positive = float(y[mask].mean()) if n else None
        if mean_predicted is not None and fraction_positive is not None:
            gaps += abs(mean_predicted - fraction_positive) * n
        out.append({
            "lo": float(edges[b]), "hi": float(edges[b + 1]), "count": n,
            "mean_predicted": mean_predicted, "fraction_positive": fraction_positive,
        })
    brier = float(np.mean((p - y) ** 2)) if len(y) else None
    # Expected calibration error: the count-weighted gap between the two.
    ece = gaps / max(1, len(y))
    return {"bins": out, "brier": brier, "ece": float(ece), "rows": int(len(y))}


def threshold_curve(y: np.ndarray, p: np.ndarray, *, cost_fp: float | None = None,
                    cost_fn: float | None = None) -> dict[str, Any]:
    """Precision, recall, F1 (and cost) of ``P >= t`` for t = 0.01 .. 0.99."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=float)
    ts = np.round(np.linspace(0.01, 0.99, THRESHOLD_STEPS), 4)
    pred = p[None, :] >= ts[:, None]                       # (thresholds, rows)
    tp = (pred & y).sum(axis=1).astype(float)
    fp = (pred & ~y).sum(axis=1).astype(float)
    fn = (~pred & y).sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    out: dict[str, Any] = {
        "thresholds": ts.tolist(), "precision": precision, "recall": recall, "f1": f1,
        "false_positives": fp.astype(int), "false_negatives": fn.astype(int), "rows": int(len(y)),
    }
    best_f1 = int(np.nanargmax(f1)) if np.isfinite(f1).any() else 49
    out["best_f1_threshold"] = float(ts[best_f1])
    if cost_fp is not None or cost_fn is not None:
        cost = fp * float(cost_fp or 0.0) + fn * float(cost_fn or 0.0)
        out["cost"] = cost
        out["cost_fp"], out["cost_fn"] = cost_fp, cost_fn
        out["min_cost_threshold"] = float(ts[int(np.argmin(cost))])
    return json_safe(out)


def _held_out_probabilities(project_root: str | os.PathLike, run_id: str) -> tuple[Any, np.ndarray, np.ndarray]:
    from workbench.engine.onnx.run_export import held_out_rows
    from workbench.engine.project.folder import Project

    project = Project.open(project_root)
    record = project.run(run_id)
    if not record.has_model:
        raise ProjectError(f"Run {record.run_id} has no saved model (status: {record.status}).")
    model = record.load_model()
    if model.task != "classification" or len(model.classes) != 2:
        raise SpecError("Calibration and a decision threshold apply to binary classifiers only.")
    frame = held_out_rows(project, record)
    if frame is None:
        raise ProjectError(f"Run {record.run_id} has no held-out rows recorded (test_rows.npy).")
    target = model.info.target
    frame = frame[frame[target].notna()]
    proba = model.predict_proba(frame)
    if proba is None:
        raise SpecError(f"A {model.info.algorithm} model gives no probabilities to calibrate or cut.")
    labels = [str(c) for c in model.classes]
    y = frame[target].map(lambda v: labels.index(_label_text(v)) if _label_text(v) in labels else -1).to_numpy()
    keep = y >= 0
    return record, y[keep], proba[keep, 1]


def _label_text(v: Any) -> str:
    # Class labels were stored as JSON values; a float column's 1.0 is the class 1.
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class BinaryDiagnosticsJob:
    """Calibration and threshold curves of a run's held-out rows (a cancellable job)."""

    kind = "diagnose"

    def __init__(self, project_root: str | os.PathLike, run_id: str, *, cost_fp: float | None = None,
                 cost_fn: float | None = None) -> None:
        self.project_root = str(project_root)
        self.run_id = run_id
        self.cost_fp, self.cost_fn = cost_fp, cost_fn
        self.title = f"Calibration and threshold of {run_id}"

    def run(self, ctx: "JobContext | None" = None) -> dict[str, Any]:
        if ctx is not None:
            ctx.progress(0.05, "Predicting the held-out rows")
        record, y, p = _held_out_probabilities(self.project_root, self.run_id)
        if ctx is not None:
            ctx.check()
        model_info = json.loads((record.folder / "model.json").read_text(encoding="utf-8"))
        result = {
            "run_id": record.run_id,
            "positive_class": model_info["classes"][1],
            "calibration": calibration_curve(y, p),
            "threshold": threshold_curve(y, p, cost_fp=self.cost_fp, cost_fn=self.cost_fn),
            "chosen_threshold": model_info.get("threshold"),
        }
        if ctx is not None:
            ctx.progress(1.0, "Done")
        return result


def set_threshold(project_root: str | os.PathLike, run_id: str, threshold: float | None) -> dict[str, Any]:
    """Save (or with None clear) a binary run's decision threshold; returns where it went."""
    from workbench.engine.project.folder import Project

    if threshold is not None and not 0.0 < float(threshold) < 1.0:
        raise SpecError(f"A threshold is a probability strictly between 0 and 1, got {threshold}.")
    record = Project.open(project_root).run(run_id)
    info_path = record.folder / "model.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"Run {record.run_id} has no saved model.") from None
    if info.get("task") != "classification" or len(info.get("classes") or []) != 2:
        raise SpecError("A decision threshold applies to binary classifiers only.")
    value = None if threshold is None else float(threshold)
    info["threshold"] = value
    atomic_write_text(info_path, json.dumps(info, indent=2))
    chosen = {"value": value, "positive_class": info["classes"][1]}
    record.run_folder.update_result(lambda result: setattr(result, "threshold", chosen))
    written = ["model.json", "result.json"]
    if record.onnx_path is not None:
        _set_onnx_threshold(record.onnx_path, value)
        written.append(record.onnx_path.name)
    return {"run_id": record.run_id, "threshold": value, "positive_class": info["classes"][1], "written": written}


def _set_onnx_threshold(path: Any, value: float | None) -> None:
    import onnx

    model = onnx.load(str(path))
    props = {p.key: p for p in model.metadata_props}
    entry = props.get("threshold") or model.metadata_props.add()
    entry.key = "threshold"
    entry.value = "" if value is None else repr(value)
    atomic_write_bytes(path, model.SerializeToString())
