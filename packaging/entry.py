"""Entry point of the frozen (PyInstaller) workbench: the same CLI as ``workbench``.

``workbench`` with no arguments opens the window, ``workbench gui PROJECT``
opens a project, ``workbench train ...`` and the other commands run headless.

Things only a frozen app needs:

* ``multiprocessing.freeze_support()`` first of all: the process executor
  starts its workers with the "spawn" method, which re-runs *this
  executable* with ``--multiprocessing-fork``; that call turns such a
  process into a worker instead of a second CLI.
* ``WORKBENCH_SAMPLES`` points at the sample projects shipped inside the
  bundle (``sys._MEIPASS/sample_projects``), so the start page lists them
  on a machine with no network and no checkout.  A value the user set wins.
* ``workbench --selftest``: checks an installed bundle on the target machine
  (an IT department's first step on an air-gapped desktop): trains on a copy
  of a bundled sample in this process and in a worker process, exports ONNX
  and predicts with it.  Exit 0 and "selftest: OK" when all works.
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _point_at_bundled_samples() -> None:
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        samples = os.path.join(bundle, "sample_projects")
        if os.path.isdir(samples):
            os.environ.setdefault("WORKBENCH_SAMPLES", samples)


def selftest() -> int:
    """Train, export and predict on a bundled sample, inline and in a worker process."""
    import shutil
    import tempfile
    from pathlib import Path

    from workbench.engine import (
        InlineExecutor,
        ProcessExecutor,
        RunSpec,
        TrainJob,
        export_run,
        predict_onnx_to_csv,
    )
    from workbench.paths import samples_dir

    samples = samples_dir()
    if samples is None or not (samples / "penguins_sex" / "workbench.toml").exists():
        print("selftest: the sample project penguins_sex is missing from this build", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="workbench-selftest-"))
    project = work / "penguins_sex"
    shutil.copytree(samples / "penguins_sex", project, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    try:
        spec = RunSpec(dataset="penguins", algorithm="xgboost", target="sex",
                       params={"n_estimators": 30}, n_threads=1)
        inline = InlineExecutor().run(TrainJob(str(project), spec))
        print(f"selftest: inline xgboost run {inline['status']}: accuracy {inline['metrics'].get('accuracy'):.3f}")
        spec = RunSpec(dataset="penguins", algorithm="random_forest", target="sex",
                       params={"n_estimators": 20}, n_threads=1)
        with ProcessExecutor(max_concurrent=1, threads_per_job=1) as executor:
            worker = executor.run(TrainJob(str(project), spec))
        print(f"selftest: worker-process random_forest run {worker['status']}: "
              f"accuracy {worker['metrics'].get('accuracy'):.3f}")
        report = export_run(str(project), inline["run_id"], None)
        predicted = predict_onnx_to_csv(report["path"], project / "data" / "penguins.csv", work / "predictions.csv")
        rows = predicted["rows"] if isinstance(predicted, dict) else predicted
        print(f"selftest: ONNX export ({(report.get('parity') or {}).get('message', '')}) and {rows} predictions")
        ok = inline["status"] == worker["status"] == "completed" and rows == 344
        print("selftest: OK" if ok else "selftest: FAILED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    _point_at_bundled_samples()
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(selftest())
    from workbench.cli import main

    sys.exit(main())
