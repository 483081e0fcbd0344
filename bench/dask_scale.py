"""Scale-out on Dask: overhead, memory beyond one worker, tuning throughput.

Three measurements, each against the obvious alternative:

overhead
    The same XGBoost run (synthetic classification table) through the local
    process executor vs a 2-worker LocalCluster (DaskExecutor: the whole job
    on one worker) vs ``xgboost.dask`` across both workers (a partitioned
    Parquet copy of the same rows).  Ratio = cluster / local, and where the
    time goes (the run's own timings: prepare, fit, evaluate).
memory
    A partitioned Parquet dataset whose in-memory size exceeds one worker's
    memory limit but fits both: ``xgboost.dask`` across 2 workers trains it;
    the whole job on ONE worker of the same limit is refused or fails
    cleanly (the nanny kills it; the run ends ``failed`` with the reason).
tuning
    Trials per minute of one random search, 1 worker vs 2 workers.

Run:  python bench/dask_scale.py [--rows 400000] [--memory-rows 3000000]
      [--worker-memory 1.5GB] [--trials 12] [--skip memory]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import loadavg, synthetic_frame  # noqa: E402


def _project(tmp: Path, frame, parts: int) -> tuple[Path, Path]:
    from workbench.engine import Project

    proj = Project.init(tmp / "proj", "dask bench").root
    csv = tmp / "table.parquet"
    frame.to_parquet(csv)
    Project.open(proj).add_dataset(csv, "table")
    folder = tmp / "parts"
    folder.mkdir()
    step = -(-len(frame) // parts)
    for i in range(parts):
        frame.iloc[i * step:(i + 1) * step].to_parquet(folder / f"part-{i:03d}.parquet")
    Project.open(proj).add_dataset(folder, "parted", copy=False)
    return proj, folder


def _cluster(workers: int, memory: str):
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, memory_limit=memory,
                            dashboard_address=None, silence_logs=50)


def overhead(tmp: Path, rows: int, rounds: int) -> dict:
    from workbench.engine import DaskExecutor, DaskXGBoostJob, InlineExecutor, ProcessExecutor, RunSpec, TrainJob

    frame = synthetic_frame(rows, 30, seed=1)
    proj, _ = _project(tmp, frame, parts=8)
    spec = RunSpec(dataset="table", algorithm="xgboost", target="y", params={"n_estimators": rounds},
                   learning_curve=False).validate()
    out = {}
    with ProcessExecutor(max_concurrent=1) as ex:
        ex.run(TrainJob(proj, RunSpec(dataset="table", algorithm="xgboost", target="y",
                                      params={"n_estimators": 2}).validate()))  # warm the worker
        t0 = time.perf_counter()
        r = ex.run(TrainJob(proj, spec))
        out["local_process_s"] = time.perf_counter() - t0
        out["local_accuracy"] = r["metrics"]["accuracy"]
    with _cluster(2, "4GB") as lc:
        ex = DaskExecutor(lc.scheduler_address)
        ex.run(TrainJob(proj, RunSpec(dataset="table", algorithm="xgboost", target="y",
                                      params={"n_estimators": 2}).validate()))  # warm the workers
        t0 = time.perf_counter()
        r = ex.run(TrainJob(proj, spec))
        out["dask_one_worker_s"] = time.perf_counter() - t0
        out["dask_one_worker_accuracy"] = r["metrics"]["accuracy"]
        ex.shutdown()
        pspec = RunSpec(dataset="parted", algorithm="xgboost", target="y", params={"n_estimators": rounds}).validate()
        t0 = time.perf_counter()
        job = DaskXGBoostJob(proj, pspec, lc.scheduler_address)
        r = InlineExecutor().run(job)
        out["xgboost_dask_2_workers_s"] = time.perf_counter() - t0
        out["xgboost_dask_accuracy"] = r["metrics"]["accuracy"]
        result = json.loads((proj / "runs" / r["run_id"] / "result.json").read_text())
        out["xgboost_dask_timings"] = result["timings"]
    out["ratio_dask_job_vs_local"] = out["dask_one_worker_s"] / out["local_process_s"]
    out["ratio_xgboost_dask_vs_local"] = out["xgboost_dask_2_workers_s"] / out["local_process_s"]
    return out


def memory(tmp: Path, rows: int, worker_memory: str, rounds: int) -> dict:
    from workbench.engine import DaskExecutor, DaskXGBoostJob, InlineExecutor, RunSpec, TrainJob
    from workbench.engine.data.partitioned import describe

    import numpy as np
    import pandas as pd

    # Numeric only, so the in-memory size is easy to state: rows × 31 × 8 bytes.
    rng = np.random.default_rng(0)
    folder = tmp / "mem_parts"
    folder.mkdir()
    chunk = 250_000
    for i, start in enumerate(range(0, rows, chunk)):
        n = min(chunk, rows - start)
        X = rng.normal(size=(n, 30))
        y = (X[:, 0] + 0.5 * X[:, 1] - X[:, 2] + rng.normal(scale=0.5, size=n) > 0).astype(int)
        part = pd.DataFrame(X, columns=[f"x{j}" for j in range(30)])
        part["y"] = y
        part.to_parquet(folder / f"part-{i:03d}.parquet")
    from workbench.engine import Project

    proj = Project.init(tmp / "memproj", "mem").root
    Project.open(proj).add_dataset(folder, "big", copy=False)
    info = describe(folder)
    frame_gb = rows * 31 * 8 / 1e9
    out = {"rows": rows, "frame_gb": round(frame_gb, 2), "uncompressed_parquet_gb": info["uncompressed_bytes"] / 1e9,
           "worker_memory": worker_memory}
    spec = RunSpec(dataset="big", algorithm="xgboost", target="y", params={"n_estimators": rounds}).validate()
    with _cluster(2, worker_memory) as lc:
        t0 = time.perf_counter()
        try:
            r = InlineExecutor().run(DaskXGBoostJob(proj, spec, lc.scheduler_address))
            out["two_workers"] = {"status": r["status"], "accuracy": r["metrics"]["accuracy"],
                                  "seconds": time.perf_counter() - t0}
        except Exception as exc:  # noqa: BLE001 - reported
            out["two_workers"] = {"status": "failed", "message": str(exc)[:300], "seconds": time.perf_counter() - t0}
    with _cluster(1, worker_memory) as lc:
        t0 = time.perf_counter()
        ex = DaskExecutor(lc.scheduler_address)
        try:
            r = ex.run(TrainJob(proj, spec))
            out["one_worker_whole_job"] = {"status": r["status"], "seconds": time.perf_counter() - t0}
        except Exception as exc:  # noqa: BLE001 - the expected outcome
            out["one_worker_whole_job"] = {"status": "failed", "message": str(exc)[:300],
                                           "seconds": time.perf_counter() - t0}
        ex.shutdown()
    return out


def tuning(tmp: Path, trials: int) -> dict:
    from workbench.engine import InlineExecutor, RunSpec, TuneJob

    frame = synthetic_frame(20_000, 20, seed=2)
    (tmp / "tune").mkdir()
    proj, _ = _project(tmp / "tune", frame, parts=2)
    spec = RunSpec(dataset="table", algorithm="random_forest", target="y", seed=0).validate()
    out = {}
    for workers in (1, 2):
        with _cluster(workers, "3GB") as lc:
            job = TuneJob(proj, spec, strategy="random", n_trials=trials, cv=3,
                          space_overrides={"n_estimators": "20:60"}, scheduler=lc.scheduler_address)
            t0 = time.perf_counter()
            r = InlineExecutor().run(job)
            seconds = time.perf_counter() - t0
            out[f"{workers}_workers"] = {"trials": r["n_trials"], "seconds": seconds,
                                         "trials_per_minute": 60 * r["n_trials"] / seconds}
    out["speedup_2_vs_1"] = out["2_workers"]["trials_per_minute"] / out["1_workers"]["trials_per_minute"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--memory-rows", type=int, default=8_000_000)
    ap.add_argument("--worker-memory", default="1.5GB")
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--skip", action="append", default=[], choices=["overhead", "memory", "tuning"])
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wb-dask-bench-"))
    report = {"load_before": loadavg()}
    try:
        if "overhead" not in args.skip:
            (tmp / "o").mkdir()
            report["overhead"] = overhead(tmp / "o", args.rows, args.rounds)
            print(json.dumps({"overhead": report["overhead"]}, indent=1), flush=True)
        if "tuning" not in args.skip:
            report["tuning"] = tuning(tmp, args.trials)
            print(json.dumps({"tuning": report["tuning"]}, indent=1), flush=True)
        if "memory" not in args.skip:
            report["memory"] = memory(tmp, args.memory_rows, args.worker_memory, args.rounds)
            print(json.dumps({"memory": report["memory"]}, indent=1), flush=True)
    finally:
        report["load_after"] = loadavg()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
