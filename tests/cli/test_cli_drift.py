"""``workbench drift`` and ``predict --drift`` on a real sample dataset."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cli_support import copy_sample

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from workbench.cli import main

    tmp = tmp_path_factory.mktemp("drift")
    proj = copy_sample("penguins_species", tmp)
    assert main(["train", str(proj), "penguins", "--target", "species", "--algorithm",
                 "logistic_regression", "--seed", "2"]) == 0
    run_id = sorted(p.name for p in (proj / "runs").iterdir())[0]
    data = pd.read_csv(proj / "data" / "penguins.csv")
    data.sample(150, random_state=3).to_csv(tmp / "same.csv", index=False)
    shifted = data.sample(150, random_state=4).copy()
    shifted["bill_length_mm"] += 6.0
    shifted["island"] = "Biscoe"
    shifted.to_csv(tmp / "shifted.csv", index=False)
    return proj, run_id, tmp


def _flagged(report):
    return {f["name"] for f in report["features"] if f["drifted"]}


def test_random_sample_flags_none_shifted_slice_flags_the_shifted(cli, trained):
    proj, run_id, tmp = trained
    assert (proj / "runs" / run_id / "reference_profile.json").exists()
    code, out, err = cli("drift", proj, run_id, tmp / "same.csv", "--json")
    assert code == 0, err
    same = json.loads(out)
    assert same["drifted"] is False and same["rows"] == 150 and _flagged(same) == set()

    code, out, _ = cli("drift", proj, run_id, tmp / "shifted.csv", "--json")
    shifted = json.loads(out)
    assert shifted["drifted"] is True and _flagged(shifted) == {"bill_length_mm", "island"}
    keys = {"name", "kind", "test", "statistic", "p_value", "psi", "drifted", "unseen_categories",
            "out_of_range_share", "missing_rate_change"}
    assert all(keys <= set(f) for f in shifted["features"])

    code, out, _ = cli("drift", proj, run_id, tmp / "shifted.csv")
    assert "DRIFT in" in out and "Thresholds:" in out
    assert cli("drift", proj, run_id, tmp / "shifted.csv", "--fail-on-drift")[0] == 3


def test_a_real_slice_of_later_years_drifts_in_year(cli, trained):
    proj, run_id, tmp = trained
    data = pd.read_csv(proj / "data" / "penguins.csv")
    data[data["year"] == 2009].to_csv(tmp / "2009.csv", index=False)
    code, out, _ = cli("drift", proj, run_id, tmp / "2009.csv", "--json")
    assert "year" in _flagged(json.loads(out))


def test_predict_with_drift_and_onnx_carries_the_profile(cli, trained):
    proj, run_id, tmp = trained
    code, _, err = cli("predict", proj, run_id, tmp / "shifted.csv", "-o", tmp / "p.csv", "--drift")
    assert code == 0 and "DRIFT in" in err and "island" in err
    assert cli("export", proj, run_id)[0] == 0
    onnx_file = proj / "runs" / run_id / "model.onnx"
    code, _, err = cli("predict", "--model", onnx_file, tmp / "same.csv", "-o", tmp / "q.csv", "--drift")
    assert code == 0 and "Overall: no drift" in err
    code, out, _ = cli("drift", "--model", onnx_file, tmp / "shifted.csv", "--json")
    assert code == 0 and _flagged(json.loads(out)) == {"bill_length_mm", "island"}
    assert cli("drift", "--model", onnx_file, proj, run_id, tmp / "same.csv")[0] == 1


def test_runs_without_a_profile_rebuild_it_from_the_training_rows(cli, trained):
    proj, run_id, tmp = trained
    path = proj / "runs" / run_id / "reference_profile.json"
    original = json.loads(path.read_text())
    path.unlink()
    code, out, _ = cli("drift", proj, run_id, tmp / "same.csv", "--json")
    assert code == 0 and json.loads(out)["drifted"] is False
    assert json.loads(path.read_text())["rows"] == original["rows"]


def test_missing_feature_is_a_one_line_error(cli, trained):
    proj, run_id, tmp = trained
    pd.read_csv(tmp / "same.csv").drop(columns=["island"]).to_csv(tmp / "no_island.csv", index=False)
    code, _, err = cli("drift", proj, run_id, tmp / "no_island.csv")
    assert code == 1 and err.startswith("error:") and "island" in err
