"""Every failure is one line (issue 12.5): no traceback, no double printing,
and no ``failed`` run for parameters that can be checked before the run."""

from __future__ import annotations

import pytest
from cli_support import copy_sample

from workbench.engine import Project


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error")]
    assert len(errors) == 1, err
    return errors[0]


@pytest.mark.parametrize(
    "params, words",
    [
        (["--algorithm", "knn", "--param", "n_neighbors=5000"], "n_neighbors=5000 is more than the 275 rows"),
        (["--algorithm", "knn", "--param", "n_neighbors=250", "--cv", "5"], "one cross-validation fold"),
        (["--algorithm", "logistic_regression", "--param", "l1_ratio=0.5", "--param", "solver=liblinear"],
         "needs solver=saga"),
        (["--algorithm", "logistic_regression", "--param", "l1_ratio=1", "--param", "solver=liblinear"],
         "two classes only"),
    ],
)
def test_parameters_the_data_cannot_take_are_refused_before_the_run(cli, tmp_path, params, words):
    proj = copy_sample("penguins_species", tmp_path)  # 344 rows, 3 classes
    code, out, err = cli("train", proj, "penguins", *params)
    assert code == 1
    line = _one_error_line(err)
    assert words in line, line
    assert Project.open(proj).runs() == []  # no failed run folder


def test_a_library_error_during_the_fit_is_one_actionable_line(cli, tmp_path, monkeypatch):
    from sklearn.neighbors import KNeighborsClassifier

    def refuse(self, X, y):
        raise ValueError("Expected something\nspanning two lines.")

    monkeypatch.setattr(KNeighborsClassifier, "fit", refuse)
    proj = copy_sample("penguins_species", tmp_path)
    code, out, err = cli("train", proj, "penguins", "--algorithm", "knn")
    assert code == 1
    line = _one_error_line(err)
    assert "cannot fit this data with these settings: Expected something spanning two lines." in line
    assert "Change the parameters" in line
    assert [r.status for r in Project.open(proj).runs()] == ["failed"]


def test_running_out_of_memory_during_the_fit_is_one_line(cli, tmp_path, monkeypatch):
    from sklearn.neighbors import KNeighborsClassifier

    def exhaust(self, X, y):
        raise MemoryError()

    monkeypatch.setattr(KNeighborsClassifier, "fit", exhaust)
    proj = copy_sample("penguins_species", tmp_path)
    code, out, err = cli("train", proj, "penguins", "--algorithm", "knn")
    assert code == 1
    assert "ran out of memory on 275 rows x 7 features" in _one_error_line(err)


def test_predict_refuses_an_output_folder_that_does_not_exist(cli, tmp_path):
    proj = copy_sample("penguins_species", tmp_path)
    missing = tmp_path / "missing" / "dir" / "x.csv"
    code, out, err = cli("predict", proj, "no-such-run", proj / "data" / "penguins.csv", "-o", missing)
    assert code == 1
    assert "does not exist" in _one_error_line(err) and str(missing.parent) in err
    assert not (tmp_path / "missing").exists()


def test_ctrl_c_before_training_starts_records_nothing(cli, tmp_path, monkeypatch):
    import workbench.engine.training.job as training_job
    from workbench.engine import Cancelled

    def cancelled_while_loading(*args, **kwargs):
        raise Cancelled()

    monkeypatch.setattr(training_job, "load_for_spec", cancelled_while_loading)
    proj = copy_sample("penguins_species", tmp_path)
    code, out, err = cli("train", proj, "penguins", "--algorithm", "knn")
    assert code == 130
    assert "nothing was started" in err and "Run " not in err
    assert Project.open(proj).runs() == []


@pytest.fixture(scope="module")
def exported_run(tmp_path_factory):
    """A completed, exported logistic regression run on the penguins sample."""
    from workbench.cli import main

    proj = copy_sample("penguins_species", tmp_path_factory.mktemp("exported"))
    assert main(["train", str(proj), "penguins", "--algorithm", "logistic_regression", "--no-learning-curve"]) == 0
    run_id = Project.open(proj).runs()[-1].run_id
    assert main(["export", str(proj), run_id]) == 0
    return proj, run_id


def test_a_damaged_held_out_rows_file_does_not_stop_an_export(cli, exported_run, tmp_path):
    proj, run_id = exported_run
    rows = proj / "runs" / run_id / "test_rows.npy"
    good = rows.read_bytes()
    try:
        rows.write_bytes(good[:20] + b"'unterminated" + good[33:])  # was: unexpected TokenError
        code, out, err = cli("export", proj, run_id, "-o", tmp_path / "m.onnx")
        assert code == 0, err
        assert (tmp_path / "m.onnx").exists()
    finally:
        rows.write_bytes(good)


def test_an_onnx_file_with_damaged_metadata_is_one_line(cli, exported_run, tmp_path):
    proj, run_id = exported_run
    data = (proj / "runs" / run_id / "model.onnx").read_bytes()
    at = data.index(b"classification")
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(data[:at] + b"\xff\xfe" + data[at + 2:])  # invalid UTF-8 in a metadata value
    code, out, err = cli("predict", "--model", damaged, proj / "data" / "penguins.csv", "-o", tmp_path / "p.csv")
    assert code == 1
    assert "damaged.onnx is damaged" in _one_error_line(err)


def test_a_search_with_fixed_parameters_the_data_cannot_take_is_refused_up_front(cli, tmp_path):
    proj = copy_sample("penguins_species", tmp_path)
    code, out, err = cli("tune", proj, "penguins", "--algorithm", "knn", "--param", "n_neighbors=5000",
                         "--trials", "2", "--cv", "2")
    assert code == 1
    assert "n_neighbors=5000 is more than the 137 rows" in _one_error_line(err)
    assert not (proj / "tunes").exists() or not any((proj / "tunes").iterdir())


def test_a_memory_limit_too_low_for_the_libraries_is_one_line(cli, tmp_path, monkeypatch):
    import sys

    cli_main = sys.modules["workbench.cli.main"]  # the package re-exports main() under that name

    def cannot_map(args):  # what `ulimit -v` gave while numpy loaded OpenBLAS
        raise ImportError("libscipy_openblas.so: failed to map segment from shared object")

    monkeypatch.setattr(cli_main, "cmd_runs", cannot_map)  # build_parser binds it at call time
    code, out, err = cli("runs", tmp_path)
    assert code == 1
    assert "not enough memory to load the libraries" in _one_error_line(err)
