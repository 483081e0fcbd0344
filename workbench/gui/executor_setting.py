"""Where the window's jobs run: the app's worker processes, or a Dask cluster for training.

Every portable job (train, tune, compare, export, predict, profile, ...)
runs in the app's worker pool (``gui/workers.py``): fits never run in a
thread of the window, so Cancel always really stops one.  The Run menu's
"Jobs at once" sizes the compute executor; "Train on a cluster" sends
training to Dask.  :class:`ExecutorSetting` turns the choices into the jobs
model's runners and lane limit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.gui import settings as ui_settings
from workbench.gui.jobs import COMPUTE_LANE, DATA_LANE, executor_runner_factory


class ExecutorSetting(QObject):
    """Applies the executor settings to ``jobs``; ``cluster`` is the window's ClusterChoice."""

    message = Signal(str)

    def __init__(self, jobs: Any, cluster: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.cluster = cluster

    def jobs_at_once_chosen(self, n: int) -> None:
        ui_settings.set_jobs_at_once(n)
        if any(e.lane == COMPUTE_LANE for e in self.jobs.active()):
            self.message.emit(f"{n} job(s) at once from the next training on.")
        else:
            self.apply()

    def apply(self) -> None:
        """Give the jobs model the runners and the lane limit the settings say."""
        from workbench.gui.workers import worker_pool

        pool = worker_pool()
        compute = pool.compute(ui_settings.jobs_at_once())  # resized once nothing runs on it
        self.jobs.set_runner_factory(executor_runner_factory(compute))
        self.jobs.set_runner_factory(executor_runner_factory(pool.data()), lanes=(DATA_LANE,))
        if ui_settings.executor_kind() == "dask" and self.cluster.executor is not None:
            self.jobs.set_runner_factory(executor_runner_factory(self.cluster.executor), kinds=("train",))
            self.jobs.set_lane_limit(COMPUTE_LANE, self.cluster.lanes)
        else:
            # "dask" before its cluster is connected (or when it is gone) trains here, in a process.
            self.jobs.set_runner_factory(None, kinds=("train",))
            self.jobs.set_lane_limit(COMPUTE_LANE, compute.max_concurrent)
