"""Prediction speed: the exported ONNX model against the native pipeline.

Models are trained once through the workbench (``TrainJob``) on a 200k-row
synthetic table and exported with ``export_run`` (run ids cached in
``bench/_data/inference_runs.json``); then, per model:

* batch: ``predict_proba`` of 1M raw rows (coercion included on both sides)
  — native ``TrainedModel.predict_proba`` vs ``OnnxPredictor.predict_proba``.
  Ratio = native / ONNX (> 1: ONNX faster).  Target >= 1.
* single row: median latency of ``predict_proba(df.iloc[[i]])`` over many
  rows.  Ratio = native / ONNX.  Target >= 10.  An extra row per model gives
  ONNX fed the same row as a dict (``{column: value}``), against the same
  native DataFrame latency.

``--tune`` also times bare onnxruntime sessions on the 1M-row feeds under
other settings (threads, graph optimisation level, execution mode, batch
rows), to choose OnnxPredictor's defaults.

``--reexport`` converts the cached runs again with the current exporter
(conversion changes, e.g. forests split into one node per tree, are then
measured without retraining).

Full size::

    timeout 1h .venv/bin/python bench/inference.py --repeats 3 --tune --wait --reexport

Smoke test::

    .venv/bin/python bench/inference.py --train-rows 5000 --batch-rows 20000 --repeats 1 --tune
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

MODELS = {
    "xgboost": ("xgboost", {"n_estimators": 200}),
    "random_forest": ("random_forest", {"n_estimators": 100}),
    "logreg": ("logistic_regression", {}),
}


def trained_runs(train_rows: int, keys: list[str], *, reexport: bool = False) -> tuple[Path, dict[str, str]]:
    """Project with one exported run per model (trained once, then reused)."""
    from workbench.engine import JobContext, Project, RunSpec, TrainJob
    from workbench.engine.onnx.run_export import export_run

    data = C.dataset_file(train_rows, 50)
    root = C.DATA / f"proj_infer_{train_rows}"
    cache = root / "inference_runs.json"
    if not (root / "workbench.toml").exists():
        Project.init(root).add_dataset(data, name="data", copy=False)
    runs = json.loads(cache.read_text()) if cache.exists() else {}
    for key in keys:
        if key in runs and (root / "runs" / runs[key] / "model.onnx").exists():
            if reexport:
                t_exp, report = C.timed(lambda: export_run(root, runs[key]))
                print(f"  re-exported {key} in {t_exp:.1f} s ({report['bytes'] / 2**20:.1f} MB)",
                      file=sys.stderr, flush=True)
            continue
        algorithm, params = MODELS[key]
        spec = RunSpec(dataset="data", algorithm=algorithm, target="y", params=dict(params), learning_curve=False)
        job = TrainJob(root, spec)
        t, _ = C.timed(lambda: job.run(JobContext()))
        t_exp, report = C.timed(lambda: export_run(root, job.run_id))
        print(f"  trained {key} in {t:.1f} s, exported in {t_exp:.1f} s "
              f"({report['bytes'] / 2**20:.1f} MB)", file=sys.stderr, flush=True)
        runs[key] = job.run_id
        cache.write_text(json.dumps(runs))
    return root, runs


def single_row_latency(fn, df, n: int, *, as_dict: bool = False) -> list[float]:
    import numpy as np

    rng = np.random.default_rng(1)
    picks = rng.integers(0, len(df), n)
    rows = [df.iloc[[int(i)]] for i in picks]
    if as_dict:  # the same rows, as {column: value}
        rows = [row.iloc[0].to_dict() for row in rows]
    fn(rows[0])  # warm-up
    out = []
    for row in rows:
        t0 = time.perf_counter()
        fn(row)
        out.append(time.perf_counter() - t0)
    return out


def tune_session(onnx_path: Path, predictor, df, repeats: int) -> list[list[str]]:
    """Bare onnxruntime under other session settings, on the same coerced feeds."""
    from concurrent.futures import ThreadPoolExecutor

    import onnxruntime as ort

    from workbench.engine.onnx.predict import BATCH_ROWS

    n, feeds_all = predictor.feeds(df)
    cores = os.cpu_count() or 1
    variants = [
        (f"threads=cores, ALL, sequential, batch {BATCH_ROWS:,}", cores, "ALL", "seq", BATCH_ROWS),
        (f"threads=1, ALL, {cores} batches at once, batch {BATCH_ROWS:,} (current)", 1, "ALL", "conc",
         BATCH_ROWS),
        (f"threads=1, ALL, {cores} batches at once, batch 10k", 1, "ALL", "conc", 10_000),
        ("threads=cores, ALL, sequential, one batch", cores, "ALL", "seq", n),
        ("threads=cores, ALL, sequential, batch 10k", cores, "ALL", "seq", 10_000),
        ("threads=cores, ALL, sequential, batch 100k", cores, "ALL", "seq", 100_000),
        ("threads=cores, BASIC, sequential, batch 100k", cores, "BASIC", "seq", 100_000),
        ("threads=cores, DISABLE, sequential, batch 100k", cores, "DISABLE", "seq", 100_000),
        ("threads=cores, ALL, parallel, batch 100k", cores, "ALL", "par", 100_000),
        ("threads=1, ALL, sequential, batch 100k", 1, "ALL", "seq", 100_000),
    ]
    levels = {"ALL": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
              "BASIC": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
              "DISABLE": ort.GraphOptimizationLevel.ORT_DISABLE_ALL}
    rows = []
    base = None
    for label, threads, level, mode, batch in variants:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = threads
        so.graph_optimization_level = levels[level]
        so.execution_mode = ort.ExecutionMode.ORT_PARALLEL if mode == "par" else ort.ExecutionMode.ORT_SEQUENTIAL
        if mode == "conc":
            so.inter_op_num_threads = 1
        so.log_severity_level = 3
        sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        names = [o.name for o in sess.get_outputs()]
        warm = min(batch, 50_000)  # first-run set-up (arena growth), not timed
        sess.run(names, {k: v[:warm] for k, v in feeds_all.items()})
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            if mode == "conc":  # what OnnxPredictor does: whole batches side by side
                size = min(batch, -(-n // cores))
                with ThreadPoolExecutor(cores) as pool:
                    list(pool.map(lambda start, size=size: sess.run(
                        names, {k: v[start:start + size] for k, v in feeds_all.items()}), range(0, n, size)))
            else:
                for start in range(0, n, batch):
                    sess.run(names, {k: v[start:start + batch] for k, v in feeds_all.items()})
            times.append(time.perf_counter() - t0)
        s = C.summary(times)
        base = base or s
        rows.append([label, C.fmt_s(s), f"{C.ratio(base, s):.2f}"])
    return rows


def _tree_nodes(onnx_path: Path) -> str:
    """', N tree nodes' when the graph holds a split tree ensemble, else ''."""
    try:
        import onnx

        model = onnx.load(str(onnx_path), load_external_data=False)
    except Exception:  # onnx missing or unreadable: the label is decoration only
        return ""
    count = sum(1 for n in model.graph.node if n.op_type.startswith("TreeEnsemble"))
    return f", {count} tree nodes" if count > 1 else ""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train-rows", type=int, default=200_000)
    p.add_argument("--batch-rows", type=int, default=1_000_000)
    p.add_argument("--single", type=int, default=300, help="single-row calls timed per model")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--tune", action="store_true")
    p.add_argument("--wait", action="store_true")
    p.add_argument("--reexport", action="store_true", help="convert the cached runs again before measuring")
    args = p.parse_args()

    import pandas as pd

    from workbench.engine import OnnxPredictor, Project

    keys = [k for k in args.models.split(",") if k]
    root, runs = trained_runs(args.train_rows, keys, reexport=args.reexport)
    batch = pd.read_parquet(C.dataset_file(args.batch_rows, 50)).drop(columns=["y"])
    quiet = C.wait_for_quiet() if args.wait else None
    print(f"machine: {C.machine()}; quiet wait: {quiet}")
    project = Project.open(root)
    table, tuning = [], {}
    for key in keys:
        record = project.run(runs[key])
        native = record.load_model()
        onnx_path = record.folder / "model.onnx"
        onnx = OnnxPredictor(onnx_path)
        with C.announce(f"inference {key}"):
            start = C.loadavg()
            nat_b, onx_b = [], []
            for _ in range(args.repeats):
                nat_b.append(C.timed(lambda: native.predict_proba(batch))[0])
                onx_b.append(C.timed(lambda: onnx.predict_proba(batch))[0])
            nat_1 = single_row_latency(native.predict_proba, batch, args.single)
            onx_1 = single_row_latency(onnx.predict_proba, batch, args.single)
            onx_d = single_row_latency(onnx.predict_proba, batch, args.single, as_dict=True)
            if args.tune:
                tuning[key] = tune_session(onnx_path, onnx, batch, args.repeats)
            end = C.loadavg()
        nb, ob, n1, o1, od = map(C.summary, (nat_b, onx_b, nat_1, onx_1, onx_d))
        rb, r1, rd = C.ratio(nb, ob), C.ratio(n1, o1), C.ratio(n1, od)
        trees = _tree_nodes(onnx_path)
        size = onnx_path.stat().st_size / 2**20
        table.append([f"{key} batch {len(batch):,}", C.fmt_s(nb), C.fmt_s(ob), f"{rb:.2f}", ">= 1",
                      "met" if rb >= 1 else "missed", f"{start} -> {end}"])
        table.append([f"{key} single row ({size:.0f} MB onnx{trees})", C.fmt_s(n1, "ms", 1e3),
                      C.fmt_s(o1, "ms", 1e3), f"{r1:.1f}", ">= 10", "met" if r1 >= 10 else "missed", ""])
        table.append([f"{key} single row, ONNX fed a dict", C.fmt_s(n1, "ms", 1e3), C.fmt_s(od, "ms", 1e3),
                      f"{rd:.1f}", ">= 10", "met" if rd >= 10 else "missed", ""])
    C.print_table(
        f"predict_proba, native pipeline vs ONNX (models trained on {args.train_rows:,} rows); "
        f"batch: median (min–max) of {args.repeats}; single row: median (min–max) of {args.single} calls",
        ["model", "native", "onnx", "ratio native/onnx", "target", "met?", "load"], table,
    )
    for key, rows in tuning.items():
        C.print_table(f"onnxruntime settings, {key}, {len(batch):,} rows (ratio: current / variant, > 1 = faster)",
                      ["variant", "time", "ratio"], rows)


if __name__ == "__main__":
    main()
