"""What a person can do with any run: load its settings into the form, run it again.

The same two actions sit in the project tree's menu, the Runs tab's menu and
the Results header; this module names them once, and ``RunActions`` carries
them out on the session (the views only emit the run id).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu

from workbench.gui.icons import icon

LOAD_SETTINGS_TEXT = "Load settings into the form"
RUN_AGAIN_TEXT = "Run again"


def add_run_actions(menu: QMenu, run_id: str, load_signal: Any, again_signal: Any) -> None:
    """Add the two run actions to ``menu``; each emits its signal with ``run_id``."""
    menu.addAction(icon("settings"), LOAD_SETTINGS_TEXT, lambda: load_signal.emit(run_id))
    menu.addAction(icon("train"), RUN_AGAIN_TEXT, lambda: again_signal.emit(run_id))


class RunActions(QObject):
    """Carries out the run actions on the session. Signal ``message(text)`` for the status bar."""

    message = Signal(str)
    trainStarted = Signal(int)  # job id of a "Run again"

    def __init__(self, session: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session

    def _spec(self, run_id: str) -> Any:
        from workbench.engine import WorkbenchError

        try:
            return self.session.project.run(run_id).spec
        except WorkbenchError as exc:
            self.message.emit(str(exc))
            return None

    def load_settings(self, run_id: str) -> bool:
        """The run's dataset opens with the run's target, split, algorithm and parameters."""
        spec = self._spec(run_id)
        if spec is None:
            return False
        if spec.dataset not in self.session.project.datasets():
            self.message.emit(f"Dataset '{spec.dataset}' is no longer in the project.")
            return False
        self.session.load_settings(spec)
        self.message.emit(f"Settings of the run on {spec.dataset} loaded into the Model tab.")
        return True

    def run_again(self, run_id: str) -> int | None:
        """Train the run's spec again, as it was (same data, split, seed and parameters)."""
        from workbench.engine import WorkbenchError

        spec = self._spec(run_id)
        if spec is None:
            return None
        try:
            job_id = self.session.run_spec(spec)
        except WorkbenchError as exc:
            self.message.emit(str(exc))
            return None
        self.trainStarted.emit(job_id)
        return job_id
