"""`workbench cluster local`, then train and tune with --executor dask on it (real processes)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from cli_support import copy_sample, run_subprocess

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "cluster", "local", "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://"), proc.stderr.read() if proc.poll() is not None else address
        yield address
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_train_and_tune_on_the_cluster(scheduler, tmp_path):
    proj = copy_sample("penguins_sex", tmp_path)
    train = run_subprocess("train", proj, "penguins", "--target", "sex", "--algorithm", "logistic_regression",
                           "--executor", "dask", "--scheduler", scheduler, "--json", timeout=300)
    assert train.returncode == 0, train.stderr
    summary = json.loads(train.stdout)
    assert summary["status"] == "completed" and summary["metrics"]["accuracy"] > 0.7
    assert "Dask cluster" in train.stderr
    runs = json.loads(run_subprocess("runs", proj, "--json").stdout)
    assert [r["run_id"] for r in runs] == [summary["run_id"]]

    tune = run_subprocess("tune", proj, "penguins", "--target", "sex", "--algorithm", "knn", "--strategy",
                          "random", "--trials", "6", "--param-range", "n_neighbors=1:30", "--scheduler",
                          scheduler, "--json", timeout=300)
    assert tune.returncode == 0, tune.stderr
    doc = json.loads(tune.stdout)
    assert doc["status"] == "completed" and len(doc["trials"]) == 6
    lines = (proj / "tunes" / doc["tune_id"] / "trials.jsonl").read_text().splitlines()
    assert len({json.loads(line)["worker"] for line in lines}) == 2


def test_cluster_info_and_bad_flags(scheduler, tmp_path):
    info = run_subprocess("cluster", "info", scheduler, "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["workers"] == 2
    proj = copy_sample("penguins_sex", tmp_path)
    bad = run_subprocess("train", proj, "penguins", "--target", "sex", "--algorithm", "knn",
                         "--executor", "local", "--scheduler", scheduler)
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1 and "--scheduler" in bad.stderr
