"""Esc cancels only where jobs are shown; a job that has run a while asks first."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench.gui import cancel_confirm
from workbench.gui.jobs import FunctionJob, JobState
from workbench.gui.main_window import TAB_MODEL, TAB_TRAINING


def _start_waiting_job(qtbot, window) -> tuple[int, threading.Event]:
    release = threading.Event()

    def wait(ctx):
        while not release.is_set():
            ctx.check()
            release.wait(0.01)

    job_id = window.jobs.submit_job(FunctionJob("Train fake", wait), kind="train")
    qtbot.waitUntil(lambda: window.jobs.entry(job_id).state == JobState.RUNNING, timeout=10000)
    return job_id, release


def test_escape_in_a_form_field_never_touches_a_job(qtbot, window):
    job_id, release = _start_waiting_job(qtbot, window)
    try:
        window.tabs.setCurrentIndex(TAB_MODEL)
        field = window.roles.seed
        field.setFocus()
        qtbot.keyClick(field, Qt.Key.Key_Escape)
        qtbot.keyClick(window.model_form.algorithm_combo, Qt.Key.Key_Escape)
        qtbot.wait(100)
        assert window.jobs.entry(job_id).state == JobState.RUNNING

        # In the Training view Esc is "stop this run".
        window.tabs.setCurrentIndex(TAB_TRAINING)
        window.live_view.setFocus()
        qtbot.keyClick(window.live_view, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: window.jobs.entry(job_id).state.finished, timeout=10000)
        assert window.jobs.entry(job_id).state == JobState.CANCELLED
    finally:
        release.set()


def test_escape_in_the_jobs_panel_cancels(qtbot, window):
    job_id, release = _start_waiting_job(qtbot, window)
    try:
        window.jobs_panel.table.setFocus()
        qtbot.keyClick(window.jobs_panel.table, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: window.jobs.entry(job_id).state.finished, timeout=10000)
        assert window.jobs.entry(job_id).state == JobState.CANCELLED
    finally:
        release.set()


def _answer_next_question(button: QMessageBox.StandardButton, dont_ask: bool = False) -> None:
    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        if dont_ask:
            box.checkBox().setChecked(True)
        box.button(button).click()

    QTimer.singleShot(20, answer)


def test_cancelling_a_long_job_asks_first_and_can_stop_asking(qtbot, window, monkeypatch):
    monkeypatch.setattr(cancel_confirm, "CONFIRM_AFTER_S", 0.0)
    job_id, release = _start_waiting_job(qtbot, window)
    try:
        button = window.jobs_panel.cancel_button(job_id)
        _answer_next_question(QMessageBox.StandardButton.No)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert window.jobs.entry(job_id).state == JobState.RUNNING  # "Keep running"

        _answer_next_question(QMessageBox.StandardButton.Yes, dont_ask=True)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.jobs.entry(job_id).state.finished, timeout=10000)
        assert window.jobs.entry(job_id).state == JobState.CANCELLED
    finally:
        release.set()

    # "Don't ask again" is remembered: the next cancel goes through at once.
    second, release2 = _start_waiting_job(qtbot, window)
    try:
        assert window.cancel_current_job()
        qtbot.waitUntil(lambda: window.jobs.entry(second).state.finished, timeout=10000)
    finally:
        release2.set()


def _big_svm_dataset(window, tmp_path) -> None:
    """A table on which a kernel SVM fits for minutes: one library call that never looks at Cancel."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20000, 8)), columns=[f"f{i}" for i in range(8)])
    frame["y"] = np.where(frame["f0"] + rng.normal(0, 2.0, len(frame)) > 0, "a", "b")
    frame.to_csv(tmp_path / "big.csv", index=False)
    window.project.project.add_dataset(tmp_path / "big.csv")


def test_cancel_stops_a_fit_inside_one_library_call_within_two_seconds(qtbot, window, tmp_path, monkeypatch):
    """Issue 19: fits run in a worker process, so Cancel really stops one: no "Force stop", no queue held."""
    import time

    from workbench.engine import Progress, RunSpec, TrainJob

    monkeypatch.setattr(cancel_confirm, "CONFIRM_AFTER_S", 1e9)
    next(a for a in window.jobs_at_once_menu.actions() if a.data() == 1).trigger()  # one fit at a time
    _big_svm_dataset(window, tmp_path)
    fitting = threading.Event()
    window.jobs.jobEvent.connect(lambda job_id, event: isinstance(event, Progress)
                                 and event.message == "Fitting" and fitting.set())
    svm = TrainJob(window.project.root, RunSpec(dataset="big", algorithm="svm", target="y", learning_curve=False))
    stuck = window.jobs.submit_job(svm, kind="train")
    queued = window.jobs.submit_job(
        TrainJob(window.project.root, RunSpec(dataset="customers", algorithm="logistic_regression", target="label",
                                              learning_curve=False)), kind="train")
    qtbot.waitUntil(fitting.is_set, timeout=60000)
    qtbot.wait(500)  # inside SVC.fit now
    entry = window.jobs.entry(stuck)
    assert entry.runner.name == "process" and window.jobs.entry(queued).state == JobState.QUEUED
    window.tabs.setCurrentIndex(TAB_TRAINING)

    started = time.monotonic()
    qtbot.mouseClick(window.jobs_panel.cancel_button(stuck), Qt.MouseButton.LeftButton)
    assert entry.state == JobState.CANCELLING and entry.message == "cancelling…"
    qtbot.waitUntil(lambda: entry.state.finished, timeout=5000)
    assert time.monotonic() - started < 2.0
    assert entry.state == JobState.CANCELLED
    assert window.project.run(svm.run_id).status == "cancelled"
    # The queue moves on at once (in a fresh worker); nothing waits for the stopped call.
    qtbot.waitUntil(lambda: window.jobs.entry(queued).state != JobState.QUEUED, timeout=2000)
    qtbot.waitUntil(lambda: window.jobs.entry(queued).state.finished, timeout=90000)
    assert window.jobs.entry(queued).state == JobState.COMPLETED
