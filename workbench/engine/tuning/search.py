"""The trial loop of a hyperparameter search: the study, its trials, the result.

:class:`Search` runs the trials of one :class:`~workbench.engine.tuning.job.TuneJob`
run (in one or several threads here, or on a Dask cluster through
:mod:`workbench.engine.tuning.cluster`): it asks optuna for each trial,
scores it (:func:`~workbench.engine.tuning.objective.score_params`), tells
the study how it ended, appends it to the tune folder and reports it as a
``Trial`` event.  :class:`Problem` is what every trial shares.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping

from workbench.engine.catalog import BuildContext
from workbench.engine.errors import Cancelled, DataError, SpecError, TrainingError
from workbench.engine.jobs.events import JobContext, Trial
from workbench.engine.json_values import json_safe
from workbench.engine.spec import RunSpec
from workbench.engine.tuning.objective import prune_settings, score_params
from workbench.engine.tuning.records import TuneWriter, better
from workbench.engine.tuning.space import NONE_FLAG_SUFFIX, SearchSpace


@dataclass
class Problem:
    """What every trial shares: data, folds, algorithm, threads."""

    algorithm: Any
    setup: Any
    spec: RunSpec
    folds: list[tuple[Any, Any]]  # absolute row positions (train, valid)
    bctx: BuildContext
    metric: str
    direction: str
    prune: bool


@dataclass
class Plan:
    n_trials: int | None  # None: until the timeout
    grid: list[dict[str, Any]] | None


class Search:
    """The trial loop of one TuneJob run (``job``: its settings: seed, strategy, timeout...)."""

    def __init__(self, job: Any, problem: Problem, space: SearchSpace, plan: Plan,
                 ctx: JobContext, writer: "TuneWriter", client: Any = None) -> None:
        import optuna

        self.job = job
        self.problem = problem
        self.space = space
        self.plan = plan
        self.ctx = ctx
        self.writer = writer
        self.lock = threading.Lock()
        self.trials: list[dict[str, Any]] = []
        self.best: dict[str, Any] | None = None
        self.started = 0
        self.stop = threading.Event()
        self.t0 = time.monotonic()
        seed = job.seed
        sampler: optuna.samplers.BaseSampler
        if job.strategy == "bayes":
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(3, (plan.n_trials or 20) // 4)))
        else:
            sampler = optuna.samplers.RandomSampler(seed=seed)
        self.prune_settings = prune_settings(plan.n_trials, problem.setup.params) if problem.prune else None
        pruner = (
            optuna.pruners.MedianPruner(**self.prune_settings)
            if self.prune_settings else optuna.pruners.NopPruner()
        )
        self.client = client
        self.journal_path = None
        storage = None
        if client is not None:
            # Workers report pruning values to the same study: keep it in a
            # file they reach (the tune folder), not in this process's memory.
            from workbench.engine.tuning.cluster import JOURNAL_FILE, journal_storage

            self.journal_path = writer.folder / JOURNAL_FILE
            storage = journal_storage(self.journal_path)
        self.study = optuna.create_study(
            direction="maximize" if problem.direction == "max" else "minimize", sampler=sampler, pruner=pruner,
            storage=storage, study_name=job.tune_id if storage is not None else None,
        )
        for combo in plan.grid or []:
            self.study.enqueue_trial(combo)

    # -- loop --------------------------------------------------------------
    def run(self, n_jobs: int) -> None:
        if self.client is not None:
            from workbench.engine.tuning.cluster import run_trials_on_cluster

            run_trials_on_cluster(self, self.client)
            return
        if n_jobs == 1:
            self._worker()
            return
        from workbench.engine.jobs.threads import cap_threads

        errors: list[BaseException] = []

        def work() -> None:
            try:
                # OpenMP limits are per thread: cap inside each worker.  No
                # env vars: changing them while other threads run is unsafe.
                with cap_threads(self.problem.bctx.n_threads, set_env=False):
                    self._worker()
            except BaseException as exc:  # handed to the calling thread
                errors.append(exc)
                self.stop.set()  # the other workers start no new trial

        threads = [threading.Thread(target=work, name=f"tune-trial-{i}", daemon=True) for i in range(n_jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            real = [e for e in errors if not isinstance(e, Cancelled)]
            raise real[0] if real else errors[0]

    def next_trial(self) -> Any | None:
        with self.lock:
            self.ctx.check()
            if self.stop.is_set():
                return None
            if self.plan.n_trials is not None and self.started >= self.plan.n_trials:
                return None
            if self.job.timeout is not None and time.monotonic() - self.t0 >= self.job.timeout:
                return None
            self.started += 1
            return self.study.ask()

    def _worker(self) -> None:
        while True:
            trial = self.next_trial()
            if trial is None:
                return
            self._run_trial(trial)

    def suggest(self, trial: Any) -> dict[str, Any]:
        """The parameters of ``trial`` (the grid's next point, or the sampler's)."""
        if self.plan.grid is not None:
            return self.space.suggest_grid(trial, self.job.grid_points)
        return self.space.suggest(trial)

    def _run_trial(self, trial: Any) -> None:
        import optuna

        t0 = time.time()
        params = self.suggest(trial)
        try:
            outcome: tuple[str, Any] = (
                "complete", score_params(self.problem, self.space.fixed, params, trial, self.ctx.cancel_token)
            )
        except optuna.TrialPruned as exc:
            outcome = ("pruned", str(exc))
        except Cancelled:
            from optuna.trial import TrialState

            with self.lock:
                self.study.tell(trial, state=TrialState.FAIL)
            raise
        except Exception as exc:  # one bad combination must not end the search
            outcome = ("failed", exc)
        self.record(trial, params, t0, outcome)

    def record(self, trial: Any, params: dict[str, Any], t0: float, outcome: tuple[Any, ...]) -> None:
        """Tell the study how ``trial`` ended; write, keep and report it.

        ``outcome`` is ("complete", (score, std, metrics)), ("pruned", message)
        or ("failed", exception), plus the cluster worker's address when the
        trial ran on one.
        """
        from optuna.trial import TrialState

        record: dict[str, Any] = {"number": trial.number, "params": json_safe(params)}
        kind, value = outcome[0], outcome[1]
        if len(outcome) > 2:
            record["worker"] = outcome[2]
        if kind == "complete":
            score, std, metrics = value
            record.update(state="complete", score=score, score_std=std, metrics=metrics)
        elif kind == "pruned":
            record.update(state="pruned", score=None, score_std=None, message=str(value))
        else:
            exc = value
            text = str(exc) if isinstance(exc, (SpecError, TrainingError, DataError)) else f"{type(exc).__name__}: {exc}"
            record.update(state="failed", score=None, score_std=None, message=text)
        record["duration_s"] = round(time.time() - t0, 3)
        with self.lock:
            if record["state"] == "complete":
                self.study.tell(trial, record["score"])
                if better(record["score"], self.best["score"] if self.best else None, self.problem.direction):
                    self.best = record
            else:
                state = TrialState.PRUNED if record["state"] == "pruned" else TrialState.FAIL
                self.study.tell(trial, state=state)
            record["best_score"] = self.best["score"] if self.best else None
            self.trials.append(record)
            self.writer.append(record)
            self._report(record)

    def _report(self, record: dict[str, Any]) -> None:
        ctx = self.ctx
        ctx.emit(
            Trial(
                number=record["number"],
                params=record["params"],
                score=record["score"],
                score_std=record["score_std"],
                state=record["state"],
                duration_s=record["duration_s"],
                best_score=record["best_score"],
            )
        )
        text = (
            f"Trial {record['number']}: {fmt_params(record['params'])} -> "
            + (
                f"{self.problem.metric} {fmt_score(record['score'], record['score_std'])}"
                if record["state"] == "complete"
                else record["state"] + (f" ({record['message']})" if record.get("message") else "")
            )
            + f" [{record['duration_s']:.2f} s]"
        )
        ctx.log(text, "warning" if record["state"] == "failed" else "info")
        done = len(self.trials)
        fraction = 0.0
        if self.plan.n_trials:
            fraction = done / self.plan.n_trials
        if self.job.timeout:
            fraction = max(fraction, (time.monotonic() - self.t0) / self.job.timeout)
        total = f"/{self.plan.n_trials}" if self.plan.n_trials else ""
        ctx.progress(0.03 + 0.95 * min(fraction, 1.0), f"Trial {done}{total}")

    # -- result ------------------------------------------------------------
    def result(self, run_spec: RunSpec, status: str, message: str, settings: dict[str, Any],
               t_start: float, notes: list[str]) -> dict[str, Any]:
        trials = sorted(self.trials, key=lambda r: r["number"])
        best = self.best
        return json_safe({
            "tune_id": self.job.tune_id,
            "status": status,
            "message": message,
            "task": self.problem.setup.task,
            "algorithm": self.problem.algorithm.key,
            "dataset": run_spec.dataset,
            "strategy": self.job.strategy,
            "metric": self.problem.metric,
            "direction": self.problem.direction,
            "cv": self.job.cv,
            "n_trials": len(trials),
            "n_complete": sum(t["state"] == "complete" for t in trials),
            "n_pruned": sum(t["state"] == "pruned" for t in trials),
            "n_failed": sum(t["state"] == "failed" for t in trials),
            "best": (
                {k: best[k] for k in ("number", "params", "score", "score_std", "metrics")} if best else None
            ),
            "fixed": dict(self.space.fixed),
            "trials": trials,
            "importances": self._importances(),
            "slices": slices(trials, self.space),
            "settings": settings,
            "run_spec": run_spec.to_dict(),
            "notes": notes,
            "duration_s": round(time.time() - t_start, 3),
            "finished": time.time(),
        })

    def _importances(self) -> dict[str, float] | None:
        """fANOVA importances of the searched parameters (None if too few trials)."""
        import optuna

        complete = [t for t in self.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        if len(complete) < 3 or len({t.value for t in complete}) < 2:
            return None
        try:
            evaluator = optuna.importance.FanovaImportanceEvaluator(seed=self.job.seed)
            raw = optuna.importance.get_param_importances(self.study, evaluator=evaluator)
        except Exception:  # noqa: BLE001 - importances are a nicety (e.g. a one-value axis)
            return None
        # The "=none" switch of a nullable parameter counts for the parameter.
        out: dict[str, float] = {}
        for name, value in raw.items():
            key = name.removesuffix(NONE_FLAG_SUFFIX)
            out[key] = out.get(key, 0.0) + float(value)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def slices(trials: list[dict[str, Any]], space: SearchSpace) -> dict[str, dict[str, list[Any]]]:
    """Per parameter: its value and the score of every completed trial."""
    complete = [t for t in trials if t["state"] == "complete"]
    return {
        name: {
            "values": [t["params"].get(name) for t in complete],
            "scores": [t["score"] for t in complete],
            "numbers": [t["number"] for t in complete],
        }
        for name in space.names
    }


def fmt_score(score: float | None, std: float | None) -> str:
    if score is None:
        return "-"
    return f"{score:.4f}" + (f" ± {std:.4f}" if std is not None else "")


def fmt_params(params: Mapping[str, Any]) -> str:
    def text(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return "none" if v is None else str(v)

    return ", ".join(f"{k}={text(v)}" for k, v in params.items()) or "(defaults)"
