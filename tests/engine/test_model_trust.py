"""Loading a model never runs code from the file (issue 12.1).

A run folder is shared between machines, so ``model.skops`` is untrusted
input.  Hostile files try to create a marker file; the marker must never
appear, whether the model is loaded by the engine or by ``workbench predict``,
``export`` or ``show``.  The trusted-type list is kept honest by training
every catalog algorithm and checking that what our own files ask for is
exactly the list.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main
from workbench.engine import Project, RunSpec, TrainJob
from workbench.engine.catalog import algorithms
from workbench.engine.errors import ProjectError
from workbench.engine.model import TRUSTED_TYPES, TrainedModel
from workbench.engine.spec import ColumnPrep


def _frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "x1": rng.normal(size=n),
        "x2": rng.normal(size=n),
        "cat": rng.choice(["a", "b", "c"], size=n),
        "flag": rng.choice([True, False], size=n),
        "when": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
        "y_cls": rng.choice(["p", "q", "r"], size=n),
        "y_reg": rng.normal(size=n) * 10,
        # numbers the file gives as text because of a stray "?"
        "reading": rng.integers(10, 90, size=n).astype(str),
    })
    df.loc[::7, "x1"] = np.nan
    df.loc[n // 2, "reading"] = "?"
    return df


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("trust")
    _frame().to_csv(root / "d.csv", index=False)
    p = Project.init(root / "p")
    p.add_dataset(root / "d.csv", name="d")
    return p


def _train(project: Project, algorithm: str, task: str, params=None, **spec_fields) -> Path:
    target = {"classification": "y_cls", "regression": "y_reg"}.get(task)
    ignore = [c for c in ("y_cls", "y_reg") if c != target]
    spec = RunSpec(dataset="d", algorithm=algorithm, target=target, task=task, params=params or {},
                   ignore=ignore, learning_curve=False, **spec_fields).validate()
    job = TrainJob(project.root, spec)
    job.run()
    return project.root / "runs" / job.run_id


# -- hostile files -------------------------------------------------------------
def _rewrite_schema(model_file: Path, edit) -> None:
    with zipfile.ZipFile(model_file) as z:
        members = {name: z.read(name) for name in z.namelist()}
    schema = json.loads(members["schema.json"])
    edit(schema)
    members["schema.json"] = json.dumps(schema).encode()
    _write_zip(model_file, members)


def _write_zip(path: Path, members: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    path.write_bytes(buf.getvalue())


def _json_node(value) -> dict:
    return {"__class__": type(value).__name__, "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True, "__id__": 1}


def _call_node(module: str, name: str, *args) -> dict:
    """A skops node that, when built, calls module.name(*args) (a __reduce__ payload)."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                        "content": [_json_node(a) for a in args], "__id__": 2}}


class _PickleBomb:
    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def _hostile(kind: str, model_file: Path, marker: Path) -> str:
    """Turn a real model file into a hostile one; return the type it should be refused for."""
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    if kind in ("exec", "system", "eval"):
        node = {
            # The real model stays intact, so a load that runs the payload "works".
            "exec": _call_node("builtins", "exec", code),
            "system": _call_node("posix", "system", f"touch {marker}"),
            "eval": _call_node("builtins", "eval", code),
        }[kind]

        def edit(schema):
            schema["content"]["content"]["evil"] = node

        _rewrite_schema(model_file, edit)
        return {"exec": "builtins.exec", "system": "posix.system", "eval": "builtins.eval"}[kind]
    if kind == "pickle":
        model_file.write_bytes(pickle.dumps(_PickleBomb(marker)))
        return "not a readable workbench model file"
    if kind == "extra_member":
        with zipfile.ZipFile(model_file) as z:
            members = {name: z.read(name) for name in z.namelist()}
        members["payload.pkl"] = pickle.dumps(_PickleBomb(marker))
        _write_zip(model_file, members)
        return "payload.pkl"
    raise AssertionError(kind)


HOSTILE = ["exec", "system", "eval", "pickle", "extra_member"]


@pytest.fixture(scope="module")
def trained(project) -> Path:
    return _train(project, "logistic_regression", "classification")


@pytest.fixture
def hostile_run(project, trained, tmp_path, request):
    """A copy of a completed run whose model file is hostile: (run id, marker, expected text)."""
    import shutil

    run_id = f"{trained.name}-{request.param}"
    folder = project.root / "runs" / run_id
    shutil.copytree(trained, folder)
    marker = tmp_path / "marker"
    expected = _hostile(request.param, folder / "model.skops", marker)
    yield run_id, marker, expected
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("hostile_run", HOSTILE, indirect=True)
def test_the_engine_refuses_a_hostile_model_without_running_it(project, hostile_run):
    run_id, marker, expected = hostile_run
    with pytest.raises(ProjectError) as info:
        TrainedModel.load(project.root / "runs" / run_id)
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert not marker.exists()


@pytest.mark.parametrize("hostile_run", HOSTILE, indirect=True)
def test_the_cli_refuses_a_hostile_model_in_one_line(project, hostile_run, tmp_path, capsys):
    run_id, marker, expected = hostile_run
    out = tmp_path / "pred.csv"
    for args in (["predict", project.root, run_id, project.root / "data" / "d.csv", "-o", out],
                 ["export", project.root, run_id, "-o", tmp_path / "m.onnx"]):
        code = main([str(a) for a in args])
        err = capsys.readouterr().err
        assert code == 1, err
        assert err.startswith("error: ") and err.count("\n") == 1 and expected in err, err
        assert "Traceback" not in err
    assert main(["show", str(project.root), run_id]) == 0  # show never needs the model
    capsys.readouterr()
    assert not marker.exists() and not out.exists()


def test_a_genuine_model_still_loads_and_predicts(project, trained):
    model = TrainedModel.load(trained)
    assert len(model.predict(_frame(5))) == 5


# -- the trusted list is exactly what our pipelines need -------------------------
SMALL = {
    "random_forest": {"n_estimators": 3}, "extra_trees": {"n_estimators": 3}, "bagging": {"n_estimators": 3},
    "gradient_boosting": {"n_estimators": 3}, "hist_gradient_boosting": {"max_iter": 3},
    "xgboost": {"n_estimators": 3}, "mlp": {"max_iter": 5}, "voting": {"n_estimators": 3},
    "stacking": {"n_estimators": 3, "cv": 2}, "sgd": {"max_iter": 5},
    "lightgbm": {"n_estimators": 3}, "catboost": {"iterations": 3},
}
# Settings that put further types into a model file (distance metrics,
# optimisers, calibration, feature selection, per-column preparation).
VARIANTS = [
    ("knn", "classification", {"p": 1, "algorithm": "ball_tree"}, {}),
    ("knn", "regression", {"p": 3, "algorithm": "kd_tree"}, {}),
    ("mlp", "classification", {"max_iter": 5, "solver": "sgd"}, {}),
    ("svm", "classification", {"probability": True}, {}),
    ("ridge", "classification", {}, {"feature_selection": "kbest", "selection_k": 3}),
    ("ridge", "regression", {}, {"feature_selection": "kbest", "selection_k": 3,
                                 "preparation": {"x1": ColumnPrep(clip=(-1.0, 1.0))}}),
    ("ridge", "regression", {}, {"preparation": {"reading": ColumnPrep(missing_values=["?"]),
                                                 "x2": ColumnPrep(missing_values=[0])}}),
]


def test_every_catalog_algorithm_saves_only_trusted_types_and_the_list_has_no_spares(project):
    import skops.io as sio

    cases = [(a.key, task, SMALL.get(a.key, {}), {}) for a in algorithms() for task in a.tasks]
    seen: set[str] = set()
    for key, task, params, spec_fields in cases + VARIANTS:
        folder = _train(project, key, task, params, **spec_fields)
        asked = set(sio.get_untrusted_types(file=folder / "model.skops"))
        assert asked <= TRUSTED_TYPES, f"{key} ({task}) needs {sorted(asked - TRUSTED_TYPES)}"
        seen |= asked
        model = TrainedModel.load(folder)
        if hasattr(model.pipeline, "predict"):
            assert len(model.predict(_frame(4))) == 4
    assert TRUSTED_TYPES <= seen, f"trusted but never used: {sorted(TRUSTED_TYPES - seen)}"
