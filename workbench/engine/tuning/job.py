"""Hyperparameter search: grid, random and Bayesian (optuna TPE).

A :class:`TuneJob` is a job like :class:`~workbench.engine.training.job.TrainJob`:
portable (a JSON spec), ``.run(ctx) -> dict``, reporting through the context and checking
its cancel token between folds and at every iteration.  It reuses training's
pieces (``build_setup``, ``_split``, ``_folds``, ``Fitter``, ``predict_pipeline``)
so a trial fits exactly what a training run with the same parameters would.

How a trial is scored
    The objective is one metric (default: the task's headline metric) on
    k-fold cross-validation of the *training part* (``cv`` >= 2, default 3),
    or on a single holdout of the training part (``cv`` = 0).  The held-out
    test rows of the run spec are never seen by the search; they stay for the
    final evaluation of "train best".

Pruning
    For iterative learners the per-iteration validation loss (or, if the
    learner reports no loss, the objective) of the *first fold only* (or the
    holdout) is reported to optuna's MedianPruner;
    a trial worse than the median of earlier trials at the same step stops
    with state ``pruned``.  One fold keeps it simple: later folds run whole.

Parallel trials
    ``n_jobs`` trials run at once in threads, each capped at
    ``cores // n_jobs`` native threads, never more trials than cores.  With
    ``n_jobs`` > 1 the order in which trials finish depends on timing, so
    only ``n_jobs`` = 1 reproduces a search exactly.

Cancel and budget
    Cancelling keeps every finished trial and the best so far: the job
    *returns* its result with status ``cancelled`` (it does not raise).  A
    wall-time budget stops starting new trials; trials already running finish.

On disk (``tunes/<tune-id>/``)::

    spec.json      the base RunSpec and the search settings (space, budget...)
    trials.jsonl   one finished trial per line, appended as the search goes
    result.json    status, best trial, all trials, importances, slices
"""

from __future__ import annotations

import os
import random
import threading
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any, Mapping

from workbench.engine.catalog import BuildContext
from workbench.engine.errors import Cancelled, DataError, SpecError, TrainingError
from workbench.engine.jobs.events import JobContext, Trial
from workbench.engine.json_values import json_safe
from workbench.engine.project.runs import new_run_id
from workbench.engine.tuning.space import (
    DEFAULT_GRID_POINTS,
    NONE_FLAG_SUFFIX,
    ParamRange,
    SearchSpace,
    build_search_space,
)
from workbench.engine.spec import RunSpec
from workbench.engine.tuning.objective import (
    prune_settings,
    objective_metrics,
    score_params,
)
from workbench.engine.tuning.records import TUNES_DIR, TuneWriter, better

__all__ = [
    "STRATEGIES",
    "DEFAULT_TRIALS",
    "TuneJob",
]

STRATEGIES = ("grid", "random", "bayes")
# Trials of a random/Bayesian search given neither a trial count nor a timeout.
DEFAULT_TRIALS = 20

# ---------------------------------------------------------------------------
# The job
# ---------------------------------------------------------------------------
@dataclass
class _Problem:
    """What every trial shares: data, folds, algorithm, threads."""

    algorithm: Any
    setup: Any
    spec: RunSpec
    folds: list[tuple[Any, Any]]  # absolute row positions (train, valid)
    bctx: BuildContext
    metric: str
    direction: str
    prune: bool


class TuneJob:
    """Search an algorithm's hyperparameters on a project's dataset.

    Parameters
    ----------
    project_root : path
        The project folder.
    spec : RunSpec
        The base run: dataset, target, preparation, split, seed; its
        ``params`` hold the parameters fixed during the search.
    strategy : {"grid", "random", "bayes"}
    n_trials : int, optional
        Trials to run.  Grid: caps the grid (a seeded random subset of it);
        default the whole grid.  Random/Bayesian: default 20 unless
        ``timeout`` is given.
    timeout : float, optional
        Wall-time budget in seconds (no new trial starts after it).
    cv : int
        Folds of cross-validation on the training part; 0 scores on one
        holdout of the training part.
    metric : str, optional
        Objective (see :func:`objective_metrics`); default the headline metric.
    space_overrides : mapping, optional
        Parameter -> :class:`ParamRange` or ``"LOW:HIGH"`` / ``"a,b,c"``.
    include : list of str, optional
        Parameters to search (default: the overridden ones, else all tunable).
    n_jobs : int
        Trials run in parallel (threads).
    seed : int, optional
        Sampler seed (default ``spec.seed``); same seed, same trials.
    prune : bool
        Prune unpromising trials of iterative learners.
    scheduler : str, optional
        A Dask scheduler's address: trials are scored on its workers, as many at
        once as the cluster has threads (see :mod:`workbench.engine.tuning.cluster`).
    """

    kind = "tune"

    def __init__(
        self,
        project_root: str | os.PathLike,
        spec: RunSpec,
        strategy: str = "bayes",
        n_trials: int | None = None,
        timeout: float | None = None,
        cv: int = 3,
        metric: str | None = None,
        space_overrides: Mapping[str, ParamRange | str] | None = None,
        n_jobs: int = 1,
        seed: int | None = None,
        *,
        include: list[str] | None = None,
        prune: bool = True,
        grid_points: int = DEFAULT_GRID_POINTS,
        tune_id: str | None = None,
        scheduler: str | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise SpecError(f"Unknown strategy '{strategy}': choose one of {', '.join(STRATEGIES)}.")
        if n_trials is not None and n_trials < 1:
            raise SpecError(f"The number of trials must be at least 1; got {n_trials}.")
        if timeout is not None and not timeout > 0:
            raise SpecError(f"The time budget must be positive; got {timeout} s.")
        if cv < 0 or cv == 1:
            raise SpecError(f"--cv must be 0 (one holdout) or at least 2; got {cv}.")
        if n_jobs < 1:
            raise SpecError(f"--jobs must be at least 1; got {n_jobs}.")
        self.project_root = str(project_root)
        self.spec = spec
        self.strategy = strategy
        self.n_trials = n_trials
        self.timeout = timeout
        self.cv = cv
        self.metric = metric
        self.space_overrides = dict(space_overrides or {})
        self.include = list(include) if include is not None else None
        self.n_jobs = n_jobs
        self.seed = spec.seed if seed is None else seed
        self.prune = prune
        self.grid_points = grid_points
        self.tune_id = tune_id or new_run_id(f"{spec.algorithm}-{strategy}")
        self.scheduler = scheduler
        self.title = f"Tune {spec.algorithm} on {spec.dataset} ({strategy})"

    def to_dict(self) -> dict[str, Any]:
        overrides = {name: r.to_dict() if isinstance(r, ParamRange) else str(r)
                     for name, r in self.space_overrides.items()}
        return {"project_root": self.project_root, "spec": self.spec.to_dict(), "strategy": self.strategy,
                "n_trials": self.n_trials, "timeout": self.timeout, "cv": self.cv, "metric": self.metric,
                "space_overrides": overrides, "n_jobs": self.n_jobs, "seed": self.seed, "include": self.include,
                "prune": self.prune, "grid_points": self.grid_points, "tune_id": self.tune_id,
                "scheduler": self.scheduler}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TuneJob":
        d = dict(d)
        overrides = {name: ParamRange.from_dict(r) if isinstance(r, dict) else r
                     for name, r in (d.pop("space_overrides") or {}).items()}
        return cls(d.pop("project_root"), RunSpec.from_dict(d.pop("spec")), space_overrides=overrides, **d)

    # -- entry point ---------------------------------------------------
    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        """Run the search; returns the result (also written to result.json)."""
        import optuna

        from workbench.engine.training.param_checks import check_params_against_data
        from workbench.engine.training.problem import build_setup, holdout_split
        from workbench.engine.training.job import load_for_spec

        ctx = ctx or JobContext()
        t_start = time.time()
        spec = self.spec.validate()
        loaded = load_for_spec(self.project_root, spec, ctx, 0.03)
        project, entry, current, algorithm, frame = (
            loaded.project, loaded.entry, loaded.fingerprint, loaded.algorithm, loaded.frame
        )
        # Validate the fixed params against the task before building the space.
        setup = build_setup(frame, spec, algorithm)
        task = setup.task
        metric = self.metric or _headline(task)
        if metric not in objective_metrics(task):
            raise SpecError(
                f"Unknown metric '{metric}' for {task}: choose one of {', '.join(objective_metrics(task))}."
            )
        from workbench.engine.metrics import metric_direction

        direction = metric_direction(metric)
        space = build_search_space(
            algorithm, task, self.space_overrides, include=self.include, fixed=spec.params
        )
        train_idx, _test_idx = holdout_split(setup, spec)
        folds = self._folds(setup, spec, train_idx)
        # Fixed parameters the data cannot take fail every trial: say so before the tune folder.
        check_params_against_data(algorithm, setup, spec, train_idx, folds)
        from workbench.engine.jobs.threads import cpu_count

        cores = cpu_count()
        n_jobs = min(self.n_jobs, cores)
        device = self._device(algorithm, spec)
        bctx = BuildContext(
            task=task, seed=spec.seed, n_threads=max(1, cores // n_jobs), device=device,
            n_classes=len(setup.classes),
        )
        problem = _Problem(
            algorithm, setup, spec, folds, bctx, metric, direction,
            prune=self.prune and algorithm.capabilities.iterative,
        )
        resolved = replace(spec, task=task, params=dict(space.fixed), dataset_path=entry.path, fingerprint=current)
        notes: list[str] = []
        plan = self._plan(space, notes)

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own log says it all
        writer = TuneWriter(project.root / TUNES_DIR / self.tune_id)
        settings = {
            "strategy": self.strategy,
            "n_trials": self.n_trials,
            "timeout": self.timeout,
            "cv": self.cv,
            "metric": metric,
            "direction": direction,
            "n_jobs": n_jobs,
            "seed": self.seed,
            "prune": problem.prune,
            "grid_points": self.grid_points,
            "space": space.to_dict(),
        }
        writer.start({"run_spec": resolved.to_dict(), "search": settings})
        client = None
        if self.scheduler:
            from workbench.engine.jobs.cluster import cluster_summary, connect

            client = connect(self.scheduler)
            summary = cluster_summary(client)
            settings["cluster"] = summary
            notes.append(
                f"Trials run on the Dask cluster at {summary['address']}: {summary['workers']} workers, "
                f"{summary['cores']} threads, one trial per thread."
            )
        search = _Search(self, problem, space, plan, ctx, writer, client=client)
        for note in setup.notes + notes:
            ctx.log(note)
        ctx.log(
            f"{self.strategy} search of {algorithm.name} ({task}): "
            + ", ".join(f"{r.name} {r.describe()}" for r in space.ranges)
            + f"; objective {metric} ({'higher' if direction == 'max' else 'lower'} is better) on "
            + (f"{len(folds)}-fold CV" if self.cv else "a holdout") + f" of {len(train_idx):,} training rows."
        )
        status, message = "completed", ""
        try:
            with warnings.catch_warnings():
                # A search tries poor settings on purpose: convergence and
                # similar warnings are expected and would bury the progress.
                warnings.simplefilter("ignore")
                search.run(n_jobs)
        except Cancelled:
            status, message = "cancelled", "Cancelled by the user; finished trials are kept."
            ctx.log(message, "warning")
        except BaseException as exc:
            writer.finish(search.result(resolved, "failed", f"{type(exc).__name__}: {exc}", settings, t_start, notes))
            raise
        finally:
            if client is not None:
                client.close()
        if status == "completed" and search.best is None:
            failed = [t for t in search.trials if t["state"] == "failed"]
            status = "failed"
            message = "No trial completed." + (f" First error: {failed[0].get('message')}" if failed else "")
        result = search.result(resolved, status, message, settings, t_start, notes)
        writer.finish(result)
        if search.prune_settings:
            ctx.log(
                f"Trials: {result['n_complete']} complete, {result['n_pruned']} pruned, {result['n_failed']} failed "
                f"(pruning starts after {search.prune_settings['n_startup_trials']} complete trials and "
                f"{search.prune_settings['n_warmup_steps']} iterations)."
            )
        if status == "failed":
            raise TrainingError(f"Tuning {algorithm.name} failed: {message}")
        ctx.progress(1.0, "Done")
        best = result["best"]
        if best:
            ctx.log(
                f"Best trial #{best['number']}: {metric} {_fmt_score(best['score'], best['score_std'])} with "
                + _fmt_params(best["params"])
            )
        return result

    # -- pieces ----------------------------------------------------------
    def _folds(self, setup: Any, spec: RunSpec, train_idx: Any) -> list[tuple[Any, Any]]:
        """(train, valid) absolute positions: k folds or one holdout."""
        from workbench.engine.training.problem import cv_folds, holdout_split

        if self.cv >= 2:
            return [(train_idx[a], train_idx[b]) for a, b in cv_folds(setup, replace(spec, cv=self.cv), train_idx)]
        # Holdout: split the training part the way training splits the whole.
        part = replace(setup, X=setup.X.iloc[train_idx], y=setup.y[train_idx])
        a, b = holdout_split(part, spec)
        return [(train_idx[a], train_idx[b])]

    def _device(self, algorithm: Any, spec: RunSpec) -> str:
        if not algorithm.capabilities.gpu:
            return "cpu"
        from workbench.engine.training.device import resolve_device

        return resolve_device(spec.device)[0]

    def _plan(self, space: SearchSpace, notes: list[str]) -> "_Plan":
        if self.strategy == "grid":
            combos = space.grid(self.grid_points)
            if self.n_trials is not None and self.n_trials < len(combos):
                notes.append(
                    f"The grid has {len(combos)} combinations; --trials {self.n_trials} tries a random "
                    f"subset of {self.n_trials} (seed {self.seed})."
                )
                combos = random.Random(self.seed).sample(combos, self.n_trials)
            return _Plan(len(combos), combos)
        n = self.n_trials
        if n is None and self.timeout is None:
            n = DEFAULT_TRIALS
        return _Plan(n, None)


@dataclass
class _Plan:
    n_trials: int | None  # None: until the timeout
    grid: list[dict[str, Any]] | None


class _Search:
    """The trial loop of one TuneJob run (one or several worker threads)."""

    def __init__(self, job: TuneJob, problem: _Problem, space: SearchSpace, plan: _Plan,
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

    def _next_trial(self) -> Any | None:
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
            trial = self._next_trial()
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
            f"Trial {record['number']}: {_fmt_params(record['params'])} -> "
            + (
                f"{self.problem.metric} {_fmt_score(record['score'], record['score_std'])}"
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
            "slices": _slices(trials, self.space),
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


def _slices(trials: list[dict[str, Any]], space: SearchSpace) -> dict[str, dict[str, list[Any]]]:
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


def _headline(task: str) -> str:
    from workbench.engine.metrics import headline_metric

    return headline_metric(task)


def _fmt_score(score: float | None, std: float | None) -> str:
    if score is None:
        return "-"
    return f"{score:.4f}" + (f" ± {std:.4f}" if std is not None else "")


def _fmt_params(params: Mapping[str, Any]) -> str:
    def text(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return "none" if v is None else str(v)

    return ", ".join(f"{k}={text(v)}" for k, v in params.items()) or "(defaults)"
