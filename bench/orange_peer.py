"""Peer comparison: the same forest and logistic regression trained in Orange.

Orange 3 (orange3 on PyPI) needs numpy < 2.4 and pandas < 3, so it lives in
its own virtual environment, created by this script at
``bench/_orange_venv`` (PyQt6 is not installed: Orange's Python API works
without a Qt binding; only its GUI needs one).

On the same 200k-row table (50 features, 3 categorical, 2% missing) and the
same training rows as the workbench (stratified 80/20 split, seed 0; for the
random forest also the workbench's 10% validation rows left out):

* Orange ``RandomForestLearner(n_estimators=100, n_jobs=cores)`` and
  ``LogisticRegressionLearner()`` — time of ``learner(table)`` (Orange's
  preprocessors included: continuize, impute).
* workbench: ``TrainJob`` in-process, ``fit_s`` (preparation + fit, live
  per-iteration events on).

Ratio = workbench / Orange (< 1: the workbench is faster).

GUI-thread behaviour is not measured here: Orange's learner widgets fit on
the GUI thread (docs/findings.md), so its window is frozen for the whole fit;
the workbench fits in a worker (see gui_responsiveness.py).

    timeout 1h .venv/bin/python bench/orange_peer.py --repeats 3 --wait
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

VENV = C.BENCH / "_orange_venv"
ORANGE_REQUIREMENTS = ["orange3", "numpy<2.4", "pandas<3", "pyarrow"]


def ensure_venv() -> Path:
    """The Orange venv's python (created on first use)."""
    python = VENV / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import Orange"], capture_output=True).returncode == 0:
        return python
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    out = subprocess.run([str(python), "-m", "pip", "install", "-q", *ORANGE_REQUIREMENTS],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("Could not install Orange into bench/_orange_venv:\n" + out.stderr[-3000:])
    return python


# Runs inside the Orange venv: prints {"seconds": [...], "versions": {...}}.
ORANGE_WORKER = r"""
import json, sys, time
import numpy as np, pandas as pd
from sklearn.model_selection import train_test_split
import Orange
from Orange.data import ContinuousVariable, DiscreteVariable, Domain, Table
from Orange.classification import LogisticRegressionLearner, RandomForestLearner

path, which, repeats, threads, cats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split(",")
df = pd.read_parquet(path)
y = df.pop("y").to_numpy()
train, _ = train_test_split(np.arange(len(df)), test_size=0.2, random_state=0, stratify=y)
train = np.sort(train)
if which == "random_forest":  # the workbench's validation rows are not fitted on
    keep, _ = train_test_split(np.arange(len(train)), test_size=0.1, random_state=0, stratify=y[train])
    train = train[np.sort(keep)]
attrs, cols = [], []
for c in df.columns:
    if c in cats:
        values = sorted(v for v in df[c].dropna().unique())
        attrs.append(DiscreteVariable(c, values=values))
        codes = pd.Categorical(df[c], categories=values).codes.astype(float)
        codes[codes < 0] = np.nan
        cols.append(codes)
    else:
        attrs.append(ContinuousVariable(c))
        cols.append(df[c].to_numpy(dtype=float))
domain = Domain(attrs, DiscreteVariable("y", values=["0", "1"]))
X = np.column_stack(cols)[train]
table = Table.from_numpy(domain, X, y[train].astype(float))
learner = (RandomForestLearner(n_estimators=100, n_jobs=threads, random_state=0) if which == "random_forest"
           else LogisticRegressionLearner())
seconds = []
for _ in range(repeats):
    t0 = time.perf_counter()
    model = learner(table)
    seconds.append(time.perf_counter() - t0)
import sklearn
print(json.dumps({"seconds": seconds, "rows": int(len(table)), "versions": {
    "orange3": Orange.version.version, "scikit-learn": sklearn.__version__, "numpy": np.__version__,
    "pandas": pd.__version__}}))
"""


def workbench_fit(root: Path, algorithm: str, params: dict) -> float:
    from workbench.engine import JobContext, RunSpec, TrainJob
    from workbench.engine.jobs.threads import cap_threads

    spec = RunSpec(dataset="data", algorithm=algorithm, target="y", params=params, learning_curve=False)
    job = TrainJob(root, spec)
    with cap_threads(os.cpu_count() or 1):
        job.run(JobContext(lambda e: None))
    result = json.loads((root / "runs" / job.run_id / "result.json").read_text())
    import shutil

    shutil.rmtree(root / "runs" / job.run_id, ignore_errors=True)
    return float(result["timings"]["fit_s"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--wait", action="store_true")
    args = p.parse_args()
    try:
        python = ensure_venv()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"Orange could not be set up: {exc}")
        sys.exit(2)
    from engine_overhead import project_for

    data = C.dataset_file(args.rows, 50)
    root = project_for(data)
    quiet = C.wait_for_quiet() if args.wait else None
    print(f"machine: {C.machine()}; quiet wait: {quiet}")
    cats = ",".join(c for c, _ in C.CATEGORICAL)
    threads = os.cpu_count() or 1
    rows = []
    versions = {}
    for key, algorithm, params in (("random_forest", "random_forest", {"n_estimators": 100}),
                                   ("logreg", "logistic_regression", {})):
        with C.announce(f"orange_peer {key}"):
            start = C.loadavg()
            orange_s, wb_s = [], []
            for _ in range(args.repeats):
                out = subprocess.run([str(python), "-c", ORANGE_WORKER, str(data), key, "1", str(threads), cats],
                                     capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
                if out.returncode != 0:
                    raise RuntimeError(out.stderr[-3000:])
                got = json.loads(out.stdout.strip().splitlines()[-1])
                orange_s += got["seconds"]
                versions = got["versions"]
                wb_s.append(workbench_fit(root, algorithm, params))
            end = C.loadavg()
        so, sw = C.summary(orange_s), C.summary(wb_s)
        rows.append([f"{key} ({got['rows']:,} fit rows)", C.fmt_s(so), C.fmt_s(sw), f"{C.ratio(sw, so):.2f}",
                     f"{start} -> {end}"])
    C.print_table(
        f"Orange vs workbench fit, {args.rows:,} x 50, median (min–max) of {args.repeats}; Orange venv: "
        + ", ".join(f"{k} {v}" for k, v in versions.items()),
        ["model", "Orange learner(table)", "workbench fit_s", "ratio workbench/Orange", "load"], rows,
    )


if __name__ == "__main__":
    main()
