"""Serve, drift and retrain from the window: jobs a person can follow and stop."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request

import numpy as np
import pytest
from PySide6.QtWidgets import QMenu

from workbench.gui.jobs import JobsModel, JobState
from workbench.gui.lifecycle import DRIFT_TEXT, RETRAIN_TEXT, SERVE_TEXT, LifecycleActions, add_lifecycle_actions
from workbench.gui.project_model import ProjectModel

from .conftest import classification_frame

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture
def lifecycle(qtbot, trained_project, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(trained_project, copy)
    project = ProjectModel()
    project.open(copy)
    jobs = JobsModel()
    actions = LifecycleActions(project, jobs)
    run_id = next(r.run_id for r in project.runs() if r.algorithm == "logistic_regression")
    yield actions, jobs, project, run_id, tmp_path
    assert jobs.shutdown(10)
    for view in actions.views:
        view.close()


def test_menu_actions_emit_the_action_and_run(qtbot):
    from PySide6.QtCore import QObject, Signal

    class Source(QObject):
        requested = Signal(str, str)

    source, got = Source(), []
    source.requested.connect(lambda action, run: got.append((action, run)))
    menu = QMenu()
    add_lifecycle_actions(menu, "run-1", source.requested)
    texts = {a.text(): a for a in menu.actions()}
    assert {SERVE_TEXT, DRIFT_TEXT, RETRAIN_TEXT} <= set(texts)
    for text in (SERVE_TEXT, DRIFT_TEXT, RETRAIN_TEXT):
        texts[text].trigger()
    assert got == [("serve", "run-1"), ("drift", "run-1"), ("retrain", "run-1")]


def test_serve_is_a_job_showing_its_address_and_cancel_stops_it(qtbot, lifecycle):
    from workbench.engine import ServeOptions

    actions, jobs, _, run_id, _ = lifecycle
    job_id = actions.serve(run_id, ServeOptions(port=0))
    entry = jobs.entry(job_id)
    qtbot.waitUntil(lambda: "Serving at http://127.0.0.1:" in (entry.message or "") or entry.state.finished,
                    timeout=90000)
    assert entry.state == JobState.RUNNING, entry.error
    url = entry.message.split("Serving at ")[1].split()[0]
    from workbench.gui.jobs_panel import JobsPanel

    panel = JobsPanel(jobs)
    qtbot.addWidget(panel)
    panel.resize(900, 160)
    panel.grab().save(str(lifecycle[4] / "serve_job.png"))
    with urllib.request.urlopen(url + "/health", timeout=10) as response:
        assert json.loads(response.read())["status"] == "ok"
    row = classification_frame(5).drop(columns=["label"]).iloc[:1].to_dict(orient="records")
    request = urllib.request.Request(url + "/predict", data=json.dumps({"rows": row}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["predictions"][0] in ("yes", "no")
    jobs.cancel(job_id)
    qtbot.waitUntil(lambda: entry.state.finished, timeout=20000)
    assert entry.state == JobState.CANCELLED
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/health", timeout=2)


def test_drift_check_opens_bars_and_overlaid_histograms(qtbot, lifecycle):
    actions, jobs, _, run_id, tmp_path = lifecycle
    shifted = classification_frame(300, seed=5)
    shifted["amount"] = shifted["amount"] * 3 + 40
    shifted.to_csv(tmp_path / "shifted.csv", index=False)
    with qtbot.waitSignal(actions.driftShown, timeout=60000) as shown:
        actions.check_drift(run_id, str(tmp_path / "shifted.csv"))
    view = shown.args[0]
    qtbot.addWidget(view)
    drifted = [f["name"] for f in view.features if f["drifted"]]
    assert drifted == ["amount"]
    assert "Drift in 1 of" in view.verdict.text()
    assert len(view.bar_item.opts["height"]) == len(view.features)
    # the first drifted feature is selected and its two distributions are drawn
    assert view.current == [f["name"] for f in view.features].index("amount")
    assert len(view.histogram.getPlotItem().items) == 2
    # choosing another row as a person would shows that feature
    view.table.selectRow(0)
    assert view.current == 0
    view.resize(1100, 700)
    view.grab().save(str(tmp_path / "drift_view.png"))


def test_retrain_reports_the_winner_and_records_lineage(qtbot, lifecycle):
    actions, jobs, project, run_id, tmp_path = lifecycle
    classification_frame(400, seed=9).to_csv(tmp_path / "later.csv", index=False)
    with qtbot.waitSignal(actions.retrained, timeout=120000) as done, \
            qtbot.waitSignal(actions.message, timeout=120000) as said:
        actions.retrain(run_id, str(tmp_path / "later.csv"))
    report = done.args[0]
    assert "wins" in said.args[0] or "tie" in said.args[0]
    new = project.run(report["run_id"])
    lineage = json.loads((new.folder / "lineage.json").read_text())
    assert lineage["parent_run"] == run_id and lineage["fingerprint"] == new.spec.fingerprint
    assert report["comparison"]["rows"] == len(np.load(new.folder / "test_rows.npy"))


def test_predict_tab_reports_drift_and_opens_the_drift_view(qtbot, window, tmp_path):
    from PySide6.QtCore import Qt

    from workbench.engine import RunSpec, TrainJob

    job = TrainJob(window.project.root, RunSpec(dataset="customers", algorithm="logistic_regression",
                                                target="label", learning_curve=False))
    job.run()
    window.project.runs_updated()
    data = classification_frame(200, seed=2).drop(columns=["label"])
    data["x2"] = data["x2"] + 2.5
    data.to_csv(tmp_path / "new.csv", index=False)
    view = window.predict_view
    window.tabs.setCurrentWidget(view)
    view.set_model_source("run:", job.run_id)
    view.set_data_source("file:", str(tmp_path / "new.csv"))
    qtbot.mouseClick(view.predict_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.rowCount() == 200, timeout=60000)
    assert "Drift against the training data in x2" in view.notes.text()
    assert view.drift_button.isEnabled()
    qtbot.mouseClick(view.drift_button, Qt.MouseButton.LeftButton)
    drift = view.drift_view
    qtbot.addWidget(drift)
    assert [f["name"] for f in drift.features if f["drifted"]] == ["x2"]
    drift.close()
