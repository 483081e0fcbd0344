"""A run's panel whose contents a job computes the first time the panel is shown.

The explanation and calibration tabs of the Results view work alike: showing
a run only remembers it; the job (seconds of SHAP or of threshold sweeps)
starts when the tab comes into sight, or at once if it already is; a run
clicked past cancels the job of the run before it, and a job that finishes
for a run no longer shown is dropped.  The job goes through the jobs model,
so it is cancellable from the Jobs panel and never blocks the window.
"""

from __future__ import annotations

from typing import Any


class ComputedWhenShown:
    """Mixin for a QWidget (list it before the widget class: its ``showEvent`` runs first).

    A subclass sets ``job_kind``, calls :meth:`init_computed` in its
    constructor and provides :meth:`make_job` (the engine job for
    ``self.record``), :meth:`show_data` (draw a finished job's result) and
    :meth:`show_failure`; :meth:`job_started` and :meth:`job_finished`
    are optional hooks (busy text, a button to disable meanwhile).
    ``self.data`` is what is drawn (None: nothing yet).
    """

    job_kind = ""

    def init_computed(self, jobs: Any) -> None:
        self.jobs = jobs
        self.record: Any = None
        self.data: Any = None
        self._job_id: int | None = None
        self._asked_for: str | None = None  # the run a job was started for (started once per run)

    # -- what a panel provides ---------------------------------------------------
    def make_job(self) -> Any:
        raise NotImplementedError

    def show_data(self, data: Any) -> None:
        raise NotImplementedError

    def show_failure(self, text: str) -> None:
        raise NotImplementedError

    def job_started(self) -> None:
        """Called as the job is queued."""

    def job_finished(self) -> None:
        """Called when the job ends, for whichever run it was."""

    # -- the lifecycle -------------------------------------------------------------
    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        super().showEvent(event)  # the QWidget this is mixed into
        if self.record is not None and self.data is None and self._asked_for != self.record.run_id:
            self.start()

    def start_if_visible(self) -> None:
        """After showing a run with nothing to draw yet: compute now if the panel is in sight."""
        if self.isVisible():
            self.start()

    def start(self) -> int | None:
        """Queue the job of the shown run; returns the job id (None: no run)."""
        if self.record is None:
            return None
        self._asked_for = self.record.run_id
        self._cancel_previous()
        job = self.make_job()
        self.job_started()
        run_id = self.record.run_id
        self._job_id = self.jobs.submit_job(job, kind=self.job_kind, on_done=lambda e: self._done(e, run_id))
        return self._job_id

    def _cancel_previous(self) -> None:
        """Clicking through runs must not queue a job per run passed."""
        if self._job_id is not None:
            try:
                if not self.jobs.entry(self._job_id).state.finished:
                    self.jobs.cancel(self._job_id)
            except (KeyError, IndexError, ValueError):
                pass

    def _done(self, entry: Any, run_id: str) -> None:
        self.job_finished()
        if self.record is None or self.record.run_id != run_id:
            return  # the user moved on to another run
        if entry.result is not None and not entry.error:
            self.show_data(entry.result)
        else:
            self.show_failure(f"{entry.state}: {entry.error or 'no result'}")
