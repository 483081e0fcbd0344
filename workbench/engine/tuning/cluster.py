"""Tuning trials on a Dask cluster's workers, with a study the workers reach.

The search itself stays where it is (:class:`~workbench.engine.tuning.job.TuneJob`
on the calling machine): it asks optuna for each trial's parameters and tells
it the result, so sampling, the budget, cancel and the tune folder work as
locally.  Only the expensive part, scoring one trial's parameters on the
folds, runs on a worker.  The data is scattered to every worker once.

Pruning needs the worker to report intermediate values to the same study, so
a distributed search keeps its study in optuna's journal storage, a file in
the tune folder (``tunes/<id>/optuna.journal``) that the workers open by path:
the project folder must be on a path every worker reaches (docs/scale-out.md).
Optuna's file journal with ``JournalFileOpenLock`` was measured with 4 writer
processes × 25 trials: 100 complete trials, unique numbers (docs/findings.md).

Each trial runs with one native thread: the cluster's thread slots are the
parallelism (a worker with 4 threads runs 4 trials at once, never 4 × 4 threads).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.engine.errors import Cancelled
from workbench.engine.jobs.events import CancelToken

__all__ = ["journal_storage", "run_trials_on_cluster", "JOURNAL_FILE"]

JOURNAL_FILE = "optuna.journal"

# How often a remote trial asks the scheduler whether the search was cancelled.
_CANCEL_POLL_S = 0.5


def journal_storage(path: str | Path) -> Any:
    """Optuna's journal storage on ``path``, with the open-lock that works on shared folders."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    path = str(path)
    return JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))


class _ClusterCancelToken(CancelToken):
    """A cancel token that also reads a ``distributed.Variable`` (rate-limited)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self._next_poll = 0.0

    @property
    def cancelled(self) -> bool:
        if not self._event.is_set() and time.monotonic() >= self._next_poll:
            self._next_poll = time.monotonic() + _CANCEL_POLL_S
            from distributed import Variable

            try:
                if Variable(self._name).get(timeout=1):
                    self._event.set()
            except Exception:  # the flag may be gone once the search ended
                pass
        return self._event.is_set()

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()


def _remote_trial(problem: Any, fixed: dict[str, Any], params: dict[str, Any], journal: str | None,
                  study_name: str, trial_id: int, cancel_name: str) -> tuple[str, Any, str]:
    """Score one trial on a worker: ("complete", (score, std, metrics), worker) or ("pruned", message, worker)."""
    import optuna
    from distributed import get_worker

    from workbench.engine.jobs.threads import cap_threads
    from workbench.engine.tuning.objective import score_params

    trial = None
    if problem.prune and journal:
        study = optuna.load_study(study_name=study_name, storage=journal_storage(journal))
        trial = optuna.trial.Trial(study, trial_id)
    token = _ClusterCancelToken(cancel_name)
    where = get_worker().address
    with cap_threads(problem.bctx.n_threads, set_env=False):
        try:
            return "complete", score_params(problem, fixed, params, trial, token), where
        except optuna.TrialPruned as exc:
            return "pruned", str(exc), where


def run_trials_on_cluster(search: Any, client: Any) -> None:
    """Run ``search``'s trials on the workers behind ``client`` until its plan ends.

    ``search`` is a ``tuning.search.Search``: its ``next_trial()`` decides
    whether another trial starts (count, budget, cancel), its ``suggest`` /
    ``record`` turn a trial into parameters and a finished trial into the
    study, the tune folder and events.
    """
    from distributed import Variable

    slots = max(1, sum(int(w.get("nthreads", 1)) for w in client.scheduler_info(n_workers=-1)["workers"].values()))
    problem = replace(search.problem, bctx=replace(search.problem.bctx, n_threads=1))
    [problem_future] = client.scatter([problem], broadcast=True, hash=False)
    cancel_name = f"workbench-tune-{search.job.tune_id}-cancel"
    cancel_flag = Variable(cancel_name, client=client)
    cancel_flag.set(False)
    journal = getattr(search, "journal_path", None)
    running: dict[Any, tuple[Any, dict[str, Any], float]] = {}
    try:
        while True:
            while len(running) < slots:
                trial = search.next_trial()
                if trial is None:
                    break
                params = search.suggest(trial)
                future = client.submit(
                    _remote_trial, problem_future, dict(search.space.fixed), params,
                    str(journal) if journal else None, search.study.study_name, trial._trial_id, cancel_name,
                    pure=False, retries=0,
                )
                running[future] = (trial, params, time.time())
            if not running:
                return
            # Polled, not distributed.wait(): that one needs a default client,
            # and the GUI's client is deliberately not the process default.
            done = [f for f in running if f.done()]
            search.ctx.check()
            if not done:
                time.sleep(0.1)
            for future in done:
                trial, params, t0 = running.pop(future)
                search.record(trial, params, t0, _outcome(future))
    except Cancelled:
        cancel_flag.set(True)
        for future in running:
            future.cancel()
        raise
    finally:
        try:
            cancel_flag.delete()
        except Exception:
            pass


def _outcome(future: Any) -> tuple[Any, ...]:
    """("complete", scores, worker) / ("pruned", msg, worker) / ("failed", exception) of a finished trial."""
    try:
        return future.result()
    except Exception as exc:
        if type(exc).__name__ == "KilledWorker":
            exc = RuntimeError("the Dask worker running this trial died")
        return "failed", exc
