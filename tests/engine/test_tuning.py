"""Hyperparameter search: spaces, strategies, seeds, cancel, pruning, persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.engine import (
    CancelToken,
    JobContext,
    Project,
    RunSpec,
    TrainJob,
    get_algorithm,
)
from workbench.engine.errors import SpecError
from workbench.engine.jobs.events import Trial, event_from_dict
from workbench.engine.tuning.leaderboard import leaderboard
from workbench.engine.tuning.space import (
    ParamRange,
    build_search_space,
    default_range,
    parse_param_ranges,
)
from workbench.engine.tuning.records import best_run_spec, list_tunes, load_tune
from workbench.engine.tuning.job import TuneJob


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    """A project with a small classification and a small regression table."""
    from sklearn.datasets import load_breast_cancer, load_diabetes

    root = tmp_path_factory.mktemp("tuning")
    project = Project.init(root / "proj")
    bc = load_breast_cancer(as_frame=True).frame.sample(240, random_state=0)
    bc = bc[["mean radius", "mean texture", "mean smoothness", "worst area", "worst concavity", "target"]]
    bc.to_csv(root / "bc.csv", index=False)
    diab = load_diabetes(as_frame=True).frame.sample(240, random_state=0)
    diab.to_csv(root / "diab.csv", index=False)
    project.add_dataset(root / "bc.csv", name="bc")
    project.add_dataset(root / "diab.csv", name="diab")
    return project


def clf_spec(algorithm: str = "decision_tree", **params) -> RunSpec:
    return RunSpec(dataset="bc", algorithm=algorithm, target="target", task="classification", params=params)


def reg_spec(algorithm: str = "ridge", **params) -> RunSpec:
    return RunSpec(dataset="diab", algorithm=algorithm, target="target", task="regression", params=params)


def collect(events: list):
    return JobContext(events.append)


# ---------------------------------------------------------------- search space
def test_default_space_comes_from_the_param_specs():
    tree = get_algorithm("decision_tree")
    space = build_search_space(tree, "classification")
    # only tunable params of this task; regression's criterion is not there
    assert set(space.names) == {p.name for p in tree.params_for("classification") if p.tunable}
    depth = space.range("max_depth")
    # search_low/high narrow the valid 1..1000; None (unlimited) stays a choice
    assert (depth.kind, depth.low, depth.high, depth.include_none) == ("int", 2, 30, True)
    assert space.range("criterion").values == ("gini", "entropy", "log_loss")
    leaf = space.range("min_samples_leaf")
    assert leaf.log and (leaf.low, leaf.high) == (1, 200)

    ridge = build_search_space(get_algorithm("ridge"), "regression")
    alpha = ridge.range("alpha")
    assert alpha.log and (alpha.low, alpha.high) == (1e-4, 1000.0)
    # a non-tunable parameter is not searched by default
    assert "fit_intercept" not in ridge.names


def test_overrides_replace_ranges_and_limit_the_search():
    knn = get_algorithm("knn")
    space = build_search_space(knn, "classification", {"n_neighbors": "3:40", "weights": "distance"})
    assert space.names == ["n_neighbors", "weights"]  # given ranges: only those are searched
    assert (space.range("n_neighbors").low, space.range("n_neighbors").high) == (3, 40)
    assert space.range("weights").values == ("distance",)
    # values lists are parsed per type, "none" included for nullable params
    tree = build_search_space(get_algorithm("decision_tree"), "classification", {"max_depth": "3,none,8"})
    assert tree.range("max_depth").values == (3, None, 8)
    # an explicitly included non-tunable parameter gets its default range
    logreg = build_search_space(get_algorithm("logistic_regression"), "classification", include=["C", "fit_intercept"])
    assert logreg.range("fit_intercept").values == (False, True)
    # fixed parameters are not searched
    fixed = build_search_space(knn, "classification", fixed={"weights": "distance"})
    assert "weights" not in fixed.names and fixed.fixed == {"weights": "distance"}


@pytest.mark.parametrize(
    "pair, message",
    [
        ("n_neighbors=5:1", "--param-range n_neighbors=5:1: low must be < high"),
        ("n_neighbors=0:5", "out of the valid range"),
        ("n_neigbors=1:5", "Did you mean 'n_neighbors'"),
        ("weights=1:3", "takes a list of values"),
        ("weights=uniform,bogus", "must be one of uniform, distance"),
        ("n_neighbors=1.5:4", "not a whole number"),
        ("n_neighbors", "expected NAME=LOW:HIGH"),
    ],
)
def test_invalid_range_overrides_say_what_is_wrong(pair, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_param_ranges([pair], get_algorithm("knn"), "classification")


def test_log_range_needs_a_positive_low():
    with pytest.raises(SpecError, match="log scale, so low must be > 0"):
        parse_param_ranges(["alpha=0:1"], get_algorithm("ridge"), "regression")


def test_grid_values_are_finite_and_log_spaced_for_log_params():
    alpha = default_range(get_algorithm("ridge").param("alpha", "regression"))
    assert alpha.grid_values(3) == [1e-4, 0.3162, 1000.0]
    depth = ParamRange("max_depth", "int", low=2, high=30, include_none=True)
    assert depth.grid_values(3) == [2, 16, 30, None]


# ---------------------------------------------------------------- strategies
def test_grid_search_enumerates_exactly_its_grid(project):
    job = TuneJob(project.root, clf_spec("knn"), strategy="grid", cv=2,
                  space_overrides={"n_neighbors": "1,5,15", "weights": "uniform,distance"})
    result = job.run(JobContext())
    combos = [(t["params"]["n_neighbors"], t["params"]["weights"]) for t in result["trials"]]
    assert len(combos) == 6 == len(set(combos))
    assert set(combos) == {(k, w) for k in (1, 5, 15) for w in ("uniform", "distance")}
    assert result["status"] == "completed"
    best = max(result["trials"], key=lambda t: t["score"])
    assert result["best"]["score"] == best["score"]


def test_trials_cap_a_grid_with_a_note(project):
    events: list = []
    job = TuneJob(project.root, clf_spec("knn"), strategy="grid", cv=2, n_trials=3,
                  space_overrides={"n_neighbors": "1,5,15", "weights": "uniform,distance"})
    result = job.run(collect(events))
    assert len(result["trials"]) == 3
    assert any("grid has 6 combinations" in e.message for e in events if e.kind == "log")


@pytest.mark.parametrize("strategy", ["random", "bayes"])
def test_same_seed_same_trials(project, strategy):
    def params(seed):
        job = TuneJob(project.root, clf_spec(), strategy=strategy, n_trials=6, cv=2, seed=seed,
                      space_overrides={"max_depth": "2:12", "min_samples_leaf": "1:40"})
        return [t["params"] for t in job.run(JobContext())["trials"]]

    first = params(7)
    assert params(7) == first
    assert params(8) != first


def test_cancelled_search_keeps_finished_trials_and_best(project):
    token = CancelToken()
    seen: list[Trial] = []

    def on_event(event):
        if isinstance(event, Trial):
            seen.append(event)
            if len(seen) == 3:
                token.cancel()

    job = TuneJob(project.root, clf_spec(), strategy="random", n_trials=20, cv=2,
                  space_overrides={"max_depth": "2:12"})
    result = job.run(JobContext(on_event, token))
    assert result["status"] == "cancelled"
    assert [t["number"] for t in result["trials"]] == [0, 1, 2]
    assert result["best"]["score"] == max(t.score for t in seen)
    assert seen[-1].best_score == result["best"]["score"]
    on_disk = load_tune(project, job.tune_id)
    assert on_disk.status == "cancelled" and len(on_disk.trials()) == 3


def test_pruning_stops_poor_trials_of_an_iterative_learner(project):
    events: list = []
    job = TuneJob(project.root, clf_spec("gradient_boosting", n_estimators=60, max_depth=2),
                  strategy="random", n_trials=12, cv=2, seed=1,
                  space_overrides={"learning_rate": "0.001:0.5"})
    result = job.run(collect(events))
    states = [t["state"] for t in result["trials"]]
    assert "pruned" in states and "complete" in states
    assert result["n_pruned"] == states.count("pruned")
    pruned = [e for e in events if isinstance(e, Trial) and e.state == "pruned"]
    assert pruned and all(e.score is None for e in pruned)
    # No trial is judged before a third of the budget (4 of 12) has completed.
    first_pruned = states.index("pruned")
    assert states[:first_pruned].count("complete") >= 4
    assert any(getattr(e, "message", "").startswith(f"Trials: {result['n_complete']} complete, "
                                                    f"{result['n_pruned']} pruned") for e in events)


def test_pruning_starts_later_on_bigger_budgets():
    from workbench.engine.tuning.objective import prune_settings

    assert prune_settings(15, {"n_estimators": 100}) == {"n_startup_trials": 5, "n_warmup_steps": 25}
    assert prune_settings(60, {"max_iter": 20}) == {"n_startup_trials": 20, "n_warmup_steps": 10}
    assert prune_settings(None, {})["n_startup_trials"] == 10


def test_parallel_trials_run(project):
    job = TuneJob(project.root, reg_spec(), strategy="random", n_trials=4, cv=2, n_jobs=2,
                  space_overrides={"alpha": "0.001:100"})
    result = job.run(JobContext())
    assert sorted(t["number"] for t in result["trials"]) == [0, 1, 2, 3]
    assert all(t["state"] == "complete" for t in result["trials"])
    assert result["settings"]["n_jobs"] == 2


def test_holdout_objective_when_cv_is_zero(project):
    job = TuneJob(project.root, reg_spec(), strategy="random", n_trials=2, cv=0, metric="rmse",
                  space_overrides={"alpha": "0.001:100"})
    result = job.run(JobContext())
    assert result["direction"] == "min"
    assert all(t["score_std"] is None and t["score"] > 0 for t in result["trials"])


def test_unknown_metric_is_a_spec_error(project):
    job = TuneJob(project.root, reg_spec(), strategy="random", n_trials=2, metric="accuracy")
    with pytest.raises(SpecError, match="Unknown metric 'accuracy' for regression"):
        job.run(JobContext())


# ---------------------------------------------------------------- persistence
def test_search_is_persisted_and_its_best_can_be_trained(project):
    events: list = []
    # max_depth keeps its catalog range, "none" (unlimited) included
    job = TuneJob(project.root, clf_spec(), strategy="bayes", n_trials=5, cv=2,
                  space_overrides={"criterion": "gini,entropy"}, include=["max_depth", "criterion"])
    result = job.run(collect(events))
    folder = Path(project.root) / "tunes" / job.tune_id
    saved = json.loads((folder / "spec.json").read_text())
    assert saved["run_spec"]["algorithm"] == "decision_tree"
    assert saved["search"]["strategy"] == "bayes" and saved["search"]["cv"] == 2
    lines = (folder / "trials.jsonl").read_text().splitlines()
    assert len(lines) == 5
    on_disk = json.loads((folder / "result.json").read_text())
    assert on_disk["best"] == result["best"]
    assert set(on_disk["slices"]) == {"max_depth", "criterion"}
    assert len(on_disk["slices"]["max_depth"]["scores"]) == result["n_complete"]
    assert on_disk["importances"] is None or set(on_disk["importances"]) <= {"max_depth", "criterion"}
    assert job.tune_id in [r.tune_id for r in list_tunes(project)]
    # one Trial event per trial, and Trial events survive the JSON round trip
    trials = [e for e in events if isinstance(e, Trial)]
    assert len(trials) == 5
    assert event_from_dict(json.loads(json.dumps(trials[0].to_dict()))) == trials[0]

    spec = best_run_spec(result)
    assert spec.params["max_depth"] == result["best"]["params"]["max_depth"]
    run = TrainJob(project.root, spec).run(JobContext())
    assert run["status"] == "completed"


# ---------------------------------------------------------------- leaderboard
def test_leaderboard_sorts_by_metric_in_its_direction(project):
    for alpha in (1000.0, 0.01):
        spec = RunSpec(dataset="diab", algorithm="ridge", target="target", task="regression",
                       params={"alpha": alpha}, learning_curve=False)
        TrainJob(project.root, spec).run(JobContext())
    board = leaderboard(project, metric="r2", task="regression")
    scores = [r["score"] for r in board if r["score"] is not None]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 2
    assert board[0]["rank"] == 1
    assert {"run"} <= {r["kind"] for r in board}
    by_rmse = [r["score"] for r in leaderboard(project, metric="rmse", task="regression") if r["score"] is not None]
    assert by_rmse == sorted(by_rmse)
    # search bests are on the board with their CV score
    tuned = leaderboard(project, metric="accuracy", task="classification")
    assert any(r["kind"] == "tune" and r["source"] == "cv" for r in tuned)


def test_an_interval_range_without_bounds_is_one_clear_error():
    from workbench.engine.tuning.space import ParamRange

    # A search spec edited by hand (or from another tool) may lack a bound:
    # it used to fail deep inside the search with "float() argument must be ... not 'NoneType'".
    rng = ParamRange.from_dict({"name": "C", "kind": "float", "high": 10.0})
    with pytest.raises(SpecError, match="'C' has no low and high bound"):
        rng.grid_values()
