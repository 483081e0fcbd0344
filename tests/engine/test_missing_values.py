"""Treat as missing: ``ColumnPrep.missing_values`` on a real dataset with real-looking damage.

The bundled diabetes sample (442 rows) gets what files get: its header line
repeated inside the data (pasted files, concatenated exports), which makes
pandas read the ``bmi`` column as text, and a measure (``bp``, blood
pressure) that is 0 where it was not measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quality_helpers import project_with, train_run
from workbench.engine.errors import SpecError
from workbench.engine.model import TrainedModel
from workbench.engine.spec import ColumnPrep, RunSpec, parse_prep_texts

SAMPLE = Path(__file__).resolve().parents[2] / "sample_projects" / "diabetes" / "data" / "diabetes.csv"
TREAT = {"bmi": ColumnPrep(missing_values=["bmi"])}


def damaged(every: int = 60) -> pd.DataFrame:
    """diabetes.csv with its header line repeated every ``every`` rows (in ``bmi``, as text)."""
    return damaged_frame(pd.read_csv(SAMPLE), every)


def damaged_frame(df: pd.DataFrame, every: int = 60) -> pd.DataFrame:
    """``df`` with the header line of ``bmi`` repeated every ``every`` rows."""
    df = df.copy()
    bmi = df["bmi"].astype(str)
    bmi.iloc[every // 2::every] = "bmi"
    df["bmi"] = bmi
    return df


def _group_steps(folder: Path, column: str) -> list[str]:
    """The preparation steps the saved model applies to ``column``."""
    model = TrainedModel.load(folder)
    for _name, pipe, cols in model.pipeline.named_steps["prep"].named_steps["columns"].transformers_:
        if column in cols:
            return [name for name, _step in pipe.steps]
    raise AssertionError(f"{column} is not a feature")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return project_with(tmp_path_factory.mktemp("damaged"), damaged())


@pytest.fixture(scope="module")
def runs(project):
    """Ridge on the damaged file: as it is, then with the header text treated as missing."""
    plain, _ = train_run(project, "ridge", "progression")
    treated, logs = train_run(project, "ridge", "progression", preparation=TREAT)
    return plain, treated, logs


def test_the_stray_header_turns_a_text_column_back_into_numbers(project, runs):
    plain, treated, logs = runs
    folder = project.runs_dir
    assert "encode" in _group_steps(folder / plain["run_id"], "bmi")  # one-hot of ~160 numbers as text
    steps = _group_steps(folder / treated["run_id"], "bmi")
    assert steps[:3] == ["missing", "parse", "impute"] and "encode" not in steps
    assert any("numbers once 'bmi' count as missing; used as a number" in e.message for e in logs)
    # bmi is diabetes' strongest predictor: as a number it counts again
    assert treated["metrics"]["r2"] >= plain["metrics"]["r2"] + 0.1


def test_impossible_zeros_are_imputed_not_read_as_zero(tmp_path):
    df = pd.read_csv(SAMPLE)
    df.loc[df.index % 9 == 4, "bp"] = 0  # not measured: 0 where the rest is 62-133
    project = project_with(tmp_path, df)
    plain, _ = train_run(project, "ridge", "progression")
    treated, _ = train_run(project, "ridge", "progression", preparation={"bp": ColumnPrep(missing_values=[0])})
    model = TrainedModel.load(project.runs_dir / treated["run_id"])
    prep = model.pipeline.named_steps["prep"]
    rows = df.drop(columns="progression").iloc[[0, 0]].copy()
    rows["bp"] = [0.0, np.nan]
    zero, missing = prep.transform(model.coerce(rows))
    assert np.array_equal(zero, missing)  # 0 is filled like a gap
    assert treated["metrics"]["r2"] >= plain["metrics"]["r2"]


def test_predict_and_onnx_take_a_file_with_the_stray_value(project, runs, tmp_path):
    from workbench.cli.main import main
    from workbench.engine.onnx.predict import OnnxPredictor
    from workbench.engine.onnx.run_export import export_run

    _plain, treated, _ = runs
    run_id = treated["run_id"]
    report = export_run(project.root, run_id)
    assert report["parity"]["within_tolerance"], report["parity"]
    new = damaged(every=7).drop(columns="progression").head(40)
    new.loc[3, "bmi"] = None  # and a real gap
    new.to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", str(project.root), run_id, str(tmp_path / "new.csv"),
                 "-o", str(tmp_path / "out.csv")]) == 0
    native = pd.read_csv(tmp_path / "out.csv")["prediction"].to_numpy()
    assert np.isfinite(native).all() and len(native) == 40
    predictor = OnnxPredictor(project.runs_dir / run_id / "model.onnx")
    # The exported file says bmi holds numbers given as text (drift with --onnx reads it).
    assert [f.name for f in predictor.features if f.from_text] == ["bmi"]
    onnx = predictor.predict(pd.read_csv(tmp_path / "new.csv"))
    assert np.allclose(np.asarray(onnx, dtype=float).ravel(), native, atol=1e-3)
    # A file without strays (bmi read as numbers) feeds the same model.
    clean = pd.read_csv(SAMPLE).drop(columns="progression").head(5)
    model = TrainedModel.load(project.runs_dir / run_id)
    assert np.isfinite(model.predict(clean)).all()


def test_a_new_stray_at_predict_time_is_named(project, runs):
    from workbench.engine.errors import DataError

    model = TrainedModel.load(project.runs_dir / runs[1]["run_id"])
    rows = pd.read_csv(SAMPLE).drop(columns="progression").head(3).astype({"bmi": object})
    rows.loc[1, "bmi"] = "n/a"
    with pytest.raises(DataError, match="'bmi' should hold numbers but holds 'n/a'"):
        model.predict(rows)


def test_numbers_given_as_text_are_checked_for_drift_as_numbers(tmp_path):
    # A measure read as text because of a stray header line, its stray
    # declared missing, is parsed by the model; the drift check compared
    # its texts as categories, so new rows of the same distribution had
    # ~37 % "unseen categories" in bmi: DRIFT on every check.
    from workbench.engine.monitoring.check import run_reference_profile
    from workbench.engine.monitoring.drift import drift_report

    df = pd.read_csv(SAMPLE)
    training, new = df.iloc[:300], df.iloc[300:].drop(columns="progression")
    project = project_with(tmp_path, damaged_frame(training))
    run, _ = train_run(project, "ridge", "progression", preparation=TREAT)
    model = TrainedModel.load(project.runs_dir / run["run_id"])
    bmi = next(f for f in model.info.features if f.name == "bmi")
    assert bmi.is_string and bmi.from_text and bmi.value_kind == "numeric"  # takes text, holds numbers
    profile = run_reference_profile(project.root, run["run_id"])
    assert next(f for f in profile["features"] if f["name"] == "bmi")["kind"] == "numeric"
    for rows in (new, damaged_frame(new)):  # as numbers, and as text with the stray again
        report = drift_report(profile, rows)
        entry = next(f for f in report["features"] if f["name"] == "bmi")
        assert entry["kind"] == "numeric" and entry["test"] == "ks", entry
        assert not report["drifted"], [f["reasons"] for f in report["features"] if f["drifted"]]
    # A real shift of the measure is still caught.
    shifted = new.assign(bmi=new["bmi"] * 1.25)
    assert next(f for f in drift_report(profile, shifted)["features"] if f["name"] == "bmi")["drifted"]


def test_numbers_given_as_text_get_a_numeric_dependence_curve(project, runs):
    from workbench.engine.explain.dependence import partial_dependence_curves

    model = TrainedModel.load(project.runs_dir / runs[1]["run_id"])
    rows = model.coerce(damaged().drop(columns="progression"))
    curve = partial_dependence_curves(model, rows, ["bmi"])["bmi"]
    grid, average = np.asarray(curve["grid"]), np.asarray(curve["average"])
    assert curve["kind"] == "numeric" and len(grid) == 20 and np.all(np.diff(grid) > 0)
    # bmi raises the predicted progression (ridge: a straight rising line)
    assert np.all(np.diff(average) > 0)


def test_missing_values_round_trip_through_spec_json():
    spec = RunSpec(dataset="d", algorithm="ridge", target="y",
                   preparation={"bmi": ColumnPrep(missing_values=["bmi", "?"]), "bp": ColumnPrep(missing_values=[0])})
    back = RunSpec.from_json(spec.to_json())
    assert back.preparation == spec.preparation
    assert back.preparation["bp"].missing_values == [0] and isinstance(back.preparation["bp"].missing_values[0], int)


def test_an_old_spec_without_the_field_loads_and_replays_identically(project, runs):
    from workbench.engine.training.job import TrainJob

    plain, _treated, _ = runs
    old = json.loads((project.runs_dir / plain["run_id"] / "spec.json").read_text())
    old["preparation"] = {"s1": {"impute": "mean", "scale": "auto", "encode": "auto", "fill_value": None,
                                 "clip": None, "drop": False}}  # as written before missing_values existed
    spec = RunSpec.from_dict(old)
    assert spec.preparation["s1"].missing_values == []
    first = TrainJob(project.root, spec).run()
    again = TrainJob(project.root, RunSpec.from_json(spec.to_json())).run()
    results = [json.loads((project.runs_dir / s["run_id"] / "result.json").read_text()) for s in (first, again)]
    assert results[0]["metrics"] == results[1]["metrics"]


@pytest.mark.parametrize("values, words", [
    ("?", "must be a list"), ([True], "non-empty text or a finite number"),
    ([" "], "non-empty text"), ([float("nan")], "finite number"),
])
def test_bad_missing_values_are_one_clear_line(values, words):
    with pytest.raises(SpecError, match=words) as info:
        RunSpec.from_dict({"dataset": "d", "algorithm": "ridge", "preparation": {"bmi": {"missing_values": values}}})
    assert "\n" not in str(info.value) and "'bmi'" in str(info.value)


def test_prep_text_is_read_as_the_form_and_cli_write_it():
    prep = parse_prep_texts(["bmi:missing_values=bmi, ?", "bp:missing_values=0", "bp:impute=mean"])
    assert prep["bmi"].missing_values == ["bmi", "?"]
    assert prep["bp"] == ColumnPrep(impute="mean", missing_values=[0])
    assert prep["bmi"].text("missing_values") == "bmi, ?"
    assert ColumnPrep().with_text("missing_values", '["a, b", " c"]').missing_values == ["a, b", " c"]
    for bad in ("bmi", "bmi:missing_values", "bmi:colour=red", "bmi:drop=maybe"):
        with pytest.raises(SpecError):
            parse_prep_texts([bad])


def test_train_prep_flag_is_recorded_in_the_run(project, tmp_path, capsys):
    from workbench.cli.main import main

    code = main(["train", str(project.root), "data", "--target", "progression", "--algorithm", "ridge",
                 "--prep", "bmi:missing_values=bmi", "--no-learning-curve", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    run_id = json.loads(out)["run_id"]
    spec = json.loads((project.runs_dir / run_id / "spec.json").read_text())
    assert spec["preparation"]["bmi"]["missing_values"] == ["bmi"]
    assert main(["train", str(project.root), "data", "--target", "progression", "--algorithm", "ridge",
                 "--prep", "bmi=bmi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --prep takes COLUMN:NAME=VALUE") and err.count("\n") == 1


def test_the_warnings_offer_the_actions_with_their_values():
    from workbench.engine import profile_dataset

    df = damaged()
    df.loc[df.index % 9 == 4, "bp"] = 0
    df["rare"] = np.where(np.arange(len(df)) % 40 == 0, "yes", "no")
    by_code = {w["code"]: w for w in profile_dataset(df, target="rare").warnings}
    text, zeros = by_code["numbers_as_text"], by_code["impossible_zeros"]
    assert text["column"] == "bmi" and text["missing_values"] == ["bmi"] and "treat_as_missing" in text["actions"]
    assert zeros["column"] == "bp" and zeros["missing_values"] == [0] and "treat_as_missing" in zeros["actions"]
    assert "balance_classes" in by_code["imbalance"]["actions"]


def test_a_category_and_padded_strays_export_with_parity(tmp_path):
    """ "unknown" in a category becomes its missing category; " ?" (a padded stray) matches "?"."""
    from workbench.engine.onnx.run_export import export_run

    penguins = SAMPLE.parents[2] / "penguins_sex" / "data" / "penguins.csv"
    df = pd.read_csv(penguins)
    bill = df["bill_length_mm"].astype(object)
    bill.iloc[::60] = " ?"
    df["bill_length_mm"] = bill
    df["island"] = df["island"].where(df.index % 13 != 0, "unknown")
    project = project_with(tmp_path, df)
    prep = {"bill_length_mm": ColumnPrep(missing_values=["?"]), "island": ColumnPrep(missing_values=["unknown"])}
    result, logs = train_run(project, "hist_gradient_boosting", "sex", preparation=prep,
                             params={"max_iter": 30})
    notes = " ".join(e.message for e in logs)
    assert "bill_length_mm: numbers once '?' count as missing" in notes
    assert "island: 'unknown' count as missing" in notes
    model = TrainedModel.load(project.runs_dir / result["run_id"])
    rows = df.drop(columns="sex").iloc[[1, 1]].copy()
    rows["island"] = ["unknown", None]
    unknown, missing = model.pipeline.named_steps["prep"].transform(model.coerce(rows))
    assert np.array_equal(unknown, missing)
    report = export_run(project.root, result["run_id"])
    assert report["parity"]["within_tolerance"] and report["parity"]["label_agreement"] == 1.0
