"""Run ▸ Train on a Dask cluster…: connect in the dialog, train on the workers, remember it."""

from __future__ import annotations

import pytest

from workbench.gui import settings as ui_settings
from workbench.gui.jobs import JobState
from workbench.gui.main_window import TAB_MODEL

from .conftest import wait_idle

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None, memory_limit="1GiB",
        silence_logs=40,
    ) as lc:
        yield lc


def _open_dialog(qtbot, window):
    window.cluster.action.trigger()
    qtbot.waitUntil(lambda: window.cluster._dialog is not None and window.cluster._dialog.isVisible(), timeout=5000)
    return window.cluster._dialog


def test_a_bad_address_says_why_in_the_dialog_and_changes_nothing(qtbot, window):
    dialog = _open_dialog(qtbot, window)
    dialog.address_edit.setText("tcp://127.0.0.1:9")
    qtbot.mouseClick(dialog.connect_button, pytest.importorskip("PySide6.QtCore").Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Could not reach" in dialog.status.text(), timeout=15000)
    assert not dialog.ok_button.isEnabled()
    dialog.reject()
    assert not window.cluster.action.isChecked()
    assert ui_settings.executor_kind() != "dask"


def test_training_goes_to_the_cluster_and_the_choice_is_remembered(qtbot, window, cluster):
    from PySide6.QtCore import Qt

    dialog = _open_dialog(qtbot, window)
    dialog.address_edit.setText(cluster.scheduler_address)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=20000)
    assert "1 workers, 2 threads" in dialog.status.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.cluster.executor is not None, timeout=5000)
    assert window.cluster.action.isChecked()
    assert ui_settings.executor_kind() == "dask"
    assert ui_settings.dask_scheduler() == cluster.scheduler_address

    sent = []
    executor = window.cluster.executor
    real_submit = executor.submit
    executor.submit = lambda job, *a, **kw: sent.append(job) or real_submit(job, *a, **kw)

    window.tabs.setCurrentIndex(TAB_MODEL)
    roles, form = window.roles, window.model_form
    roles.target_combo.setCurrentIndex(roles.target_combo.findData("label"))
    form.select_algorithm("logistic_regression")
    job_id = form.train()
    assert job_id is not None, form.error.text()
    wait_idle(qtbot, window.jobs)
    entry = window.jobs.entry(job_id)
    assert entry.state == JobState.COMPLETED, entry.error
    assert [job.run_id for job in sent] == [entry.job.run_id]  # it went to the cluster
    assert window.project.run(entry.job.run_id).status == "completed"

    # Back to this machine: the process choice again.
    window.cluster.action.trigger()
    assert window.cluster.executor is None and ui_settings.executor_kind() in ("process", "thread")
