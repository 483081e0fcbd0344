"""Cancelling a job a person has waited for asks first (with "don't ask again").

A run that has been going for minutes is work; one stray key press must not
throw it away.  Jobs younger than ``CONFIRM_AFTER_S`` cancel at once (a
mis-click on Train is undone without a dialog).
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from workbench.gui import settings as ui_settings
from workbench.gui.jobs import JobsModel, JobState, format_elapsed

CONFIRM_AFTER_S = 5.0
SETTING = "confirmCancel"


def confirm_enabled() -> bool:
    return str(ui_settings.settings().value(SETTING, "true")).lower() != "false"


def set_confirm_enabled(on: bool) -> None:
    ui_settings.settings().setValue(SETTING, "true" if on else "false")


def ask_to_cancel(parent: QWidget | None, jobs: JobsModel, job_id: int | None) -> bool:
    """Cancel ``job_id`` (after asking, when it has run a while). Returns whether it was cancelled."""
    if job_id is None:
        return False
    entry = jobs.entry(job_id)
    if entry.state.finished or entry.state == JobState.CANCELLING:
        return False
    if entry.state == JobState.RUNNING and entry.elapsed >= CONFIRM_AFTER_S and confirm_enabled():
        box = QMessageBox(QMessageBox.Icon.Question, "Cancel job",
                          f"“{entry.title}” has been running for {format_elapsed(entry.elapsed)}. Cancel it?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
        box.button(QMessageBox.StandardButton.Yes).setText("Cancel the job")
        box.button(QMessageBox.StandardButton.No).setText("Keep running")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        dont_ask = QCheckBox("Don't ask again")
        box.setCheckBox(dont_ask)
        answer = box.exec()
        if answer != QMessageBox.StandardButton.Yes:
            return False
        if dont_ask.isChecked():
            set_confirm_enabled(False)
        if jobs.entry(job_id).state.finished:
            return False  # it ended while the question was open
    jobs.cancel(job_id)
    return True
