"""`workbench tune` and `workbench leaderboard` end to end (in-process)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def project(tmp_path, cli):
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.sample(200, random_state=1)
    frame = frame[["mean radius", "mean texture", "worst area", "worst concavity", "target"]]
    frame.to_csv(tmp_path / "cancer.csv", index=False)
    root = tmp_path / "proj"
    assert cli("init", root)[0] == 0
    assert cli("data", "add", root, tmp_path / "cancer.csv", "--name", "cancer")[0] == 0
    return root


def tune(cli, project, *extra):
    return cli("tune", project, "cancer", "--target", "target", "--algorithm", "knn", "--cv", "2", *extra)


def test_tune_json_has_the_requested_trials_and_the_best(cli, project):
    code, out, err = tune(cli, project, "--strategy", "random", "--trials", "4",
                          "--param-range", "n_neighbors=1:30", "--json")
    assert code == 0, err
    doc = json.loads(out)  # exactly one JSON document on stdout
    assert len(doc["trials"]) == 4
    assert [t["number"] for t in doc["trials"]] == [0, 1, 2, 3]
    for t in doc["trials"]:
        assert set(t) >= {"number", "params", "score", "state", "duration_s"}
        assert set(t["params"]) == {"n_neighbors"} and 1 <= t["params"]["n_neighbors"] <= 30
    assert doc["metric"] == "accuracy" and doc["direction"] == "max"
    assert doc["best"]["score"] == max(t["score"] for t in doc["trials"])
    assert doc["best"]["params"] in [t["params"] for t in doc["trials"]]


def test_grid_size_matches_and_the_table_is_sorted(cli, project):
    code, out, err = tune(cli, project, "--strategy", "grid",
                          "--param-range", "n_neighbors=3,9,21", "--param-range", "weights=uniform,distance")
    assert code == 0, err
    assert err.count("Trial ") == 6  # one progress line per trial
    lines = [row for row in out.splitlines() if row[:1].isdigit()]
    assert len(lines) == 6
    scores = [float(row.split()[1]) for row in lines]
    assert scores == sorted(scores, reverse=True)
    assert "Best: trial" in out


def test_train_best_records_a_run(cli, project):
    code, out, err = tune(cli, project, "--strategy", "bayes", "--trials", "3",
                          "--param-range", "n_neighbors=2:20", "--train-best", "--json")
    assert code == 0, err
    run_id = json.loads(out)["best"]["run_id"]
    code, out, _ = cli("runs", project, "--json")
    assert run_id in [r["run_id"] for r in json.loads(out)]
    code, out, _ = cli("leaderboard", project, "--json")
    assert code == 0
    kinds = {r["kind"] for r in json.loads(out)}
    assert kinds == {"run", "tune"}


@pytest.mark.parametrize(
    "pair, message",
    [
        ("n_neighbors=5:1", "error: --param-range n_neighbors=5:1: low must be < high"),
        ("n_neighbours=1:5", "Did you mean 'n_neighbors'"),
        ("n_neighbors=0:5", "out of the valid range"),
    ],
)
def test_bad_param_range_is_a_one_line_error(cli, project, pair, message):
    code, out, err = tune(cli, project, "--param-range", pair)
    assert code == 1
    assert out == ""
    assert err.strip().count("\n") == 0 and err.startswith(f"error: --param-range {pair}: ")
    assert message in err
