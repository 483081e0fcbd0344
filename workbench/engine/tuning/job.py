"""Hyperparameter search: grid, random and Bayesian (optuna TPE).

A :class:`TuneJob` is a job like :class:`~workbench.engine.training.job.TrainJob`:
picklable, ``.run(ctx) -> dict``, reporting through the context and checking
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
import time
import warnings
from dataclasses import replace
from typing import Any, Mapping

from workbench.engine.catalog import BuildContext
from workbench.engine.errors import Cancelled, SpecError, TrainingError
from workbench.engine.jobs.events import JobContext
from workbench.engine.metrics import headline_metric, metric_direction
from workbench.engine.project.runs import new_run_id
from workbench.engine.spec import RunSpec
from workbench.engine.tuning.objective import objective_metrics
from workbench.engine.tuning.records import TUNES_DIR, TuneWriter
from workbench.engine.tuning.search import Plan, Problem, Search, fmt_params, fmt_score
from workbench.engine.tuning.space import DEFAULT_GRID_POINTS, ParamRange, SearchSpace, build_search_space

__all__ = [
    "STRATEGIES",
    "DEFAULT_TRIALS",
    "TuneJob",
]

STRATEGIES = ("grid", "random", "bayes")
# Trials of a random/Bayesian search given neither a trial count nor a timeout.
DEFAULT_TRIALS = 20


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
        metric = self.metric or headline_metric(task)
        if metric not in objective_metrics(task):
            raise SpecError(
                f"Unknown metric '{metric}' for {task}: choose one of {', '.join(objective_metrics(task))}."
            )
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
        problem = Problem(
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
        search = Search(self, problem, space, plan, ctx, writer, client=client)
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
                f"Best trial #{best['number']}: {metric} {fmt_score(best['score'], best['score_std'])} with "
                + fmt_params(best["params"])
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

    def _plan(self, space: SearchSpace, notes: list[str]) -> Plan:
        if self.strategy == "grid":
            combos = space.grid(self.grid_points)
            if self.n_trials is not None and self.n_trials < len(combos):
                notes.append(
                    f"The grid has {len(combos)} combinations; --trials {self.n_trials} tries a random "
                    f"subset of {self.n_trials} (seed {self.seed})."
                )
                combos = random.Random(self.seed).sample(combos, self.n_trials)
            return Plan(len(combos), combos)
        n = self.n_trials
        if n is None and self.timeout is None:
            n = DEFAULT_TRIALS
        return Plan(n, None)
