"""`workbench explain`: the JSON shape scripts rely on, and plain errors."""

import json
import shutil
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from workbench.cli import main

    dest = tmp_path_factory.mktemp("cli-explain") / "diabetes"
    shutil.copytree(SAMPLES / "diabetes", dest, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    assert main(["train", str(dest), "diabetes", "--algorithm", "xgboost",
                "--param", "n_estimators=20", "--threads", "1", "--no-learning-curve", "--json"]) == 0
    run_id = sorted(p.name for p in (dest / "runs").iterdir())[0]
    return dest, run_id


def test_explain_json_has_contributions_global_and_partial_dependence(cli, trained):
    project, run_id = trained
    code, out, err = cli("explain", project, run_id, "--rows", "3", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"method", "base_value", "rows", "global", "partial_dependence"} <= set(data)
    assert data["method"] == "tree_shap" and len(data["rows"]) == 3
    for row in data["rows"]:
        assert {"prediction", "raw_output", "contributions"} <= set(row)
        # A regressor's raw output is its prediction.
        assert row["raw_output"] == pytest.approx(row["prediction"], abs=1e-4)
        assert data["base_value"] + sum(row["contributions"].values()) == pytest.approx(row["raw_output"], abs=1e-4)
    top = data["global"][0]["feature"]
    assert set(data["partial_dependence"][top]) >= {"grid", "average"}


def test_explain_unknown_run_is_one_line_error(cli, trained):
    project, _ = trained
    code, out, err = cli("explain", project, "no-such-run")
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1


def test_show_json_has_the_baseline_beside_the_metrics(cli, trained):
    project, run_id = trained
    code, out, err = cli("show", project, run_id, "--json")
    assert code == 0, err
    data = json.loads(out)
    # The mean predictor scores r2 <= 0 on held-out rows; the model must be compared with it.
    assert data["baseline"]["r2"] <= 0.0 < data["metrics"]["r2"]
    assert data["beats_baseline"] is True and "baseline" in data["baseline_note"].lower()
    code, out, _ = cli("show", project, run_id)
    assert "Baseline (always predicting the training mean)" in out
