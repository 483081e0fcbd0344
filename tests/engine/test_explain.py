"""Explanations a user can trust: contributions add up to what the model outputs."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from workbench.engine import ExplainJob, Project, RunSpec, TrainJob, read_cached_explanation

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


def _project(tmp_path_factory, sample):
    dest = tmp_path_factory.mktemp("explain") / sample
    shutil.copytree(SAMPLES / sample, dest, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    return Project.open(dest)


def _train(project, dataset, target, algorithm, **params):
    spec = RunSpec(dataset=dataset, algorithm=algorithm, target=target, params=params, n_threads=1,
                   learning_curve=False)
    job = TrainJob(project.root, spec)
    job.run()
    return job.run_id


@pytest.fixture(scope="module")
def penguins(tmp_path_factory):
    project = _project(tmp_path_factory, "penguins_sex")
    runs = {
        "xgboost": _train(project, "penguins", "sex", "xgboost", n_estimators=30),
        "logistic_regression": _train(project, "penguins", "sex", "logistic_regression"),
    }
    return project, runs


def _margin_of(project, run_id, rows):
    """What the fitted XGBoost really outputs for ``rows`` (the sklearn wrapper)."""
    record = project.run(run_id)
    model = record.load_model()
    frame = project.load_dataset("penguins").loc[rows]
    X = model.coerce(frame)
    Xt = model.pipeline[:-1].transform(X)
    est = model.pipeline.steps[-1][1]
    return np.asarray(est.predict(Xt, output_margin=True), float), model.predict_proba(frame)[:, 1]


def test_xgboost_contributions_are_exact_treeshap_on_the_margin(penguins):
    project, runs = penguins
    out = ExplainJob(project.root, runs["xgboost"], rows=25, use_cache=False).run()
    assert out["method"] == "tree_shap" and "TreeSHAP" in out["method_text"]
    names = {"species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"}
    raw = []
    for row in out["rows"]:
        # Original columns only: the one-hot parts of species/island are summed back.
        assert set(row["contributions"]) == names
        total = out["base_value"] + sum(row["contributions"].values())
        assert total == pytest.approx(row["raw_output"], abs=1e-4)
        raw.append(row["raw_output"])
    margin, proba = _margin_of(project, runs["xgboost"], [r["index"] for r in out["rows"]])
    np.testing.assert_allclose(raw, margin, atol=1e-5)
    # ... and the margin is the log-odds of the probability the model reports.
    np.testing.assert_allclose(1 / (1 + np.exp(-np.asarray(raw))), proba, atol=1e-5)
    assert [g["feature"] for g in out["global"]][0] in names
    assert out["global"] == sorted(out["global"], key=lambda g: -g["mean_abs"])
    top = [g["feature"] for g in out["global"][:3]]
    for feature in top:
        curve = out["partial_dependence"][feature]
        assert len(curve["grid"]) == len(curve["average"]) >= 2
        assert curve["rows"] == out["sample"]["pdp_rows"] > 0


def test_other_models_get_sampled_shapley_that_adds_up_exactly(penguins):
    project, runs = penguins
    out = ExplainJob(project.root, runs["logistic_regression"], rows=4, use_cache=False).run()
    assert out["method"] == "sampling_shapley" and out["output"] == "probability"
    record = project.run(runs["logistic_regression"])
    frame = project.load_dataset("penguins").loc[[r["index"] for r in out["rows"]]]
    proba = record.load_model().predict_proba(frame)[:, 1]
    for row, p in zip(out["rows"], proba):
        assert row["raw_output"] == pytest.approx(p, abs=1e-9)
        assert row["base_value"] + sum(row["contributions"].values()) == pytest.approx(p, abs=1e-9)
    assert out["sample"]["permutations"] >= 4 and out["sample"]["background_rows"] > 0


def test_explanation_is_cached_with_the_run_and_a_file_can_be_explained(penguins, tmp_path):
    project, runs = penguins
    run_id = runs["xgboost"]
    first = ExplainJob(project.root, run_id, rows=3).run()
    cached = read_cached_explanation(project.run(run_id).folder)
    assert cached is not None and cached["rows"][:3] == first["rows"]
    again = ExplainJob(project.root, run_id, rows=2).run()
    assert again["rows"] == first["rows"][:2]
    rows = tmp_path / "new.csv"
    rows.write_text("species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,year\n"
                    "Gentoo,Biscoe,50.0,15.0,220,5500,2009\n")
    out = ExplainJob(project.root, run_id, rows, rows=5).run()
    assert len(out["rows"]) == 1 and out["rows"][0]["prediction"] in ("male", "female")


def test_partial_dependence_matches_scikit_learn(penguins):
    from sklearn.inspection import partial_dependence

    from workbench.engine.explain.dependence import feature_grid, partial_dependence_curves

    project, runs = penguins
    record = project.run(runs["logistic_regression"])
    model = record.load_model()
    X = model.coerce(project.load_dataset("penguins").dropna(subset=["sex"]).iloc[:60])
    ours = partial_dependence_curves(model, X, ["body_mass_g", "island"])
    for name, categorical in (("body_mass_g", False), ("island", True)):
        grid = feature_grid(X[name], categorical)
        Xs = X.astype({c: np.float64 for c in X.columns if X[c].dtype == np.float32})
        ref = partial_dependence(model.pipeline, Xs, [name], kind="average", custom_values={name: grid},
                                 categorical_features=[name] if categorical else None)
        np.testing.assert_allclose(ours[name]["average"], ref["average"][-1], atol=1e-5)  # sklearn averages in float32


def test_contributions_add_up_on_a_target_in_the_hundreds_of_thousands(tmp_path):
    """float32 contributions alone missed the margin by ~0.3 here (1e-4 is the contract)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(list("xyz"), n)})
    df["price"] = 500_000 + 120_000 * df.a - 80_000 * df.b + (df.c == "x") * 50_000 + rng.normal(0, 1000, n)
    df.to_csv(tmp_path / "houses.csv", index=False)
    project = Project.init(tmp_path / "p")
    project.add_dataset(tmp_path / "houses.csv")
    run_id = _train(project, "houses", "price", "xgboost", n_estimators=50)
    out = ExplainJob(project.root, run_id, rows=40, use_cache=False).run()
    predictions = project.run(run_id).load_model().predict(
        project.load_dataset("houses").loc[[r["index"] for r in out["rows"]]])
    for row, real in zip(out["rows"], predictions):
        assert out["base_value"] + sum(row["contributions"].values()) == pytest.approx(row["raw_output"], abs=1e-4)
        assert row["raw_output"] == pytest.approx(real, abs=1e-4)


def test_explain_job_stops_when_cancelled(penguins):
    from workbench.engine import CancelToken, Cancelled, JobContext

    project, runs = penguins
    token = CancelToken()
    seen = []

    def on_event(event):
        seen.append(event)
        token.cancel()  # at its first report ("Loading rows"): it must stop at the next check

    with pytest.raises(Cancelled):
        ExplainJob(project.root, runs["logistic_regression"], rows=5, use_cache=False).run(JobContext(on_event, token))
