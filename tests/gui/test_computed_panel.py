"""The "computed when this tab is shown" lifecycle shared by the Explain and Calibration tabs."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.computed_panel import ComputedWhenShown
from workbench.gui.jobs import FunctionJob, JobsModel


class Panel(ComputedWhenShown, QWidget):
    job_kind = "demo"

    def __init__(self, jobs, release):
        super().__init__()
        self.init_computed(jobs)
        self.release = release
        self.label = QLabel()
        QVBoxLayout(self).addWidget(self.label)
        self.started: list[str] = []

    def show_run(self, record):
        self.record, self.data = record, None
        self.start_if_visible()

    def make_job(self):
        run_id = self.record.run_id
        self.started.append(run_id)

        def work(ctx):
            while not self.release.is_set():
                ctx.check()
                self.release.wait(0.01)
            return f"result of {run_id}"

        return FunctionJob(f"demo {run_id}", work)

    def show_data(self, data):
        self.data = data
        self.label.setText(data)

    def show_failure(self, text):
        self.label.setText(text)


def test_the_job_starts_when_shown_and_a_run_clicked_past_is_cancelled(qtbot):
    jobs, release = JobsModel(), threading.Event()
    panel = Panel(jobs, release)
    qtbot.addWidget(panel)
    panel.show_run(SimpleNamespace(run_id="a"))
    assert panel.started == []  # hidden: nothing computed yet
    panel.show()
    assert panel.started == ["a"]
    first = panel._job_id
    panel.show_run(SimpleNamespace(run_id="b"))  # in sight: starts at once, a's job is cancelled
    assert panel.started == ["a", "b"]
    qtbot.waitUntil(lambda: jobs.entry(first).state.finished, timeout=10000)
    assert "cancel" in str(jobs.entry(first).state).lower()
    release.set()
    qtbot.waitUntil(lambda: panel.data is not None, timeout=10000)
    assert panel.label.text() == "result of b"
    panel.hide()
    panel.show()
    assert panel.started == ["a", "b"]  # shown again: not computed again
    assert jobs.shutdown(5)
