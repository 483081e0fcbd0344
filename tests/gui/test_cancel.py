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


def test_a_thread_that_cannot_stop_says_so_and_force_stop_frees_the_queue(qtbot, window, monkeypatch):
    """Like an SVM fit: one library call that never looks at the cancel token."""
    import time

    from workbench.gui.jobs import JobsModel

    monkeypatch.setattr(JobsModel, "FORCE_STOP_AFTER_S", 0.3)
    release = threading.Event()
    stuck = window.jobs.submit_job(FunctionJob("Train svm", lambda ctx: release.wait(30)), kind="train")
    queued = window.jobs.submit_job(FunctionJob("Train next", lambda ctx: "done"), kind="train")
    try:
        qtbot.waitUntil(lambda: window.jobs.entry(stuck).state == JobState.RUNNING, timeout=10000)
        assert window.jobs.entry(queued).state == JobState.QUEUED  # one fit at a time in threads
        window.tabs.setCurrentIndex(TAB_TRAINING)
        qtbot.mouseClick(window.jobs_panel.cancel_button(stuck), Qt.MouseButton.LeftButton)
        entry = window.jobs.entry(stuck)
        assert entry.state == JobState.CANCELLING and "cannot be interrupted in a thread" in entry.message
        elapsed = entry.elapsed
        qtbot.waitUntil(lambda: window.jobs_panel.cancel_button(stuck) is not None
                        and window.jobs_panel.cancel_button(stuck).text() == "Force stop", timeout=5000)
        assert entry.elapsed > elapsed  # the clock keeps running while it cancels
        assert window.live_view.cancel_button.text() == "Force stop"
        started = time.monotonic()
        qtbot.mouseClick(window.jobs_panel.cancel_button(stuck), Qt.MouseButton.LeftButton)
        assert entry.state == JobState.CANCELLED and "force-stopped" in entry.message
        # The queue moves on while the abandoned call is still inside the library.
        qtbot.waitUntil(lambda: window.jobs.entry(queued).state == JobState.COMPLETED, timeout=5000)
        assert time.monotonic() - started < 2.0
        assert entry.runner.is_running()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.jobs.entry(stuck).runner.is_running(), timeout=10000)
    qtbot.wait(100)
    assert window.jobs.entry(stuck).state == JobState.CANCELLED
