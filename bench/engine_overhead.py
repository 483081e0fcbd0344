"""What the workbench adds on top of calling the library directly.

For each learner the same data, rows, preprocessing and parameters are fitted
three ways, each in a fresh process, interleaved repeat by repeat:

* ``direct``  — a plain script: read the Parquet file, the same stratified
  80/20 split (every training row is fitted: without early stopping the
  workbench no longer carves out validation rows), ``ColumnTransformer`` (median imputation, one-hot
  categories, standard scaling for the linear model only), float32 cast,
  ``est.fit``.  Nothing else.
* ``inproc``  — ``TrainJob(...).run(JobContext(callback))`` in a process that
  has already imported the engine: live per-iteration events, run folder,
  evaluation on the test rows, importances, model save.
* ``cli``     — ``workbench train ... --no-learning-curve --json`` as a
  subprocess (process start-up, imports and loading included).

Ratios: workbench fit (``result.json`` timings ``fit_s``) over direct fit
(preprocessing fit + ``est.fit``), and whole-process wall times.  Target: fit
ratio <= 1.03.

Full sizes (run on a quiet machine; about 25 minutes with 3 repeats)::

    timeout 3h .venv/bin/python bench/engine_overhead.py --repeats 3 --wait

Smoke test::

    .venv/bin/python bench/engine_overhead.py --scale 0.02 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

# key -> (algorithm, workbench params, rows at scale 1, iterative?)
CASES = {
    "xgboost": ("xgboost", {"n_estimators": 200}, 1_000_000, True),
    "hist_gb": ("hist_gradient_boosting", {"max_iter": 200}, 1_000_000, True),
    "random_forest": ("random_forest", {"n_estimators": 100}, 200_000, True),
    "logreg": ("logistic_regression", {}, 1_000_000, False),
    # workbench[boosting]
    "lightgbm": ("lightgbm", {"n_estimators": 200}, 1_000_000, True),
    "catboost": ("catboost", {"iterations": 200}, 200_000, True),
}
COLUMNS = 50
TEST_SIZE = 0.2
VALID_FRACTION = 0.1
SEED = 0


# ----------------------------------------------------------------- workers
def _direct_estimator(case: str, n_threads: int):
    if case == "xgboost":
        import xgboost as xgb

        return xgb.XGBClassifier(
            n_estimators=200, tree_method="hist", n_jobs=n_threads, random_state=SEED, verbosity=0,
            objective="binary:logistic",
        )
    if case == "hist_gb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=200, random_state=SEED, early_stopping=False)
    if case == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=100, n_jobs=n_threads, random_state=SEED)
    if case == "lightgbm":
        import lightgbm as lgb

        return lgb.LGBMClassifier(n_estimators=200, n_jobs=n_threads, random_state=SEED, verbose=-1)
    if case == "catboost":
        import catboost as cb

        return cb.CatBoostClassifier(iterations=200, thread_count=n_threads, random_seed=SEED, verbose=0,
                                     allow_writing_files=False, loss_function="Logloss")
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(random_state=SEED)


def worker_direct(case: str, data: Path, with_eval: bool, threads: int | None) -> dict:
    """The plain-script baseline; returns its timings (wall and CPU)."""
    t_start = time.perf_counter()
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    t_import = time.perf_counter() - t_start
    t0 = time.perf_counter()
    df = pd.read_parquet(data)
    t_load = time.perf_counter() - t0
    y = df.pop("y").to_numpy()
    train_idx, _ = train_test_split(np.arange(len(df)), test_size=TEST_SIZE, random_state=SEED, stratify=y)
    train_idx = np.sort(train_idx)
    cats = [c for c, _ in C.CATEGORICAL]
    nums = [c for c in df.columns if c not in cats]
    numeric = [SimpleImputer(strategy="median")]
    if case == "logreg":
        numeric.append(StandardScaler())
    prep = ColumnTransformer(
        [("num", make_pipeline(*numeric), nums),
         ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="__missing__"),
                               OneHotEncoder(handle_unknown="ignore", sparse_output=False)), cats)],
        sparse_threshold=0,
    )
    X_train, y_train = df.iloc[train_idx], y[train_idx]
    for c in cats:  # the imputer wants object columns with NaN for missing
        X_train[c] = X_train[c].astype(object)
    n_threads = threads or os.cpu_count() or 1
    est = _direct_estimator(case, n_threads)
    iterative = CASES[case][3]
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(n_threads)  # OpenMP (HistGB) and BLAS, as the workbench caps them
    c0 = time.process_time()
    t0 = time.perf_counter()
    Xt = prep.fit_transform(X_train).astype(np.float32)
    t_prep = time.perf_counter() - t0
    if iterative and with_eval:
        Xt, X_va, y_fit, y_va = train_test_split(
            Xt, y_train, test_size=VALID_FRACTION, random_state=SEED, stratify=y_train
        )
    else:
        # Without early stopping the workbench fits on every training row
        # (issue 17.5); so does the plain script.
        y_fit = y_train
    t1 = time.perf_counter()
    if with_eval:  # XGBoost watching the validation rows every round, as people do
        est.set_params(eval_metric=["error", "logloss"])
        est.fit(Xt, y_fit, eval_set=[(X_va, y_va)], verbose=False)
    else:
        est.fit(Xt, y_fit)
    t_fit_only = time.perf_counter() - t1
    t_fit = time.perf_counter() - t0
    cpu_fit = time.process_time() - c0
    limits.restore_original_limits()
    return {
        "cpu_fit_s": cpu_fit,
        "import_s": t_import, "load_s": t_load, "prep_s": t_prep, "est_fit_s": t_fit_only,
        "fit_s": t_fit, "total_s": time.perf_counter() - t_start, "fit_rows": int(Xt.shape[0]),
    }


def worker_inproc(case: str, root: Path, threads: int | None) -> dict:
    """TrainJob.run with an event callback, in this (already started) process."""
    t_start = time.perf_counter()
    from workbench.engine import JobContext, RunSpec, TrainJob
    from workbench.engine.training import job as training
    from workbench.engine.jobs.events import Iteration
    from workbench.engine.jobs.threads import cap_threads

    # CPU time of the final fit (the same span as result.json's fit_s): the
    # fitter is wrapped, not changed.
    fit_cpu: list[float] = []
    original_fit = training._Fitter.fit

    def timed_fit(self, *a, **kw):
        c0 = time.process_time()
        try:
            return original_fit(self, *a, **kw)
        finally:
            fit_cpu.append(time.process_time() - c0)

    training._Fitter.fit = timed_fit

    import sklearn  # noqa: F401 - imported before the clock, as in a warm GUI session
    t_import = time.perf_counter() - t_start
    algorithm, params, _, _ = CASES[case]
    spec = RunSpec(dataset="data", algorithm=algorithm, target="y", params=dict(params),
                   learning_curve=False, seed=SEED, n_threads=threads)
    counts = {"events": 0, "iterations": 0}

    def on_event(event) -> None:
        counts["events"] += 1
        if isinstance(event, Iteration):
            counts["iterations"] += 1

    job = TrainJob(root, spec)
    t0 = time.perf_counter()
    with cap_threads(threads or os.cpu_count() or 1):
        job.run(JobContext(on_event))
    wall = time.perf_counter() - t0
    result = json.loads((root / "runs" / job.run_id / "result.json").read_text())
    shutil.rmtree(root / "runs" / job.run_id, ignore_errors=True)
    return {"import_s": t_import, "run_s": wall, "cpu_fit_s": fit_cpu[-1], **_timings(result), **counts}


def _timings(result: dict) -> dict:
    t = result["timings"]
    return {"fit_s": t["fit_s"], "evaluate_s": t.get("evaluate_s", 0.0), "job_total_s": t["total_s"],
            "fit_rows": result["rows"]["train"], "importances": result["evaluation"].get("importances", {}).get("method")}


def run_cli(case: str, root: Path, threads: int | None) -> dict:
    algorithm, params, _, _ = CASES[case]
    exe = str(Path(C.PYTHON).with_name("workbench"))
    cmd = [exe, "train", str(root), "data", "--target", "y", "--algorithm", algorithm,
           "--no-learning-curve", "--json", "--seed", str(SEED)]
    if threads:
        cmd += ["--threads", str(threads)]
    for k, v in params.items():
        cmd += ["--param", f"{k}={v}"]
    wall, out = C.run_subprocess(cmd)
    run_id = json.loads(out)["run_id"]
    result = json.loads((root / "runs" / run_id / "result.json").read_text())
    shutil.rmtree(root / "runs" / run_id, ignore_errors=True)
    return {"wall_s": wall, **_timings(result)}


def run_worker(mode: str, case: str, data: Path, root: Path, threads: int | None) -> dict:
    cmd = [C.PYTHON, __file__, "--worker", mode, "--case", case, "--data", str(data), "--root", str(root)]
    if threads:
        cmd += ["--threads", str(threads)]
    _, out = C.run_subprocess(cmd)
    return json.loads(out.strip().splitlines()[-1])


# ----------------------------------------------------------------- driver
def project_for(data: Path) -> Path:
    """A project holding ``data`` (linked, cache written once)."""
    from workbench.engine import Project

    root = C.DATA / f"proj_{data.stem}"
    if (root / "workbench.toml").exists():
        return root
    project = Project.init(root, name=data.stem)
    project.add_dataset(data, name="data", copy=False)
    project.load_dataset("data")  # fills the fingerprint index
    return root


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0, help="row count multiplier (0.02 for a smoke test)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--wait", action="store_true", help="wait (up to 30 min) for load average < 1 first")
    p.add_argument("--threads", type=int, help="threads for every side (default: all cores); with 1, "
                   "CPU-time ratios are meaningful even on a busy machine")
    p.add_argument("--rows", type=int, help="rows for every case (overrides the per-case sizes and --scale)")
    p.add_argument("--no-cli", action="store_true", help="skip the CLI subprocess (it reports no CPU time)")
    p.add_argument("--worker", choices=["direct", "direct_eval", "inproc"], help=argparse.SUPPRESS)
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--root", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        if args.worker == "inproc":
            out = worker_inproc(args.case, Path(args.root), args.threads)
        else:
            out = worker_direct(args.case, Path(args.data), args.worker == "direct_eval", args.threads)
        print(json.dumps(out))
        return

    cases = [c for c in args.cases.split(",") if c]
    setups = {}
    for case in cases:
        rows = args.rows or max(int(CASES[case][2] * args.scale), 2000)
        data = C.dataset_file(rows, COLUMNS)
        t_proj = time.perf_counter()
        setups[case] = (data, project_for(data), rows)
        print(f"  {case}: {rows:,} rows, project ready ({time.perf_counter() - t_proj:.1f} s)", file=sys.stderr)
    quiet = C.wait_for_quiet() if args.wait else None
    print(f"machine: {C.machine()}; quiet wait: {quiet}")
    results: dict[str, dict[str, list[dict]]] = {}
    loads: dict[str, tuple[str, str]] = {}
    for case in cases:
        data, root, rows = setups[case]
        modes = ["direct", "inproc"] + ([] if args.no_cli else ["cli"]) + (["direct_eval"] if case == "xgboost" else [])
        start = C.loadavg()
        with C.announce(f"engine_overhead {case} {rows} rows"):
            for r in range(args.repeats):
                for mode in modes:
                    out = (run_cli(case, root, args.threads) if mode == "cli"
                           else run_worker(mode, case, data, root, args.threads))
                    results.setdefault(case, {}).setdefault(mode, []).append(out)
                    print(f"    {case} {mode} #{r + 1}: " + ", ".join(
                        f"{k} {v:.2f}" for k, v in out.items() if isinstance(v, float)), file=sys.stderr, flush=True)
        loads[case] = (start, C.loadavg())
        report(case, rows, results[case], loads[case], args.repeats, args.threads)
    print(json.dumps({"raw": results, "loads": loads}), file=sys.stderr)


def report(case: str, rows: int, res: dict[str, list[dict]], load: tuple[str, str], repeats: int,
           threads: int | None) -> None:
    S = lambda mode, key: C.summary(r[key] for r in res[mode])  # noqa: E731
    d_fit, w_fit = S("direct", "fit_s"), S("inproc", "fit_s")
    d_cpu, w_cpu = S("direct", "cpu_fit_s"), S("inproc", "cpu_fit_s")
    d_tot, w_tot = S("direct", "total_s"), S("inproc", "run_s")
    rows_out = [
        ["fit: direct prep + est.fit", C.fmt_s(d_fit), "1.00", ""],
        ["fit: TrainJob in-process (fit_s)", C.fmt_s(w_fit), f"{C.ratio(w_fit, d_fit):.3f}", "<= 1.03"],
        ["fit CPU time: direct", C.fmt_s(d_cpu), "1.00", ""],
        ["fit CPU time: TrainJob in-process", C.fmt_s(w_cpu), f"{C.ratio(w_cpu, d_cpu):.3f}", "<= 1.03"],
        ["  of which est.fit alone (direct)", C.fmt_s(S("direct", "est_fit_s")), "", ""],
        ["  direct load (read_parquet)", C.fmt_s(S("direct", "load_s")), "", ""],
        ["total: direct script (imports+load+fit)", C.fmt_s(d_tot), "1.00", ""],
        ["total: TrainJob.run (load..save)", C.fmt_s(w_tot), f"{C.ratio(w_tot, d_tot):.3f}", ""],
        ["  of which evaluate_s (test preds, importances)", C.fmt_s(S("inproc", "evaluate_s")), "", ""],
    ]
    if "cli" in res:
        c_fit, c_wall = S("cli", "fit_s"), S("cli", "wall_s")
        rows_out.insert(2, ["fit: workbench CLI (fit_s)", C.fmt_s(c_fit), f"{C.ratio(c_fit, d_fit):.3f}", "<= 1.03"])
        rows_out.append(["total: workbench CLI process wall", C.fmt_s(c_wall), f"{C.ratio(c_wall, d_tot):.3f}", ""])
    if "direct_eval" in res:
        de = S("direct_eval", "fit_s")
        dc = S("direct_eval", "cpu_fit_s")
        rows_out += [["fit: direct with eval_set (valid rows)", C.fmt_s(de), f"{C.ratio(de, d_fit):.3f}", ""],
                     ["fit CPU time: direct with eval_set", C.fmt_s(dc), f"{C.ratio(dc, d_cpu):.3f}", ""],
                     ["fit CPU: in-process vs direct with eval_set", "", f"{C.ratio(w_cpu, dc):.3f}", ""]]
    fit_rows = res["direct"][0]["fit_rows"]
    C.print_table(
        f"{case}: {rows:,} rows x {COLUMNS} cols, fit on {fit_rows:,} rows, threads {threads or os.cpu_count()}, "
        f"median (min–max) of {repeats}; "
        f"load {load[0]} -> {load[1]}; events/run {res['inproc'][0]['events']}, "
        f"iterations {res['inproc'][0]['iterations']}, importances {res['inproc'][0]['importances']}",
        ["measure", "time", "ratio", "target"], rows_out,
    )


if __name__ == "__main__":
    main()
