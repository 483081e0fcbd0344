"""``workbench compare``: several algorithms on the same folds, one table.

Prints a line per algorithm as it finishes (stderr) and a final table best
first (stdout); ``--json`` prints only the document
``{"metric", "direction", "rows": [...]}``.  Ctrl-C keeps the finished rows.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

# The keys of a --json row, in order (the CLI contract of issue 13).
ROW_KEYS = ("algorithm", "run_id", "score", "std", "fold_scores", "fit_s", "p_value_vs_best", "not_worse_than_best")


def add_parser(subparsers: Any) -> None:
    from workbench.cli.cluster import add_executor_flags
    from workbench.cli.support import add_process_flag, fraction, nonneg_int, pos_int

    s = subparsers.add_parser(
        "compare", help="train several algorithms on the same CV folds and rank them against a baseline"
    )
    s.add_argument("project")
    s.add_argument("name", help="dataset name")
    s.add_argument("--target", help="column to predict (default: the project's default target)")
    s.add_argument("--algorithms", help="comma-separated catalog keys (default: every one that fits the task)")
    s.add_argument("--task", choices=["classification", "regression"], help="default: inferred from the target")
    s.add_argument("--cv", type=nonneg_int, default=5, help="folds (default 5; 0 = the holdout split only)")
    s.add_argument("--metric", help="metric to rank by (default: the task's headline metric)")
    s.add_argument("--timeout", type=float, default=None, help="overall budget in seconds; finished rows are kept")
    s.add_argument("--seed", type=nonneg_int, default=0)
    s.add_argument("--test-size", type=fraction, default=0.2, help="held-out fraction (default 0.2)")
    s.add_argument("--threads", type=pos_int, help="CPU threads per run (default: all cores)")
    s.add_argument("--json", action="store_true")
    add_executor_flags(s)
    add_process_flag(s, "Run the comparison")
    s.set_defaults(func=run_compare_command)


class _RowPrinter:
    """One line per finished algorithm; warnings as they come."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.done = 0

    def __call__(self, event: Any) -> None:
        from workbench.engine import CompareRow, Log

        if isinstance(event, Log) and event.level in ("warning", "error"):
            print(f"{event.level}: {event.message}", file=sys.stderr)
        elif isinstance(event, CompareRow) and not self.quiet:
            self.done += 1
            if event.score is None:
                text = f"{event.status}" + (f": {event.message}" if event.message else "")
            else:
                text = f"{event.score:.4f}" + (f" ± {event.std:.4f}" if event.std is not None else "")
                text += f"  ({event.fit_s:.2f} s fit)" if event.fit_s is not None else ""
            print(f"  {event.algorithm:<24} {text}  run {event.run_id}", file=sys.stderr)


def json_document(job: Any) -> dict[str, Any]:
    """The ``--json`` document: metric, direction and the ranked rows."""
    return {
        "metric": job.metric,
        "direction": job.direction,
        "rows": [{k: row.get(k) for k in ROW_KEYS} for row in job.ranked_rows()],
    }


def _print_table(job: Any) -> None:
    from workbench.cli.support import format_table

    rows = []
    for i, row in enumerate(job.ranked_rows(), 1):
        score = "-" if row["score"] is None else f"{row['score']:.4f}" + (
            f" ± {row['std']:.4f}" if row.get("std") is not None else "")
        p = row.get("p_value_vs_best")
        mark = "best" if i == 1 and row["score"] is not None else (
            "not worse" if row["not_worse_than_best"] else ("worse" if p is not None else "-"))
        rows.append([str(i), row["algorithm"], score, "-" if p is None else f"{p:.3f}", mark,
                     "-" if row.get("fit_s") is None else f"{row['fit_s']:.2f}", row.get("run_id") or "-",
                     row.get("status", "")])
    header = ["#", "algorithm", job.metric, "p vs best", "vs best", "fit s", "run", "status"]
    print(format_table(rows, header) if rows else "No algorithm finished.")


def _adopt_remote_rows(job: Any) -> None:
    """The comparison ran in a worker process or on a cluster: read its rows back from its record.

    The worker wrote ``compares/<id>.json`` in the (shared) project folder as
    each algorithm finished (a cancelled one keeps the finished rows).
    """
    from workbench.engine import WorkbenchError, load_compare

    try:
        record = load_compare(job.project_root, job.compare_id)
    except WorkbenchError:
        return  # it never started: nothing to show
    job.task, job.metric, job.direction = record.get("task"), record.get("metric"), record.get("direction")
    job.rows = list(record.get("rows") or [])


def run_compare_command(args: argparse.Namespace) -> int:
    from workbench.cli.support import (
        EXIT_CANCELLED,
        clean_nan,
        print_json,
        run_job_in_process,
        run_job_interruptibly,
    )
    from workbench.engine import Cancelled, CompareJob, Project, build_run_spec

    project = Project.open(args.project)
    project.dataset(args.name)  # an unknown dataset fails here, before any work
    default = project.defaults.get("target") if args.name == project.defaults.get("dataset") else None
    keys = [k.strip() for k in args.algorithms.split(",") if k.strip()] if args.algorithms else None
    spec = build_run_spec(args.name, "baseline", target=args.target, task=args.task, default_target=default,
                          test_size=args.test_size, seed=args.seed, n_threads=args.threads)
    job = CompareJob(project.root, spec, keys, cv=args.cv, metric=args.metric, timeout=args.timeout)
    if args.task:  # names and metric can be checked before loading anything
        job.resolve()
    if not args.json:
        print(f"Comparison {job.compare_id}: {job.title}", file=sys.stderr)
    from workbench.cli.cluster import run_job_on_cluster, scheduler_address

    address = scheduler_address(args)
    # --executor process was accepted and ignored: the comparison ran here.
    in_worker = not address and (args.process or args.executor == "process")
    cancelled = False
    try:
        if address:
            run_job_on_cluster(job, _RowPrinter(quiet=args.json), address)
        elif in_worker:
            run_job_in_process(job, _RowPrinter(quiet=args.json))
        else:
            run_job_interruptibly(job, _RowPrinter(quiet=args.json))
    except Cancelled:
        cancelled = True
    if address or in_worker:
        _adopt_remote_rows(job)
    if args.json:
        print_json(clean_nan(json_document(job)))
    else:
        _print_table(job)
    if cancelled:
        print(f"Comparison cancelled; {len(job.rows)} finished row(s) kept.", file=sys.stderr)
        return EXIT_CANCELLED
    return 0
