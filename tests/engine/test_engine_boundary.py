"""The engine must never pull in Qt: it runs headless, in workers and in CI."""

import json
import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_engine_import_loads_no_qt():
    mods = _modules_after(
        "import workbench.engine as e\n"
        "from workbench.engine import algorithms, spec, model\n"
        "from workbench.engine.training import job, evaluation\n"
        "from workbench.engine.project import folder, runs\n"
        "algorithms(); e.TrainJob; e.Project; e.RunSpec"
    )
    qt = sorted(m for m in mods if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"))
    assert qt == [], f"engine imported Qt modules: {qt}"
    assert not any(m.startswith("workbench.gui") for m in mods)


def test_cli_help_is_cheap():
    # `workbench --help` must not import the heavy libraries (cold start < 0.5 s).
    mods = _modules_after("from workbench.cli.main import build_parser\nbuild_parser()")
    heavy = {"sklearn", "xgboost", "skl2onnx", "onnxruntime", "PySide6", "pandas"}
    assert heavy.isdisjoint({m.split('.')[0] for m in mods})


def test_no_public_name_is_shadowed_by_a_submodule():
    """`from workbench.engine import X` must not return a module once
    workbench.engine.X has been imported somewhere (it happened twice)."""
    import pkgutil

    import workbench.engine as engine

    submodules = {m.name for m in pkgutil.iter_modules(engine.__path__)}
    clashes = sorted(set(engine.__all__) & submodules)
    assert clashes == [], f"public names that are also submodules: {clashes}"
