"""The explain job: contributions, global importance and partial dependence of a run.

Cost is bounded by the run itself: the whole explanation gets at most the
time the training took (``timings.total_s``, at least :data:`MIN_BUDGET_S`
so a model that trained in 0.1 s still gets a usable estimate), and big data
is sampled; every sample size is recorded in the result's ``sample``.  The
explanation of the run's own held-out rows is cached in the run folder
(``explain.json``) and reused while the model file is unchanged.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import ProjectError, SpecError
from workbench.engine.fsutil import atomic_write_text
from workbench.engine.jobs.events import JobContext
from workbench.engine.json_values import json_safe

from workbench.engine.explain.contributions import METHOD_TEXT, NoTreeShap, sampling_shapley, tree_shap
from workbench.engine.explain.dependence import partial_dependence_curves

CACHE_FILE = "explain.json"
CACHE_FORMAT = 1
DEFAULT_ROWS = 10
MIN_BUDGET_S = 3.0
GLOBAL_MAX_ROWS = 2000   # rows TreeSHAP's global importance is averaged over
PDP_MAX_ROWS = 300       # rows each partial-dependence curve averages
PDP_FEATURES = 5
PDP_ALWAYS = 3           # top features that always get a curve (on fewer rows if need be)
PDP_MIN_ROWS = 50


def _model_stamp(folder: Path) -> str:
    st = (folder / "model.skops").stat()
    info = folder / "model.json"
    return f"{st.st_size}-{st.st_mtime_ns}-{info.stat().st_mtime_ns if info.exists() else 0}"


def read_cached_explanation(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The cached explanation of a run folder, or None (absent or stale)."""
    folder = Path(folder)
    try:
        data = json.loads((folder / CACHE_FILE).read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT or data.get("model_stamp") != _model_stamp(folder):
            return None
        return data
    except (FileNotFoundError, ValueError, OSError):
        return None


class ExplainJob:
    """Explain one run's model (picklable: paths and numbers only).

    Parameters
    ----------
    project_root, run_id
        The run to explain (it must have a saved model).
    data_path
        Rows to explain (any file ``load_table`` reads); default: the run's
        held-out rows.
    rows
        How many rows to explain per row (the first ``rows`` of the file, or
        the first held-out rows).
    row_offset
        Skip this many rows of the file/held-out rows first.
    frame
        Rows to explain given directly (a raw frame, e.g. the Predict view's
        table; extra columns are ignored).  Instead of ``data_path``.
    dependence
        Compute partial dependence too (off for a quick per-row answer).
    """

    kind = "explain"

    def __init__(self, project_root: str | os.PathLike, run_id: str, data_path: str | os.PathLike | None = None,
                 rows: int = DEFAULT_ROWS, *, row_offset: int = 0, seed: int = 0, use_cache: bool = True,
                 frame: pd.DataFrame | None = None, dependence: bool = True) -> None:
        self.project_root = str(project_root)
        self.run_id = run_id
        self.data_path = str(data_path) if data_path else None
        self.rows = max(1, int(rows))
        self.row_offset = max(0, int(row_offset))
        self.seed = seed
        self.use_cache = use_cache
        self.frame = frame
        self.dependence = dependence
        self.title = f"Explain {run_id}"

    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.data.loading import load_table
        from workbench.engine.onnx.run_export import held_out_rows
        from workbench.engine.project.folder import Project

        ctx = ctx or JobContext()
        started = time.perf_counter()
        project = Project.open(self.project_root)
        record = project.run(self.run_id)
        if not record.has_model:
            raise ProjectError(f"Run {record.run_id} has no saved model to explain (status: {record.status}).")
        default_request = self.data_path is None and self.frame is None and self.row_offset == 0 and self.dependence
        if self.use_cache and default_request:
            cached = read_cached_explanation(record.folder)
            if cached is not None and cached.get("requested_rows", 0) >= self.rows:
                ctx.progress(1.0, "Explanation from the run's cache")
                return _trim_rows(cached, self.rows)
        model = record.load_model()
        started = time.perf_counter()  # the budget counts explaining, not imports
        if model.task == "clustering":
            raise SpecError("Clustering runs have no prediction to explain; explain a classifier or regressor.")
        result = record.result
        seconds = (result.total_seconds or result.seconds("fit_s")) if result else None
        budget = max(float(seconds or 0.0), MIN_BUDGET_S)

        ctx.progress(0.02, "Loading rows")
        held = held_out_rows(project, record)
        if held is None:
            held = project.load_dataset(record.spec.dataset)
        names = [f.name for f in model.info.features]
        reference = model.coerce(held)
        if self.frame is not None:
            raw_rows = self.frame
        elif self.data_path:
            raw_rows = load_table(self.data_path)
        else:
            raw_rows = held
        raw_rows = raw_rows.iloc[self.row_offset : self.row_offset + self.rows]
        if raw_rows.empty:
            raise SpecError("No rows to explain (the file is empty or --rows/offset is past its end).")
        X = model.coerce(raw_rows)
        ctx.check()

        rng = np.random.default_rng(self.seed)
        ctx.progress(0.1, "Contributions")
        sample: dict[str, Any] = {"dataset_rows": int(len(held)), "explained_rows": int(len(X))}
        try:
            local = tree_shap(model, X)
            idx = rng.choice(len(reference), min(GLOBAL_MAX_ROWS, len(reference)), replace=False)
            global_part = tree_shap(model, reference.iloc[np.sort(idx)])["contributions"]
            sample["global_rows"] = int(len(idx))
            sample["float32_rounding_spread"] = local["rounding_residual"]
            fallback_note = None
        except NoTreeShap as exc:
            fallback_note = None if "not an XGBoost" in str(exc) else f"Exact TreeSHAP unavailable ({exc})."
            local = sampling_shapley(model, X, reference, budget_s=0.6 * budget, seed=self.seed,
                                     ctx=ctx.sub(0.1, 0.6))
            global_part = local["contributions"]
            sample["global_rows"] = int(len(X))
            sample["background_rows"] = local["background_rows"]
            sample["permutations"] = local["permutations"]
        ctx.check()
        mean_abs = np.abs(global_part).mean(axis=0)
        order = np.argsort(-mean_abs, kind="stable")
        global_rank = [{"feature": names[i], "mean_abs": float(mean_abs[i])} for i in order]

        # Partial dependence for the top features, within what is left of the
        # budget: the first PDP_ALWAYS curves are always drawn (on fewer rows
        # when time is short), the rest only while there is time.
        ctx.progress(0.6, "Partial dependence")
        pdp_idx = rng.choice(len(reference), min(PDP_MAX_ROWS, len(reference)), replace=False)
        pdp_frame = reference.iloc[np.sort(pdp_idx)].reset_index(drop=True)
        pdp: dict[str, Any] = {}
        skipped: list[str] = []
        per_row_s: float | None = None  # seconds per sampled row of one curve, once measured
        names_pdp = [g["feature"] for g in global_rank[:PDP_FEATURES]] if self.dependence else []
        for k, name in enumerate(names_pdp):
            ctx.check()
            left = budget - (time.perf_counter() - started)
            if left <= 0 and len(pdp) >= PDP_ALWAYS:
                skipped.append(name)
                continue
            n_rows = len(pdp_frame)
            if per_row_s:
                share = max(left, 0.0) / max(1, min(len(names_pdp) - k, PDP_ALWAYS - len(pdp)) or 1)
                n_rows = int(np.clip(share / per_row_s, min(PDP_MIN_ROWS, len(pdp_frame)), len(pdp_frame)))
            t0 = time.perf_counter()
            pdp.update(partial_dependence_curves(model, pdp_frame.iloc[:n_rows], [name], seed=self.seed))
            per_row_s = (time.perf_counter() - t0) / max(1, n_rows)
        sample["pdp_rows"] = max((c["rows"] for c in pdp.values()), default=int(len(pdp_frame)))

        predictions = model.predict(raw_rows)
        labels = list(model.classes)
        rows_out = []
        values = [{c: X[c].iloc[i] for c in names} for i in range(len(X))]
        for i in range(len(X)):
            row: dict[str, Any] = {
                "index": _plain(raw_rows.index[i]),
                "prediction": _plain(predictions[i]),
                "raw_output": float(local["raw"][i]),
                "base_value": float(local["base"][i]),
                "contributions": {names[j]: float(local["contributions"][i, j]) for j in range(len(names))},
                "values": {k: _plain(v) for k, v in values[i].items()},
            }
            if local.get("explained_class") is not None:
                row["class"] = _plain(labels[int(local["explained_class"][i])])
            rows_out.append(row)
        bases = np.asarray(local["base"], dtype=float)
        base_value: Any = float(bases[0]) if np.allclose(bases, bases[0], atol=1e-9) else None
        output = {
            "run_id": record.run_id,
            "method": local["method"],
            "method_text": METHOD_TEXT[local["method"]],
            "output": _output_scale(model, local),
            "base_value": base_value,
            "rows": rows_out,
            "global": global_rank,
            "partial_dependence": pdp,
            "sample": sample,
            "notes": [n for n in [
                fallback_note,
                f"Partial dependence skipped for {', '.join(skipped)} (over the time budget)." if skipped else None,
            ] if n],
            "budget_s": round(budget, 3),
            "seconds": round(time.perf_counter() - started, 3),
            "requested_rows": self.rows,
        }
        output = json_safe(output)
        if default_request:
            cache = dict(output, format=CACHE_FORMAT, model_stamp=_model_stamp(record.folder))
            atomic_write_text(record.folder / CACHE_FILE, json.dumps(cache, indent=1))
        ctx.progress(1.0, "Done")
        return output


def _output_scale(model: Any, local: dict[str, Any]) -> str:
    if model.task == "regression":
        return "prediction"
    if local["method"] == "tree_shap":
        return "margin (log-odds)" if len(model.classes) == 2 else "margin of the explained class"
    return local.get("scale", "probability")


def _trim_rows(data: dict[str, Any], n: int) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in ("format", "model_stamp")}
    out["rows"] = out["rows"][:n]
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, np.float32):
        # The canonical frame holds float32: 19.6 must not read 19.600000381469727.
        return float(str(v)) if np.isfinite(v) else None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v
