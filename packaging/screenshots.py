"""Regenerate the README screenshots from the real application.

Usage::

    QT_QPA_PLATFORM=offscreen python packaging/screenshots.py [OUTPUT_DIR] [--theme light|dark]
        [--size 1440x900]

The README's are the light ones at 1440×900; ``--theme dark`` (or a small
``--size 1024x700``) into another folder shows every view in the other
theme or on a small screen.

Copies the bundled ``penguins_species`` sample project to a temporary folder
(never trains inside the checkout), drives the window the way a person would
— open, inspect, choose a model, train, look at the results — and saves
``docs/screenshots/*.png``.  QSettings go to a temporary folder too, so the
user's recent projects and window layout are untouched.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = "penguins_species"
SIZE = (1440, 900)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}")
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="workbench-shots-"))
    sys.path.insert(0, str(REPO))

    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "settings"))
    from workbench.gui.app import create_application

    app = create_application([])
    from workbench.gui.theme import set_theme

    set_theme(args.theme)
    from workbench.gui.main_window import TAB_DATA, TAB_MODEL, TAB_RESULTS, TAB_RUNS, TAB_TRAINING, MainWindow

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait(condition, timeout: float = 300.0) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError("the window did not get there in time")
            app.processEvents()
            time.sleep(0.02)

    def shot(window, name: str) -> None:
        settle()
        path = out / f"{name}.png"
        window.grab().save(str(path))
        print("wrote", path)

    project = work / SAMPLE
    shutil.copytree(REPO / "sample_projects" / SAMPLE, project,
                    ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    os.environ["WORKBENCH_SAMPLES"] = str(REPO / "sample_projects")

    window = MainWindow()
    window.resize(*size)
    window.show()
    settle(0.5)
    shot(window, "start")

    window.open_project(project)
    wait(lambda: window.session.frame is not None and window.inspector.settled)
    window.inspector.select_column("bill_length_mm")
    window.tabs.setCurrentIndex(TAB_DATA)
    shot(window, "inspector")
    window.inspector.tabs.setCurrentIndex(1)
    shot(window, "inspector-correlations")
    window.inspector.tabs.setCurrentIndex(3)
    shot(window, "inspector-warnings")
    window.inspector.tabs.setCurrentIndex(0)

    def train(algorithm: str, **params) -> int:
        window.tabs.setCurrentIndex(TAB_MODEL)
        form = window.model_form
        form.select_algorithm(algorithm)
        for name, value in params.items():
            form.param_form.fields[name].set_value(value)
        form.param_form.changed.emit()
        job_id = form.train()
        assert job_id is not None, form.error.text()
        return job_id

    window.tabs.setCurrentIndex(TAB_MODEL)
    window.model_form.select_algorithm("xgboost")
    window.model_form.param_form.fields["n_estimators"].set_value(120)
    window.model_form.param_form.fields["learning_rate"].set_value(0.1)
    shot(window, "model-form")

    window.roles.cv_folds.setValue(3)  # the Runs tab then shows a CV mean ± std
    train("random_forest", n_estimators=80)
    wait(window.jobs.is_idle)
    window.roles.cv_folds.setValue(0)
    # Early stopping holds out a validation part: both curves and the best-iteration marker show.
    job = train("xgboost", n_estimators=120, learning_rate=0.1, early_stopping_rounds=30)
    wait(lambda: window.live_view.point_count() > 40)
    window.tabs.setCurrentIndex(TAB_TRAINING)
    wait(window.jobs.is_idle)
    shot(window, "live-training")

    run_id = window.jobs.entry(job).job.run_id
    window.show_run(run_id)
    window.tabs.setCurrentIndex(TAB_RESULTS)
    window.results.show_tab("confusion")
    shot(window, "results-confusion")
    window.results.show_tab("curves")
    shot(window, "results-roc")
    window.results.show_tab("importance")
    shot(window, "results-importance")
    window.tuning_tab.start({"strategy": "random", "n_trials": 4, "cv": 3})  # a search best on the board
    wait(window.jobs.is_idle)
    window.tabs.setCurrentIndex(TAB_RUNS)
    shot(window, "runs")
    window.shutdown()
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
