"""Where training runs: in this process (a thread), in worker processes, or on a Dask cluster.

The Run menu's "Train in a separate process", "Jobs at once" and "Train on a
cluster" choose; :class:`ExecutorSetting` turns the choice into the jobs
model's runner and lane limit, and owns the process executor it starts.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.gui import settings as ui_settings
from workbench.gui.jobs import COMPUTE_LANE, process_runner_factory


class ExecutorSetting(QObject):
    """Applies the executor settings to ``jobs``; ``cluster`` is the window's ClusterChoice."""

    message = Signal(str)

    def __init__(self, jobs: Any, cluster: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.cluster = cluster
        self.executor: Any = None  # the process executor, once started

    @staticmethod
    def process_executor_class() -> Any:
        from workbench.engine import ProcessExecutor

        return ProcessExecutor

    def process_toggled(self, on: bool) -> None:
        """"Train in a separate process" switched (it also leaves the cluster)."""
        self.cluster.deactivate()
        ui_settings.set_executor_kind("process" if on else "thread")
        self.apply()

    def jobs_at_once_chosen(self, n: int) -> None:
        ui_settings.set_jobs_at_once(n)
        if any(e.kind == "train" for e in self.jobs.active()):
            self.message.emit(f"{n} job(s) at once from the next training on.")
        else:
            self.apply()

    def apply(self) -> None:
        """Give the jobs model the runner and the lane limit the settings say."""
        from workbench.engine import default_threads_per_job

        if ui_settings.executor_kind() == "dask" and self.cluster.executor is not None:
            self.jobs.set_runner_factory(process_runner_factory(self.cluster.executor), kinds=("train",))
            self.jobs.set_lane_limit(COMPUTE_LANE, self.cluster.lanes)
            return
        cls = self.process_executor_class()
        # "dask" before its cluster is connected (or when it is gone) trains here, in a process.
        if cls is not None and ui_settings.executor_kind() in ("process", "dask"):
            n = ui_settings.jobs_at_once()
            training = any(e.kind == "train" for e in self.jobs.active())
            if self.executor is not None and self.executor.max_concurrent != n and not training:
                self.executor.shutdown(wait=False)  # idle: its workers exit in the background
                self.executor = None
            if self.executor is None:
                self.executor = cls(max_concurrent=n, threads_per_job=default_threads_per_job(n))
            self.jobs.set_runner_factory(process_runner_factory(self.executor), kinds=("train", "compare"))
            self.jobs.set_lane_limit(COMPUTE_LANE, self.executor.max_concurrent)
        else:
            self.jobs.set_runner_factory(None, kinds=("train", "compare"))
            # Thread caps are process-wide, so fits in this process run one at a time.
            self.jobs.set_lane_limit(COMPUTE_LANE, 1)

    def shutdown(self) -> None:
        """Stop the process executor's workers (window close)."""
        if self.executor is not None:
            try:
                self.executor.shutdown(wait=True, cancel_jobs=True)
            except Exception:  # noqa: BLE001
                pass
            self.executor = None
