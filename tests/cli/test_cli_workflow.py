"""The CLI contract that scripts rely on, end to end on the sample projects."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from cli_support import copy_sample, run_subprocess


def test_algorithms_json_lists_the_catalog(cli):
    code, out, _ = cli("algorithms", "--json")
    assert code == 0
    entries = json.loads(out)
    keys = {e["key"] for e in entries}
    required = {"logistic_regression", "linear_regression", "ridge", "lasso", "elastic_net", "svm", "knn",
                "naive_bayes", "decision_tree", "random_forest", "extra_trees", "gradient_boosting",
                "hist_gradient_boosting", "xgboost", "mlp", "kmeans", "agglomerative", "bagging", "voting",
                "stacking"}
    assert required <= keys
    for e in entries:
        assert set(e) >= {"key", "name", "tasks", "params", "capabilities"}
        assert set(e["capabilities"]) >= {"iterative", "early_stopping", "gpu", "onnx", "importances"}
        for p in e["params"]:
            assert set(p) >= {"name", "kind", "default", "min", "max", "log", "choices", "help"}
    code, out, _ = cli("algorithms", "--task", "clustering", "--json")
    assert {e["key"] for e in json.loads(out)} >= {"kmeans", "agglomerative"}
    assert all("clustering" in e["tasks"] for e in json.loads(out))


def test_train_show_predict_replay_on_penguins(cli, tmp_path):
    proj = copy_sample("penguins_sex", tmp_path)
    code, out, err = cli("train", proj, "penguins", "--target", "sex", "--algorithm", "xgboost",
                         "--param", "n_estimators=30", "--cv", "3", "--seed", "1", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert set(res) >= {"run_id", "status", "task", "algorithm", "metrics", "device"}
    assert res["status"] == "completed" and res["task"] == "classification" and res["device"] == "cpu"
    assert 0.7 < res["metrics"]["accuracy"] <= 1.0

    code, out, _ = cli("runs", proj, "--json")
    runs = json.loads(out)
    assert [r["run_id"] for r in runs] == [res["run_id"]]
    assert runs[0]["status"] == "completed" and runs[0]["algorithm"] == "xgboost"

    code, out, _ = cli("show", proj, res["run_id"], "--json")
    shown = json.loads(out)
    assert shown["cv"]["accuracy"]["mean"] > 0.6 and len(shown["cv"]["accuracy"]["folds"]) == 3
    # No early stopping: all 30 rounds on every training row, no held-out curve to pick a "best" from.
    assert shown["best_iteration"] is None

    pred_csv = tmp_path / "pred.csv"
    code, _, err = cli("predict", proj, res["run_id"], proj / "data" / "penguins.csv", "-o", pred_csv)
    assert code == 0, err
    with open(pred_csv) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 344
    assert {"prediction", "proba_female", "proba_male", "species", "sex"} <= set(rows[0])
    assert {r["prediction"] for r in rows} <= {"female", "male"}

    # Replaying the spec reproduces the metrics exactly.
    code, out, err = cli("train", "--spec", proj / "runs" / res["run_id"] / "spec.json", "--json")
    assert code == 0, err
    replay = json.loads(out)
    assert replay["run_id"] != res["run_id"]
    assert replay["metrics"] == pytest.approx(res["metrics"])


def test_replay_refuses_changed_dataset(cli, tmp_path):
    proj = copy_sample("wine", tmp_path)
    code, out, err = cli("train", proj, "wine", "--target", "cultivar", "--algorithm", "logistic_regression", "--json")
    assert code == 0, err
    run_id = json.loads(out)["run_id"]
    data = next((proj / "data").glob("*.csv"))
    data.write_text(data.read_text().replace("\n", "\n", 1) + data.read_text().splitlines()[1] + "\n")
    code, out, err = cli("train", "--spec", proj / "runs" / run_id / "spec.json")
    assert code == 1
    assert "changed" in err and err.count("\n") == 1


def test_regression_and_multiclass_samples_train(cli, tmp_path):
    proj = copy_sample("diabetes", tmp_path)
    code, out, err = cli("train", proj, "diabetes", "--target", "progression", "--algorithm", "ridge", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["task"] == "regression" and res["metrics"]["r2"] > 0.3
    proj = copy_sample("wine", tmp_path)
    code, out, err = cli("train", proj, "wine", "--target", "cultivar", "--algorithm", "random_forest",
                         "--param", "n_estimators=50", "--json")
    assert code == 0, err
    assert json.loads(out)["metrics"]["accuracy"] > 0.85


@pytest.mark.parametrize(
    "args, words",
    [
        (["--algorithm", "no_such_algo"], "Unknown algorithm"),
        (["--algorithm", "random_forest", "--param", "n_estimators=-3"], "n_estimators"),
        (["--algorithm", "random_forest", "--param", "n_estimatorz=3"], "Did you mean 'n_estimators'"),
        (["--algorithm", "random_forest", "--param", "max_depth=abc"], "max_depth"),
        (["--algorithm", "linear_regression"], "does not do"),
    ],
)
def test_bad_flags_give_one_line_and_nonzero(cli, tmp_path, args, words):
    proj = copy_sample("penguins_sex", tmp_path)
    code, out, err = cli("train", proj, "penguins", "--target", "sex", *args)
    assert code != 0
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and words in lines[0], err
    assert "Traceback" not in err
    assert not any((proj / "runs").iterdir())


def test_malformed_file_is_one_line_error(cli, tmp_path):
    proj = tmp_path / "p"
    assert cli("init", proj)[0] == 0
    bad = tmp_path / "garbage.csv"
    bad.write_bytes(bytes(range(256)) * 40)
    code, out, err = cli("data", "add", proj, bad)
    assert code == 1 and err.startswith("error:") and err.count("\n") == 1
    assert "Traceback" not in err


def test_ctrl_c_cancels_training_and_records_it(tmp_path):
    proj = copy_sample("diabetes", tmp_path)
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    p = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "train", str(proj), "diabetes", "--target", "progression",
         "--algorithm", "gradient_boosting", "--param", "n_estimators=100000", "--param", "learning_rate=0.001"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    # wait until it is iterating
    deadline = time.time() + 60
    seen = ""
    while time.time() < deadline:
        line = p.stderr.readline()
        seen += line
        if "iteration" in line:
            break
    assert "iteration" in seen, seen
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)
    assert time.time() - t0 < 5
    assert p.returncode == 130
    runs = json.loads(run_subprocess("runs", proj, "--json").stdout)
    assert runs[-1]["status"] == "cancelled"
    assert runs[-1]["metrics"].get("iterations", 0) >= 1


@pytest.mark.parametrize("mode", [["--process"], []], ids=["process", "in-process"])
def test_ctrl_c_stops_a_single_long_fit(tmp_path, mode):
    """Ctrl-C stops even a kernel SVM fit, which has no callback: in a worker
    process (--process) it is killed; in-process the run is recorded and the
    command leaves without waiting for the call (it crashed 3/14 times while
    exiting around it, in 2.6-3.7 s).  bench/ctrl_c.py measures the seconds."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 20000  # big enough that the fit is still running on an idle machine
    frame = pd.DataFrame(rng.normal(size=(n, 10)), columns=[f"x{i}" for i in range(10)])
    frame["y"] = np.where(frame["x0"] * frame["x1"] + rng.normal(0, 1, n) > 0, "a", "b")
    data = tmp_path / "svm.csv"
    frame.to_csv(data, index=False)
    proj = tmp_path / "p"
    assert run_subprocess("init", proj).returncode == 0
    assert run_subprocess("data", "add", proj, data).returncode == 0
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    p = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "train", str(proj), "svm", "--target", "y",
         "--algorithm", "svm", *mode, "--no-learning-curve"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.time() + 90
    seen = ""
    while time.time() < deadline:
        line = p.stderr.readline()
        seen += line
        if "training rows" in line or not line:
            break
    assert "training rows" in seen, seen
    time.sleep(1.0)  # now inside SVC.fit
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    p.wait(timeout=15)
    stopped = time.time() - t0
    rest = p.stderr.read()
    assert p.returncode == 130, rest  # a crash while exiting reads as -11 / 139
    assert "Fatal Python error" not in rest and "Traceback" not in rest, rest
    assert stopped < 5, stopped  # generous: a busy 2-core machine; the target is 2 s
    runs = json.loads(run_subprocess("runs", proj, "--json").stdout)
    assert runs[-1]["status"] == "cancelled"


def _penguins_sex_run(cli, tmp_path):
    """A copy of the penguins_sex sample with one quick run: (project, run id)."""
    proj = copy_sample("penguins_sex", tmp_path)
    code, out, err = cli("train", proj, "penguins", "--target", "sex", "--algorithm", "logistic_regression",
                         "--no-learning-curve", "--json")
    assert code == 0, err
    return proj, json.loads(out)["run_id"]


def test_profile_and_predict_run_in_a_worker_process_with_process(cli, tmp_path):
    # export --process takes the same path (job_runner); ExportJob in a worker: tests/engine/test_job_kinds.py
    proj, run_id = _penguins_sex_run(cli, tmp_path)

    profiles = [json.loads(cli("data", "profile", proj, "penguins", "--json", *flags)[1]) for flags in ([], ["--process"])]
    assert profiles[0]["rows"] == 344 and profiles[0] == profiles[1]

    code, _, err = cli("predict", proj, run_id, proj / "data" / "penguins.csv", "-o", tmp_path / "p.csv", "--process")
    assert code == 0, err
    assert "Wrote 344 predictions" in err and "Ignored 1 column(s) the model does not use: sex." in err
    with open(tmp_path / "p.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 344


def test_the_lifecycle_commands_run_in_a_worker_process_with_process(cli, tmp_path):
    # drift, explain, threshold, report and retrain had no --process: a crash
    # in one library call took the command down, and Ctrl-C could not stop it.
    proj, run_id = _penguins_sex_run(cli, tmp_path)
    data = proj / "data" / "penguins.csv"

    drifts = [cli("drift", proj, run_id, data, "--json", *flags) for flags in ([], ["--process"])]
    assert [d[0] for d in drifts] == [0, 0], drifts[1][2]
    assert json.loads(drifts[0][1]) == json.loads(drifts[1][1])

    # explain and threshold take the same path (job_runner; their jobs in a
    # worker: tests/engine/test_job_kinds.py); each --process here is a worker's start.
    code, out, err = cli("report", proj, run_id, "-o", tmp_path / "r.html", "--json", "--process")
    assert code == 0, err
    assert (tmp_path / "r.html").stat().st_size == json.loads(out)["bytes"] > 10_000

    code, out, err = cli("retrain", proj, run_id, "penguins", "--json", "--process")
    assert code == 0, err
    assert json.loads(out)["parent_run"] == run_id
