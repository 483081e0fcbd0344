"""HTTP serving speed: ``workbench serve`` (onnxruntime) against the same server
calling the native scikit-learn/XGBoost pipeline.

Per model (XGBoost, random forest, logistic regression; trained through the
workbench on a synthetic table, exported with ``export_run``):

* the ONNX server is ``workbench serve --model model.onnx`` in its own process;
* the native server is the very same Starlette service and uvicorn settings
  in its own process, predicting with ``TrainedModel`` (``NativeBackend``);
* the client (this process) sends, over one keep-alive connection:
  single-row JSON requests -> p50 / p99 latency (ms), and batches of
  ``--batch-rows`` rows -> rows per second.

Ratio = native / ONNX latency (> 1: ONNX faster), and ONNX / native rows/s.

Full size::

    .venv/bin/python bench/serving.py --wait

Smoke test::

    .venv/bin/python bench/serving.py --train-rows 3000 --requests 100 --batches 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
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


def trained_runs(train_rows: int, columns: int) -> tuple[Path, dict[str, str]]:
    """One exported run per model (trained once, reused by later invocations)."""
    from workbench.engine import JobContext, Project, RunSpec, TrainJob
    from workbench.engine.onnx.run_export import export_run

    data = C.dataset_file(train_rows, columns)
    root = C.DATA / f"proj_serve_{train_rows}_{columns}"
    cache = root / "serving_runs.json"
    if not (root / "workbench.toml").exists():
        Project.init(root).add_dataset(data, name="data", copy=False)
    runs = json.loads(cache.read_text()) if cache.exists() else {}
    for key, (algorithm, params) in MODELS.items():
        if key in runs and (root / "runs" / runs[key] / "model.onnx").exists():
            continue
        spec = RunSpec(dataset="data", algorithm=algorithm, target="y", params=dict(params), learning_curve=False)
        job = TrainJob(root, spec)
        t, _ = C.timed(lambda: job.run(JobContext()))
        t_exp, _ = C.timed(lambda: export_run(root, job.run_id))
        print(f"  trained {key} in {t:.1f} s, exported in {t_exp:.1f} s", file=sys.stderr, flush=True)
        runs[key] = job.run_id
        cache.write_text(json.dumps(runs))
    return root, runs


def serve_native(project: str, run_id: str) -> None:
    """Child process: the same service around the native pipeline (prints its URL)."""
    import uvicorn

    from workbench.engine.serving.backends import NativeBackend
    from workbench.engine.serving.server import address, bind
    from workbench.engine.serving.service import PredictionService, build_app

    app = build_app(PredictionService(NativeBackend(project, run_id)))
    sock = bind("127.0.0.1", 0)
    print(f"Serving native at {address(sock)}", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    server.run(sockets=[sock])


def start(cmd: list[str]) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, PYTHONPATH=str(C.ROOT))
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env, cwd=C.ROOT)
    line = proc.stderr.readline()
    if " at http" not in line:
        proc.kill()
        raise RuntimeError(f"server did not start: {line}{proc.stderr.read()}")
    return proc, line.split(" at ")[1].split()[0]


def post(conn: http.client.HTTPConnection, body: bytes) -> bytes:
    conn.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
    return data


def measure(url: str, rows: list[dict], requests: int, batch_rows: int, batches: int) -> dict[str, float]:
    import numpy as np

    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    singles = [json.dumps({"rows": [rows[i % len(rows)]]}).encode() for i in range(requests)]
    for body in singles[:20]:  # warm-up
        post(conn, body)
    lat = []
    for body in singles:
        t0 = time.perf_counter()
        post(conn, body)
        lat.append(time.perf_counter() - t0)
    batch = json.dumps({"rows": (rows * (batch_rows // len(rows) + 1))[:batch_rows]}).encode()
    post(conn, batch)
    t0 = time.perf_counter()
    for _ in range(batches):
        post(conn, batch)
    elapsed = time.perf_counter() - t0
    conn.close()
    ms = np.asarray(lat) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)),
            "rows_s": batch_rows * batches / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500, help="single-row requests per server")
    parser.add_argument("--batch-rows", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--wait", action="store_true", help="wait for a quiet machine first")
    parser.add_argument("--serve-native", nargs=2, metavar=("PROJECT", "RUN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_native:
        serve_native(*args.serve_native)
        return
    root, runs = trained_runs(args.train_rows, args.columns)
    frame = C.synthetic_frame(2000, args.columns, seed=7).drop(columns=["y"])
    rows = json.loads(frame.to_json(orient="records"))
    quiet = C.wait_for_quiet() if args.wait else None
    load_before = C.loadavg()
    table = []
    for key, run_id in runs.items():
        results = {}
        for kind, cmd in (
            ("onnx", [C.PYTHON, "-m", "workbench.cli", "serve", "--model",
                      str(root / "runs" / run_id / "model.onnx"), "--port", "0"]),
            ("native", [C.PYTHON, __file__, "--serve-native", str(root), run_id]),
        ):
            proc, url = start(cmd)
            try:
                results[kind] = measure(url, rows, args.requests, args.batch_rows, args.batches)
            finally:
                proc.terminate()
                proc.wait(30)
        o, n = results["onnx"], results["native"]
        table.append([key, f"{o['p50']:.2f} / {o['p99']:.2f}", f"{n['p50']:.2f} / {n['p99']:.2f}",
                      f"{n['p50'] / o['p50']:.1f}x", f"{o['rows_s']:,.0f}", f"{n['rows_s']:,.0f}",
                      f"{o['rows_s'] / n['rows_s']:.1f}x"])
    C.print_table(
        f"HTTP serving, {args.train_rows:,}x{args.columns} training table, {args.requests} single-row requests, "
        f"{args.batches} x {args.batch_rows:,}-row batches (load {load_before} -> {C.loadavg()}"
        + ("" if quiet is None else ", quiet" if quiet else ", BUSY machine") + ")",
        ["model", "ONNX p50/p99 ms", "native p50/p99 ms", "p50 native/ONNX", "ONNX rows/s", "native rows/s",
         "rows/s ONNX/native"],
        table,
    )
    print(C.machine())


if __name__ == "__main__":
    main()
