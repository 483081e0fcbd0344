"""The compare job: one normal training run per algorithm, on the same folds.

Every algorithm gets the same RunSpec except ``algorithm`` and ``params``
(catalog defaults), so the holdout split and the CV folds (both drawn from
the spec's seed, see ``training.problem``) are the same for all of them and
their fold scores can be paired.  The runs are ordinary runs: they appear in
``workbench runs`` and open like any other.

Runs go one after another inside this job, each under the executor's thread
cap, so a comparison never oversubscribes the machine (docs/findings.md: two all-core
fits side by side are 25-50x slower).  The baseline goes first: it takes
milliseconds and every later row is read against it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.engine.compare.stats import rank_rows
from workbench.engine.errors import Cancelled, SpecError, WorkbenchError
from workbench.engine.jobs.events import CancelToken, CompareRow, Event, JobContext, Log, Progress
from workbench.engine.project.run_result import RunResult
from workbench.engine.project.runs import RunFolderOwner
from workbench.engine.spec import RunSpec

__all__ = ["BASELINE", "CompareJob", "compare_algorithms", "list_compares", "load_compare"]

BASELINE = "baseline"
COMPARES_DIR = "compares"
DEFAULT_CV = 5


def compare_algorithms(task: str, requested: list[str] | None = None) -> list[str]:
    """Algorithm keys a comparison on ``task`` trains, baseline first.

    ``requested`` None means every catalog entry that does ``task``.  An
    unknown key, or one that does not do ``task``, raises a SpecError naming
    it and listing the keys that would do.
    """
    from workbench.engine.catalog import algorithms

    if task not in ("classification", "regression"):
        raise SpecError(f"Compare needs a target to predict (classification or regression), not {task}.")
    fitting = [a.key for a in algorithms(task)]
    if requested is None:
        keys = fitting
    else:
        keys = []
        for key in requested:
            key = key.strip()
            if not key:
                continue
            if key not in fitting:
                known = {a.key for a in algorithms()}
                why = f"does not do {task}" if key in known else "is not an algorithm"
                raise SpecError(
                    f"Algorithm '{key}' {why}; valid keys for {task}: {', '.join(sorted(fitting))}."
                )
            if key not in keys:
                keys.append(key)
    if BASELINE not in fitting:  # the catalog must offer the baseline
        raise SpecError(f"The catalog has no '{BASELINE}' algorithm for {task}.")
    return [BASELINE] + [k for k in keys if k != BASELINE]


class _BudgetToken(CancelToken):
    """Cancelled when the user cancels the comparison or the time budget ends.

    Each run gets its own, so a run stopped by the budget is recorded as
    cancelled while the comparison itself ends normally with what finished.
    """

    def __init__(self, parent: CancelToken, deadline: float | None) -> None:
        super().__init__()
        self.parent = parent
        self.deadline = deadline

    @property
    def over_budget(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or self.parent.cancelled or self.over_budget

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()


class CompareJob(RunFolderOwner):
    """Train several algorithms on the same folds and rank them.

    Parameters
    ----------
    project_root
        The project folder.
    spec
        The base RunSpec (dataset, target, preparation, seed...); its
        ``algorithm`` and ``params`` are replaced per row, ``cv`` by ``cv``.
    algorithms
        Catalog keys; None: every algorithm that fits the task.  The
        baseline is always added (first).
    cv
        Folds (>= 2), or 0 to compare on the single holdout split.
    metric
        Metric to rank by (default: the task's headline metric).
    timeout
        Overall budget in seconds: the run in progress when it ends is
        cancelled and no further run starts; finished rows are kept.
    """

    kind = "compare"

    def __init__(
        self,
        project_root: str | Path,
        spec: RunSpec,
        algorithms: list[str] | None = None,
        *,
        cv: int = DEFAULT_CV,
        metric: str | None = None,
        timeout: float | None = None,
        compare_id: str | None = None,
    ) -> None:
        if cv < 0 or cv == 1:
            raise SpecError(f"--cv must be 0 (the holdout split only) or at least 2; got {cv}.")
        if timeout is not None and timeout <= 0:
            raise SpecError(f"--timeout must be a positive number of seconds; got {timeout}.")
        self.project_root = str(project_root)
        self.spec = replace(spec, cv=cv, learning_curve=False)
        self.requested = list(algorithms) if algorithms is not None else None
        self.cv = cv
        self.metric = metric
        self.timeout = timeout
        self.compare_id = compare_id or time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:4]
        self.title = f"Compare algorithms on {spec.dataset}"
        self.rows: list[dict[str, Any]] = []  # finished rows, in finishing order
        self.run_id: str | None = None  # the run in progress (a CLI's Ctrl-C closes it)
        self.task: str | None = spec.task
        self.direction = "max"

    # -- setup -------------------------------------------------------------
    def resolve(self, frame=None) -> tuple[str, list[str], str, str]:
        """``(task, algorithm keys, metric, direction)``; SpecError if unusable.

        ``frame``: the dataset, to infer the task from the target when the
        spec does not name one.
        """
        from workbench.engine.errors import DataError
        from workbench.engine.metrics import headline_metric, metric_direction
        from workbench.engine.training.problem import infer_task
        from workbench.engine.tuning.objective import objective_metrics

        task = self.spec.task
        if task is None:
            if self.spec.target is None:
                raise SpecError("Compare needs --target COL (the column to predict).")
            if frame is None:
                raise SpecError("The task is unknown until the dataset is loaded.")
            if self.spec.target not in frame.columns:
                raise DataError(f"Target column '{self.spec.target}' is not in dataset '{self.spec.dataset}'.")
            task = infer_task(frame[self.spec.target])
        keys = compare_algorithms(task, self.requested)
        metric = self.metric or headline_metric(task)
        allowed = objective_metrics(task)
        if metric not in allowed:
            raise SpecError(f"--metric {metric} is not a {task} metric; choose one of {', '.join(allowed)}.")
        return task, keys, metric, metric_direction(metric)

    # -- the job -------------------------------------------------------------
    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.project.folder import Project

        ctx = ctx or JobContext()
        started = time.monotonic()
        deadline = started + self.timeout if self.timeout else None
        project = Project.open(self.project_root)
        ctx.progress(0.0, f"Loading {self.spec.dataset}")
        frame = project.load_dataset(self.spec.dataset)
        task, keys, metric, direction = self.resolve(frame)
        del frame  # each run reloads it from the Parquet cache
        self.task, self.metric, self.direction = task, metric, direction
        self._write(project, "running", keys)
        ctx.log(f"Comparing {len(keys)} algorithms on {self.spec.dataset} ({task}, "
                + (f"{self.cv}-fold CV" if self.cv >= 2 else "holdout split") + f", {metric}).")
        skipped: list[str] = []
        try:
            for i, key in enumerate(keys):
                ctx.check()
                # The baseline runs whatever the budget: it takes milliseconds
                # and without it no row can be read.
                if key != BASELINE and deadline is not None and time.monotonic() >= deadline:
                    skipped = keys[i:]
                    ctx.warn(f"Time budget of {self.timeout:g} s reached; not started: {', '.join(skipped)}.")
                    break
                row = self._run_one(project, key, metric, i, len(keys), deadline, ctx)
                self.rows.append(row)
                ctx.emit(CompareRow(**{k: row[k] for k in (
                    "algorithm", "run_id", "status", "score", "std", "fold_scores", "fit_s", "message")}))
                self._write(project, "running", keys)
        except Cancelled:
            self._write(project, "cancelled", keys)
            raise
        ctx.progress(1.0, "Done")
        return self._write(project, "completed", keys, skipped)

    def _run_one(self, project, key: str, metric: str, index: int, count: int, deadline,
                 ctx: JobContext) -> dict[str, Any]:
        from workbench.engine.training.job import TrainJob

        spec = replace(self.spec, algorithm=key, params={}, task=self.task)
        job = TrainJob(project.root, spec)
        self.run_id = job.run_id
        token = _BudgetToken(ctx.cancel_token, None if key == BASELINE else deadline)
        slice_ = ctx.sub(index / count, (index + 1) / count)

        def forward(event: Event) -> None:
            # The table wants progress and problems, not each run's chatter.
            if isinstance(event, Progress):
                slice_.progress(event.fraction, f"{key}: {event.message}")
            elif isinstance(event, Log) and event.level in ("warning", "error") and "Traceback" not in event.message:
                ctx.emit(Log(level="warning", message=f"{key}: {event.message.splitlines()[0]}"))

        ctx.log(f"[{index + 1}/{count}] {key}: run {job.run_id}")
        row: dict[str, Any] = {"algorithm": key, "run_id": job.run_id, "status": "completed", "score": None,
                               "std": None, "fold_scores": [], "fit_s": None, "message": ""}
        try:
            job.run(JobContext(forward, token))
        except Cancelled:
            if ctx.cancel_token.cancelled:
                raise
            row.update(status="cancelled", message="Stopped by the time budget.")
            return row
        except WorkbenchError as exc:  # one algorithm failing must not end the comparison
            row.update(status="failed", message=str(exc))
            ctx.warn(f"{key} failed: {exc}")
            return row
        finally:
            self.run_id = None
        result = project.run(job.run_id).result or RunResult()
        row.update(self._scores(result, metric))
        return row

    def _scores(self, result: RunResult, metric: str) -> dict[str, Any]:
        out: dict[str, Any] = {"fit_s": result.seconds("fit_s")}
        if self.cv >= 2:
            cv = result.cv_scores.get(metric)
            out.update(score=cv.mean if cv else None, std=cv.std if cv else None,
                       fold_scores=list(cv.folds) if cv else [])
        else:
            out.update(score=result.numeric_metrics().get(metric))
        if out.get("score") is None:
            out["message"] = f"The run has no {metric} score."
        return out

    # -- the record on disk --------------------------------------------------
    def ranked_rows(self) -> list[dict[str, Any]]:
        """The finished rows best first, with the paired test against the best."""
        return rank_rows(self.rows, self.direction, self.cv)

    def _write(self, project, status: str, keys: list[str], skipped: list[str] | None = None) -> dict[str, Any]:
        from workbench.engine.fsutil import atomic_write_text
        from workbench.engine.json_values import json_safe

        document = json_safe({
            "compare_id": self.compare_id,
            "status": status,
            "dataset": self.spec.dataset,
            "target": self.spec.target,
            "task": self.task,
            "cv": self.cv,
            "seed": self.spec.seed,
            "metric": self.metric,
            "direction": self.direction,
            "algorithms": keys,
            "skipped": skipped or [],
            "rows": self.ranked_rows(),
        })
        atomic_write_text(Path(project.root) / COMPARES_DIR / f"{self.compare_id}.json",
                          json.dumps(document, indent=2))
        return document


def list_compares(project_root: str | Path) -> list[dict[str, Any]]:
    """Saved comparisons of a project, oldest first."""
    folder = Path(project_root) / COMPARES_DIR
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue
    return out


def load_compare(project_root: str | Path, compare_id: str) -> dict[str, Any]:
    """One saved comparison (ProjectError if there is none by that id)."""
    from workbench.engine.errors import ProjectError

    path = Path(project_root) / COMPARES_DIR / f"{compare_id}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"No comparison '{compare_id}' in {project_root}.") from None
