"""``workbench tune`` and ``workbench leaderboard``: the CLI side of tuning.

A front-end module (the engine never imports the CLI): cli.py declares the
parsers and calls :func:`run_tune_command` / :func:`run_leaderboard_command`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workbench.engine import SpecError


def _base_spec(args: argparse.Namespace, project: Any) -> Any:
    """The base RunSpec, built by the same code as ``workbench train``."""
    from workbench.cli.support import spec_from_args

    train_like = argparse.Namespace(**vars(args))
    for name, default in (("features", None), ("ignore", None), ("device", "auto"),
                          ("threads", None), ("learning_curve", None)):
        if not hasattr(train_like, name):
            setattr(train_like, name, default)
    # The search does its own CV; the run trained from the best trial only
    # needs the holdout evaluation (pass --cv to `train --spec` to redo CV).
    train_like.cv = 0
    return spec_from_args(train_like, project)


def _check_ranges(args: argparse.Namespace, algorithm: Any) -> dict[str, str]:
    """Validate ``--param-range`` early (before loading data); name -> text.

    The task may not be known yet (inferred from the data), so each range is
    checked against a task of the algorithm that has the parameter; the job
    checks it again against the real task.
    """
    from workbench.engine import parse_param_ranges

    ranges: dict[str, str] = {}
    fixed = {pair.partition("=")[0].strip() for pair in args.param or []}
    for pair in args.param_range or []:
        name = pair.partition("=")[0].strip()
        tasks = [args.task] if args.task else [
            t for t in algorithm.tasks if any(p.name == name for p in algorithm.params_for(t))
        ] or list(algorithm.tasks)
        parse_param_ranges([pair], algorithm, tasks[0])
        if name in fixed:
            raise SpecError(f"--param-range {pair}: '{name}' is also fixed with --param; choose one.")
        ranges[name] = pair.partition("=")[2]
    return ranges


def _trial_rows(trials: list[dict[str, Any]], direction: str) -> list[dict[str, Any]]:
    """Trials best first; pruned and failed ones after the completed ones."""
    sign = -1.0 if direction == "max" else 1.0
    return sorted(
        trials,
        key=lambda t: (t.get("score") is None, sign * t["score"] if t.get("score") is not None else 0.0,
                       t["number"]),
    )


def _json_document(result: dict[str, Any]) -> dict[str, Any]:
    best = result.get("best")
    return {
        "tune_id": result.get("tune_id"),
        "status": result.get("status"),
        "strategy": result.get("strategy"),
        "algorithm": result.get("algorithm"),
        "task": result.get("task"),
        "metric": result.get("metric"),
        "direction": result.get("direction"),
        "best": (
            {k: best[k] for k in ("number", "params", "score", "score_std", "run_id") if k in best} if best else None
        ),
        "trials": [
            {k: t.get(k) for k in ("number", "params", "score", "score_std", "state", "duration_s")}
            for t in sorted(result.get("trials", []), key=lambda t: t["number"])
        ],
        "importances": result.get("importances"),
    }


def _print_table(result: dict[str, Any]) -> None:
    from workbench.cli.support import format_table, format_value

    metric = result.get("metric") or "score"
    rows = []
    for t in _trial_rows(result.get("trials", []), result.get("direction", "max")):
        score = "-" if t.get("score") is None else f"{t['score']:.4f}" + (
            f" ± {t['score_std']:.4f}" if t.get("score_std") is not None else "")
        params = ", ".join(f"{k}={format_value(v)}" for k, v in (t.get("params") or {}).items())
        rows.append([str(t["number"]), score, t.get("state", ""), f"{t.get('duration_s', 0):.2f}", params])
    print(format_table(rows, ["trial", metric, "state", "seconds", "params"]) if rows else "No trial finished.")
    best = result.get("best")
    if best:
        params = ", ".join(f"{k}={format_value(v)}" for k, v in best["params"].items())
        print(f"\nBest: trial {best['number']}, {metric} {best['score']:.4f}: {params}")
        if best.get("run_id"):
            print(f"Trained as run {best['run_id']}")
    imp = result.get("importances")
    if imp:
        print("Parameter importances: " + ", ".join(f"{k} {v:.2f}" for k, v in imp.items()))


def run_tune_command(args: argparse.Namespace) -> int:
    """``workbench tune``: search, print one line per trial, then a table.

    Returns the exit code: 0, or 130 when cancelled (finished trials are
    still printed).
    """
    from workbench.cli.support import (
        EXIT_CANCELLED,
        clean_nan,
        print_json,
        ProgressPrinter,
        run_job_in_process,
        run_job_interruptibly,
    )
    from workbench.engine import (
        Cancelled,
        Project,
        TuneJob,
        best_run_spec,
        get_algorithm,
        record_trained_run,
        tune_result_so_far,
    )

    project = Project.open(args.project)
    algorithm = get_algorithm(args.algorithm)
    ranges = _check_ranges(args, algorithm)
    spec = _base_spec(args, project)
    from workbench.cli.cluster import scheduler_address

    # On a cluster the search stays here and every worker thread scores a
    # trial (--jobs is the local thread count and does not apply).
    scheduler = scheduler_address(args)
    job = TuneJob(
        project.root,
        spec,
        strategy=args.strategy,
        n_trials=args.trials,
        timeout=args.timeout,
        cv=args.cv,
        metric=args.metric,
        space_overrides=ranges,
        n_jobs=args.jobs,
        seed=args.seed,
        scheduler=scheduler,
    )
    if not args.json:
        print(f"Search {job.tune_id}: {job.title}", file=sys.stderr)
    cancelled = False
    try:
        runner = run_job_in_process if args.executor == "process" else run_job_interruptibly
        result = runner(job, ProgressPrinter(quiet=args.json))
    except Cancelled:
        result = tune_result_so_far(project.root, job)
        cancelled = True
    cancelled = cancelled or result.get("status") == "cancelled"
    if getattr(args, "train_best", False) and result.get("best") and not cancelled:
        from workbench.engine import TrainJob

        train = TrainJob(project.root, best_run_spec(result))
        if not args.json:
            print(f"Training the best trial as run {train.run_id}", file=sys.stderr)
        run_job_interruptibly(train, ProgressPrinter(quiet=True))
        result["best"]["run_id"] = train.run_id
        record_trained_run(project, job.tune_id, train.run_id)
    result = clean_nan(result)
    if args.json:
        print_json(_json_document(result))
    else:
        _print_table(result)
    if cancelled:
        print(f"Search {job.tune_id} cancelled; {len(result.get('trials', []))} finished trial(s) kept.",
              file=sys.stderr)
        return EXIT_CANCELLED
    return 0


def run_leaderboard_command(args: argparse.Namespace) -> int:
    """``workbench leaderboard``: runs and search bests sorted by a metric."""
    from workbench.cli.support import clean_nan, format_table, format_value, print_json
    from workbench.engine import Project, leaderboard

    rows = clean_nan(leaderboard(Project.open(args.project), metric=args.metric, task=args.task))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No completed runs or searches yet.")
        return 0
    cells = []
    for r in rows:
        cv = (r.get("cv") or {}).get(r["metric"]) or {}
        cv_text = f"{cv['mean']:.4f} ± {cv.get('std') or 0:.4f}" if cv.get("mean") is not None else "-"
        params = ", ".join(f"{k}={format_value(v)}" for k, v in r["params"].items())
        cells.append([format_value(r["rank"]), r["kind"], r["id"], r["algorithm"],
                      "-" if r["score"] is None else f"{r['score']:.4f}", r["source"], cv_text, params])
    print(format_table(cells, ["#", "kind", "id", "algorithm", rows[0]["metric"], "on", "cv", "params"]))
    return 0
