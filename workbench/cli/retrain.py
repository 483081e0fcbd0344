"""``workbench retrain PROJECT RUN NEW_DATASET``: the same spec on new data, compared fairly."""

from __future__ import annotations

from typing import Any


def add_parser(subparsers: Any) -> None:
    from workbench.cli.support import add_process_flag

    s = subparsers.add_parser(
        "retrain", help="train a run's spec on new data; score old and new model on the new held-out rows")
    s.add_argument("project")
    s.add_argument("run")
    s.add_argument("new_dataset", metavar="NEW_DATASET", help="a dataset name of the project, or a data file")
    s.add_argument("--append", action="store_true",
                   help="train on the run's data with the new rows appended (saved as a new dataset)")
    s.add_argument("--json", action="store_true")
    add_process_flag(s, "retrain")
    s.set_defaults(func=cmd_retrain)


def cmd_retrain(args: Any) -> int:
    from workbench.cli.support import clean_nan, format_table, format_value, job_runner, print_json
    from workbench.engine import RetrainJob

    job = RetrainJob(args.project, args.run, args.new_dataset, append=args.append)
    printer = None if args.json else _progress_printer()
    report = job_runner(args)(job, printer or (lambda event: None))
    if args.json:
        print_json(clean_nan(report))
        return 0
    c = report["comparison"]
    names = [c["metric"]] + [k for k in c["new"] if k != c["metric"] and
                             (isinstance(c["new"].get(k), (int, float)) or isinstance(c["old"].get(k), (int, float)))]
    rows = [[("* " if k == c["metric"] else "  ") + k, format_value(c["old"].get(k)), format_value(c["new"].get(k))]
            for k in names]
    print(f"New run {report['run_id']} (parent {report['parent_run']}), trained on {report['dataset']}.")
    print(f"Both models scored on {c['evaluated_on']}:")
    print(format_table(rows, ["metric", f"old ({report['parent_run']})", "new"]))
    verdict = {"new": "the new model wins", "old": "the old model wins (keep it)", "tie": "a tie"}[c["winner"]]
    print(f"On {c['metric']} ({'higher' if c['direction'] == 'max' else 'lower'} is better): {verdict}.")
    return 0


def _progress_printer():
    from workbench.cli.support import ProgressPrinter

    return ProgressPrinter(quiet=False)
