"""``workbench retrain``: a later slice of a real dataset, a fair comparison, lineage."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_support import copy_sample

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    from workbench.cli import main

    tmp = tmp_path_factory.mktemp("retrain")
    proj = copy_sample("penguins_species", tmp)
    data = pd.read_csv(proj / "data" / "penguins.csv")
    data[data["year"] < 2009].to_csv(tmp / "early.csv", index=False)
    data[data["year"] == 2009].to_csv(tmp / "later.csv", index=False)
    assert main(["data", "add", str(proj), str(tmp / "early.csv")]) == 0
    assert main(["train", str(proj), "early", "--target", "species", "--algorithm", "random_forest",
                 "--param", "n_estimators=20", "--seed", "3"]) == 0
    run_id = sorted(p.name for p in (proj / "runs").iterdir())[0]
    return proj, run_id, tmp


def test_retrain_on_a_later_slice_records_lineage_and_a_fair_comparison(cli, parent):
    from workbench.engine import Project

    proj, run_id, tmp = parent
    code, out, err = cli("retrain", proj, run_id, tmp / "later.csv", "--json")
    assert code == 0, err
    report = json.loads(out)
    project = Project.open(proj)
    new = project.run(report["run_id"])
    lineage = json.loads((new.folder / "lineage.json").read_text())
    assert lineage["parent_run"] == run_id
    assert lineage["parent_fingerprint"] == project.run(run_id).spec.fingerprint
    assert lineage["fingerprint"] == new.spec.fingerprint == project.datasets[lineage["dataset"]].sha256
    assert lineage["parent_fingerprint"] != lineage["fingerprint"]
    # same spec: algorithm, parameters, seed and feature columns
    old_spec, new_spec = project.run(run_id).spec, new.spec
    assert (new_spec.algorithm, new_spec.params, new_spec.seed) == (old_spec.algorithm, old_spec.params, old_spec.seed)
    assert new.load_model().info.features == project.run(run_id).load_model().info.features

    c = report["comparison"]
    held_out = np.load(new.folder / "test_rows.npy")
    assert c["rows"] == len(held_out) and c["excluded_seen_rows"] == 0  # a later slice: all new to the old model
    assert c["metric"] == "accuracy" and c["winner"] in {"new", "old", "tie"}
    # the old model's score is its accuracy on exactly those rows
    rows = project.load_dataset(lineage["dataset"]).loc[held_out]
    old_pred = project.run(run_id).load_model().predict(rows)
    assert c["old"]["accuracy"] == pytest.approx(np.mean(old_pred == rows["species"].to_numpy()))
    new_pred = new.load_model().predict(rows)
    assert c["new"]["accuracy"] == pytest.approx(np.mean(new_pred == rows["species"].to_numpy()))
    better = c["new"]["accuracy"] > c["old"]["accuracy"]
    assert c["winner"] == ("new" if better else "tie" if c["new"]["accuracy"] == c["old"]["accuracy"] else "old")

    code, out, _ = cli("retrain", proj, run_id, lineage["dataset"])
    assert code == 0 and "Both models scored on" in out and "On accuracy" in out


def test_appended_rows_never_score_the_old_model_on_its_training_rows(cli, parent):
    proj, run_id, tmp = parent
    code, out, err = cli("retrain", proj, run_id, tmp / "later.csv", "--append", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["appended"] and report["dataset"].startswith("early-plus-later")
    c = report["comparison"]
    assert c["excluded_seen_rows"] > 0  # old rows in the held-out part were left out
    assert c["rows"] > 0


def test_new_data_without_the_target_or_features_is_refused(cli, parent):
    proj, run_id, tmp = parent
    later = pd.read_csv(tmp / "later.csv")
    later.drop(columns=["species"]).to_csv(tmp / "no_target.csv", index=False)
    later.drop(columns=["island", "sex"]).to_csv(tmp / "no_features.csv", index=False)
    runs_before = sorted(p.name for p in (proj / "runs").iterdir())
    code, _, err = cli("retrain", proj, run_id, tmp / "no_target.csv")
    assert code == 1 and "target column 'species'" in err
    code, _, err = cli("retrain", proj, run_id, tmp / "no_features.csv")
    assert code == 1 and "'island'" in err and "'sex'" in err
    assert sorted(p.name for p in (proj / "runs").iterdir()) == runs_before
