"""`workbench cluster local` (a real process), then train and tune with --executor dask on it.

The commands run in-process (the `cli` fixture) against the cluster's workers:
interpreter start-up would otherwise dominate these tests.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from cli_support import copy_sample

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


def test_train_and_tune_on_the_cluster(cli, scheduler, tmp_path):
    code, out, err = cli("cluster", "info", scheduler, "--json")
    assert code == 0, err
    assert json.loads(out)["workers"] == 2
    proj = copy_sample("penguins_sex", tmp_path)
    code, out, err = cli("train", proj, "penguins", "--target", "sex", "--algorithm", "logistic_regression",
                         "--executor", "dask", "--scheduler", scheduler, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "completed" and summary["metrics"]["accuracy"] > 0.7
    assert "Dask cluster" in err
    code, out, err = cli("runs", proj, "--json")
    assert [r["run_id"] for r in json.loads(out)] == [summary["run_id"]]

    code, out, err = cli("tune", proj, "penguins", "--target", "sex", "--algorithm", "knn", "--strategy", "random",
                         "--trials", "6", "--param-range", "n_neighbors=1:30", "--scheduler", scheduler, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["status"] == "completed" and len(doc["trials"]) == 6
    lines = (proj / "tunes" / doc["tune_id"] / "trials.jsonl").read_text().splitlines()
    assert len({json.loads(line)["worker"] for line in lines}) == 2

    code, out, err = cli("compare", proj, "penguins", "--target", "sex", "--algorithms",
                         "logistic_regression,decision_tree", "--cv", "3", "--scheduler", scheduler, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert {r["algorithm"] for r in doc["rows"]} == {"baseline", "logistic_regression", "decision_tree"}
    assert all(len(r["fold_scores"]) == 3 for r in doc["rows"])
    assert doc["rows"][-1]["algorithm"] == "baseline" and doc["rows"][-1]["not_worse_than_best"] is False

    code, out, err = cli("train", proj, "penguins", "--target", "sex", "--algorithm", "knn",
                         "--executor", "local", "--scheduler", scheduler)
    assert code != 0 and err.count("\n") == 1 and "--scheduler" in err


def test_partitioned_parquet_links_and_trains_on_the_cluster(cli, scheduler, tmp_path):
    import pandas as pd

    proj = copy_sample("penguins_species", tmp_path)
    frame = pd.read_csv(next((proj / "data").glob("*.csv")))
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        frame.iloc[i::3].to_parquet(folder / f"part-{i}.parquet")
    code, out, err = cli("data", "add", proj, folder, "--name", "big")
    assert code != 0 and "--link" in err
    code, out, err = cli("data", "add", proj, folder, "--name", "big", "--link")
    assert code == 0, err
    code, out, err = cli("train", proj, "big", "--target", "species", "--algorithm", "xgboost", "--param",
                         "n_estimators=30", "--scheduler", scheduler, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["metrics"]["accuracy"] > 0.9
    code, out, err = cli("export", proj, summary["run_id"], "--json")
    assert code == 0, err
    assert json.loads(out)["parity"]["label_agreement"] == 1.0
    # On one machine the same dataset still trains, read whole.
    code, out, err = cli("train", proj, "big", "--target", "species", "--algorithm", "logistic_regression")
    assert code == 0, err
    code, out, err = cli("train", proj, "big", "--target", "species", "--algorithm", "knn", "--scheduler", scheduler)
    assert code != 0 and "Only XGBoost" in err
