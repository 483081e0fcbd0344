"""Profile and drift from the window run in worker processes (issue 18).

They are engine jobs that travel as data, like training: each shows in the
Jobs panel, can be cancelled, and runs in the app's worker pool, so a crash
or a long library call there cannot take the window down.  (Export:
test_roles_and_export.py; predict: test_compare_predict.py.)
"""

from __future__ import annotations

from workbench.gui.jobs import JobState


def _trained_run(window) -> str:
    from workbench.engine import RunSpec, TrainJob

    job = TrainJob(window.project.root, RunSpec(dataset="customers", algorithm="logistic_regression",
                                                target="label", learning_curve=False))
    job.run()
    window.project.runs_updated()
    return job.run_id


def test_the_profile_of_an_opened_dataset_comes_from_the_data_worker(qtbot, window):
    profile = next(e for e in window.jobs.entries() if e.kind == "profile")
    assert profile.runner.name == "process" and profile.job.kind == "profile"
    assert profile.state == JobState.COMPLETED and window.session.profile["rows"] == 400


def test_a_drift_check_runs_in_a_worker_and_opens_its_view(qtbot, window, tmp_path):
    import pandas as pd

    run_id = _trained_run(window)
    data = pd.read_csv(window.project.root / "data" / "customers.csv")
    data["x1"] += 3.0  # moved on since training
    data.to_csv(tmp_path / "new.csv", index=False)
    shown = []
    window.lifecycle.driftShown.connect(shown.append)
    job_id = window.lifecycle.check_drift(run_id, str(tmp_path / "new.csv"))
    entry = window.jobs.entry(job_id)
    assert entry.runner.name == "process"
    qtbot.waitUntil(lambda: bool(shown), timeout=60000)
    assert entry.state == JobState.COMPLETED and entry.result["drifted"]
    shown[0].close()
