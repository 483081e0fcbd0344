"""``workbench compare``: the JSON contract, the table, and bad algorithm keys."""

import json

from cli_support import copy_sample

ROW_KEYS = {"algorithm", "run_id", "score", "std", "fold_scores", "fit_s", "p_value_vs_best", "not_worse_than_best"}


def test_compare_json_contract_and_runs_listed(cli, tmp_path):
    project = copy_sample("diabetes", tmp_path)
    code, out, err = cli("compare", project, "diabetes", "--target", "progression",
                         "--algorithms", "ridge,knn", "--cv", "3", "--seed", "1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"metric", "direction", "rows"}
    assert doc["metric"] == "r2" and doc["direction"] == "max"
    assert all(set(row) == ROW_KEYS for row in doc["rows"])
    assert {r["algorithm"] for r in doc["rows"]} == {"baseline", "ridge", "knn"}
    scores = [r["score"] for r in doc["rows"]]
    assert scores == sorted(scores, reverse=True)  # best first
    assert doc["rows"][-1]["algorithm"] == "baseline"
    assert all(0 <= r["p_value_vs_best"] <= 1 and len(r["fold_scores"]) == 3 for r in doc["rows"])

    code, out, _ = cli("runs", project, "--json")
    listed = {r["run_id"] for r in json.loads(out)}
    assert {r["run_id"] for r in doc["rows"]} <= listed


def test_compare_prints_a_line_per_algorithm_and_a_table(cli, tmp_path):
    project = copy_sample("wine", tmp_path)
    code, out, err = cli("compare", project, "wine", "--algorithms", "naive_bayes", "--cv", "2")
    assert code == 0, err
    assert "baseline" in err and "naive_bayes" in err  # progress lines
    header, rule, first, second = out.strip().splitlines()
    assert "accuracy" in header and "p vs best" in header
    assert "naive_bayes" in first and "best" in first
    assert "baseline" in second and "worse" in second


def test_unknown_or_misfit_algorithm_is_one_line_naming_it(cli, tmp_path):
    project = copy_sample("wine", tmp_path)
    code, out, err = cli("compare", project, "wine", "--target", "cultivar", "--algorithms", "ridge,forest")
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: Algorithm 'forest' is not an algorithm; valid keys for classification:")
    assert "random_forest" in lines[-1]
    code, out, err = cli("compare", project, "wine", "--task", "classification", "--algorithms", "lasso")
    assert code == 1 and "error: Algorithm 'lasso' does not do classification" in err



def test_compare_runs_in_a_worker_process_with_process_or_executor_process(cli, tmp_path, monkeypatch):
    # compare took --executor process and ran the comparison in this process
    # all the same; and it had no --process, which every lifecycle command has.
    import workbench.cli.support as support

    project = copy_sample("wine", tmp_path)
    args = ("compare", project, "wine", "--algorithms", "naive_bayes", "--cv", "2", "--json")
    code, out, err = cli(*args)
    assert code == 0, err
    here = json.loads(out)

    workers = []
    real = support.run_job_in_process
    monkeypatch.setattr(support, "run_job_in_process", lambda job, on_event: (workers.append(job.kind),
                                                                               real(job, on_event))[1])
    code, out, err = cli(*args, "--executor", "process")
    assert code == 0, err
    assert workers == ["compare"]
    # The rows come back from the record the worker wrote, the same as here.
    there = json.loads(out)
    assert [(r["algorithm"], r["score"]) for r in there["rows"]] == [(r["algorithm"], r["score"]) for r in here["rows"]]
    assert {r["run_id"] for r in there["rows"]}.isdisjoint({r["run_id"] for r in here["rows"]})

    # --process takes the same path (not started again here: a worker's start is seconds).
    monkeypatch.setattr(support, "run_job_in_process", lambda job, on_event: (
        workers.append("--process"), support.run_job_interruptibly(job, on_event))[1])
    code, out, err = cli(*args, "--process")
    assert code == 0, err
    assert workers == ["compare", "--process"] and len(json.loads(out)["rows"]) == 2
