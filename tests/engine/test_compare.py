"""Compare: the paired test, the ranking, and the job on a real sample project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.engine import Cancelled, CancelToken, JobContext, Project, RunSpec, SpecError
from workbench.engine.compare.job import CompareJob, compare_algorithms, load_compare
from workbench.engine.compare.stats import corrected_resampled_ttest, rank_rows
from workbench.engine.jobs.events import CompareRow

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


# ---------------------------------------------------------------- the test
def test_corrected_ttest_matches_the_formula_and_is_more_cautious_than_the_plain_one():
    from scipy.stats import t as student_t

    a = [0.90, 0.80, 0.85, 0.95, 0.90]
    b = [0.80, 0.70, 0.80, 0.85, 0.80]
    # d = [.1, .1, .05, .1, .1]: mean .09, sample variance .0005; with 5 folds
    # the corrected variance is (1/5 + 1/4) * .0005, so t = .09 / .015 = 6.
    p = corrected_resampled_ttest(a, b, test_train_ratio=1 / 4)
    assert p == pytest.approx(2 * student_t.sf(6.0, 4))
    plain = corrected_resampled_ttest(a, b, test_train_ratio=0.0)  # t = 9
    assert plain == pytest.approx(2 * student_t.sf(9.0, 4))
    assert p > plain


def test_ttest_edge_cases():
    assert corrected_resampled_ttest([0.5, 0.6], [0.5, 0.6], 1.0) == 1.0  # identical learners
    assert corrected_resampled_ttest([0.9, 0.9], [0.5, 0.5], 1.0) == 0.0  # always better by the same
    assert corrected_resampled_ttest([0.9], [0.5], 1.0) is None  # one fold: no variance
    with pytest.raises(ValueError):
        corrected_resampled_ttest([0.9, 0.8], [0.5], 1.0)


def test_rank_rows_best_first_failed_last_and_direction_respected():
    rows = [
        {"algorithm": "baseline", "score": 10.0, "fold_scores": [10.0, 11.0, 9.0]},
        {"algorithm": "broken", "score": None, "fold_scores": []},
        {"algorithm": "good", "score": 2.0, "fold_scores": [2.0, 2.5, 1.5]},
        {"algorithm": "close", "score": 2.1, "fold_scores": [2.4, 2.0, 1.9]},
    ]
    ranked = rank_rows(rows, direction="min", cv=3)  # rmse: lower is better
    assert [r["algorithm"] for r in ranked] == ["good", "close", "baseline", "broken"]
    assert ranked[0]["p_value_vs_best"] == 1.0 and ranked[0]["not_worse_than_best"]
    assert ranked[1]["not_worse_than_best"]  # within the noise of the folds
    assert not ranked[2]["not_worse_than_best"] and ranked[2]["p_value_vs_best"] < 0.05
    assert ranked[3]["p_value_vs_best"] is None and not ranked[3]["not_worse_than_best"]


# ---------------------------------------------------------------- the job
@pytest.fixture
def wine(tmp_path) -> Path:
    root = tmp_path / "wine"
    shutil.copytree(SAMPLES / "wine", root, ignore=shutil.ignore_patterns("runs", ".workbench-cache", "tunes"))
    return root


def _spec(**kw) -> RunSpec:
    return RunSpec(dataset="wine", algorithm="baseline", target="cultivar", **kw)


def test_compare_ranks_real_models_above_the_baseline_on_the_same_folds(wine):
    rows_seen = []
    job = CompareJob(wine, _spec(seed=3), ["naive_bayes", "logistic_regression"], cv=3)
    document = job.run(JobContext(lambda e: rows_seen.append(e) if isinstance(e, CompareRow) else None))

    assert [e.algorithm for e in rows_seen] == ["baseline", "naive_bayes", "logistic_regression"]
    assert document["metric"] == "accuracy" and document["direction"] == "max"
    ranked = document["rows"]
    assert ranked[-1]["algorithm"] == "baseline"
    assert not ranked[-1]["not_worse_than_best"]
    for row in ranked:
        assert len(row["fold_scores"]) == 3
        assert 0.0 <= row["p_value_vs_best"] <= 1.0
    # They are ordinary runs, trained on the same folds (same cv and seed).
    runs = {r.run_id: r for r in Project.open(wine).runs()}
    specs = [runs[row["run_id"]].spec for row in ranked]
    assert {(s.cv, s.seed, s.test_size) for s in specs} == {(3, 3, 0.2)}
    assert all(runs[row["run_id"]].status == "completed" for row in ranked)
    assert load_compare(wine, job.compare_id)["rows"] == ranked


def test_bad_algorithm_keys_are_named_with_the_valid_ones():
    with pytest.raises(SpecError) as err:
        compare_algorithms("classification", ["logistic_regression", "lgbm_typo"])
    assert "'lgbm_typo' is not an algorithm" in str(err.value)
    assert "naive_bayes" in str(err.value) and "linear_regression" not in str(err.value)
    with pytest.raises(SpecError, match="'linear_regression' does not do classification"):
        compare_algorithms("classification", ["linear_regression"])
    assert compare_algorithms("regression", ["ridge"]) == ["baseline", "ridge"]


def test_budget_keeps_the_baseline_and_skips_the_rest(wine):
    job = CompareJob(wine, _spec(), ["logistic_regression", "knn"], cv=2, timeout=1e-6)
    document = job.run()
    assert [r["algorithm"] for r in document["rows"]] == ["baseline"]
    assert document["skipped"] == ["logistic_regression", "knn"]


def test_cancel_keeps_the_finished_rows(wine):
    token = CancelToken()

    def on_event(event):
        if isinstance(event, CompareRow):
            token.cancel()  # the user cancels once the first row is in

    job = CompareJob(wine, _spec(), ["logistic_regression"], cv=2)
    with pytest.raises(Cancelled):
        job.run(JobContext(on_event, token))
    assert [r["algorithm"] for r in job.rows] == ["baseline"]
    saved = json.loads((wine / "compares" / f"{job.compare_id}.json").read_text())
    assert saved["status"] == "cancelled" and len(saved["rows"]) == 1


def test_compare_runs_in_a_worker_process_with_live_rows(wine):
    # The window sends comparisons to its process executor (as it does fits).
    from workbench.engine import ProcessExecutor

    seen = []
    with ProcessExecutor(max_concurrent=1) as executor:
        job = CompareJob(wine, _spec(), ["naive_bayes"], cv=2)
        handle = executor.submit(job, lambda e: seen.append(e.algorithm) if isinstance(e, CompareRow) else None)
        document = handle.wait()
    assert seen == ["baseline", "naive_bayes"]
    assert [r["algorithm"] for r in document["rows"]] == ["naive_bayes", "baseline"]
