"""The project leaderboard: completed runs and the best trial of each search.

One row per completed run (scored on its held-out test rows, plus its CV mean
and std when the run had cross-validation) and one per search with a best
trial (scored by cross-validation on the training part).  Rows are sorted by
one metric in its own direction (``metric_direction``); rows without that
metric come last.  The ``source`` of a row's score says which rows it was
measured on (``test`` or ``cv``): a search's CV score is not a test score, so
train its best trial to compare on the same held-out rows.
"""

from __future__ import annotations

from typing import Any

__all__ = ["leaderboard"]


def _key_params(algorithm: str, task: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters that differ from the catalog's defaults (all if unknown)."""
    from workbench.engine.catalog import get_algorithm
    from workbench.engine.errors import SpecError

    try:
        defaults = get_algorithm(algorithm).defaults(task) if task else {}
    except SpecError:
        return dict(params)
    return {k: v for k, v in params.items() if k not in defaults or defaults[k] != v}


def _run_rows(project: Any, completed_only: bool = True) -> list[dict[str, Any]]:
    from workbench.engine.errors import WorkbenchError

    rows = []
    for record in project.runs():
        status = record.status  # a damaged run folder reads "damaged", never scored
        if status != "completed" and completed_only:
            continue
        result = record.result if status != "damaged" else None
        params, task = (result.params, result.task) if result else ({}, None)
        if not params:  # a run still going (or cancelled early) has no resolved params yet
            try:
                params, task = record.spec.params, task or record.spec.task
            except WorkbenchError:
                params = {}
        cv = {k: {"mean": v.mean, "std": v.std} for k, v in (result.cv_scores if result else {}).items()}
        rows.append({
            "kind": "run",
            "id": record.run_id,
            "label": record.label,
            "algorithm": record.algorithm,
            "task": task,
            "params": _key_params(record.algorithm, task, params),
            "metrics": result.numeric_metrics() if result else {},
            "cv": cv or None,
            "status": status,
            "source": "test",
        })
    return rows


def _tune_rows(project: Any) -> list[dict[str, Any]]:
    from workbench.engine.tuning.records import list_tunes

    rows = []
    for record in list_tunes(project):
        summary = record.summary()
        best = summary.get("best")
        if not best:
            continue
        task = summary.get("task")
        rows.append({
            "kind": "tune",
            "id": record.tune_id,
            "label": f"{summary.get('strategy')} search, trial #{best.get('number')}",
            "algorithm": summary.get("algorithm"),
            "task": task,
            "params": best.get("params") or {},
            "metrics": dict(best.get("metrics") or {summary.get("metric"): best.get("score")}),
            "cv": {summary.get("metric"): {"mean": best.get("score"), "std": best.get("score_std")}},
            "status": summary.get("status"),
            "source": "cv",
        })
    return rows


def leaderboard(project: Any, metric: str | None = None, task: str | None = None, *,
                completed_only: bool = True) -> list[dict[str, Any]]:
    """Completed runs and search bests of ``project``, best first.

    Parameters
    ----------
    project : Project
    metric : str, optional
        The metric to sort by.  Default: the headline metric of ``task``, or
        of the task of the most recent row.
    task : str, optional
        Keep only rows of this task.
    completed_only : bool
        Leave out runs that did not complete (default).  With False they are
        listed too (the desktop's runs table) but never scored or ranked: a
        cancelled run's metrics come from its validation rows, not its test rows.

    Returns
    -------
    list of dict
        ``{kind: "run"|"tune", id, label, algorithm, task, params (the
        non-default ones), metrics, cv: {metric: {mean, std}}|None, status,
        source: "test"|"cv", metric, score, rank}``.  ``score`` is the sort
        metric's value (None when the row lacks it; those rows come last and
        have no rank).
    """
    from workbench.engine.metrics import headline_metric, metric_direction

    rows = _run_rows(project, completed_only) + _tune_rows(project)
    if task is not None:
        rows = [r for r in rows if r["task"] == task]
    if metric is None:
        tasks = [r["task"] for r in rows if r["task"] in ("classification", "regression", "clustering")]
        metric = headline_metric(task or (tasks[-1] if tasks else "classification"))
    direction = metric_direction(metric)
    for row in rows:
        value = row["metrics"].get(metric)
        if value is None and row["cv"] and metric in row["cv"]:
            value = row["cv"][metric].get("mean")
        if row["kind"] == "run" and row["status"] != "completed":
            value = None
        row["metric"] = metric
        row["score"] = float(value) if isinstance(value, (int, float)) else None
    sign = -1.0 if direction == "max" else 1.0
    rows.sort(key=lambda r: (r["score"] is None, sign * r["score"] if r["score"] is not None else 0.0))
    rank = 0
    for row in rows:
        row["rank"] = (rank := rank + 1) if row["score"] is not None else None
    return rows
