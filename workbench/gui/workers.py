"""The application's worker processes: where the window's engine jobs run.

Every job the window submits that can travel as data (train, tune, compare,
retrain, export, predict, profile, drift, explain, report, a run's test
rows) runs in a worker process: Cancel stops even one long library call
within about a second (its worker is killed and replaced), a crash takes
only the worker, and heavy Python work never holds the GUI thread's GIL.

Two process executors, shared by every window of the application (their
warm-up imports cost seconds of CPU, paid once):

* **compute**: fits, searches, exports and reports; "Jobs at once" workers,
  each with its share of the cores.
* **data**: profiles, predictions and a run's held-out rows; one worker, so
  that inspecting data never waits behind a fit.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WorkerPool", "worker_pool", "DATA_WARM_IMPORTS"]

#: What the data worker imports before its first job (a profile is the first
#: thing a person waits for after opening a project).
DATA_WARM_IMPORTS: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "workbench.engine.project.folder",
    "workbench.engine.data.profile",
)


class WorkerPool:
    """The compute and data executors, made on first use.

    ``executor_class`` is the engine's ``ProcessExecutor`` (tests pass a fake).
    """

    def __init__(self, executor_class: Any = None) -> None:
        self._executor_class = executor_class
        self._compute: Any = None
        self._data: Any = None

    @property
    def executor_class(self) -> Any:
        if self._executor_class is None:
            from workbench.engine import ProcessExecutor

            self._executor_class = ProcessExecutor
        return self._executor_class

    def compute(self, jobs_at_once: int) -> Any:
        """The executor for fits: ``jobs_at_once`` workers with cores // n threads each.

        An executor of another size is replaced only once nothing runs or
        waits on it: a worker keeps its thread cap for life.
        """
        from workbench.engine import default_threads_per_job

        n = max(1, int(jobs_at_once))
        current = self._compute
        if current is not None and current.max_concurrent != n and not getattr(current, "busy", False):
            self._compute.shutdown(wait=False)  # idle: its workers exit in the background
            self._compute = None
        if self._compute is None:
            self._compute = self.executor_class(max_concurrent=n, threads_per_job=default_threads_per_job(n))
        return self._compute

    def data(self) -> Any:
        """The executor for data jobs: one worker with half the cores."""
        from workbench.engine import default_threads_per_job

        if self._data is None:
            self._data = self.executor_class(max_concurrent=1, threads_per_job=default_threads_per_job(2),
                                             warm_imports=DATA_WARM_IMPORTS)
        return self._data

    def shutdown(self) -> None:
        """Stop both executors (application exit); their running jobs are cancelled."""
        for executor in (self._compute, self._data):
            if executor is not None:
                try:
                    executor.shutdown(wait=True, cancel_jobs=True)
                except Exception:  # noqa: BLE001 - exiting anyway
                    pass
        self._compute = self._data = None


_pool: WorkerPool | None = None


def worker_pool() -> WorkerPool:
    """The pool of this application (one per process)."""
    global _pool
    if _pool is None:
        _pool = WorkerPool()
    return _pool
