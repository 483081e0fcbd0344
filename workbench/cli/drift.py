"""``workbench drift PROJECT RUN FILE``: has the data moved on since training?

FILE is a data file or a ``workbench serve --log`` file.  ``--model
FILE.onnx`` uses the training profile stored in an exported model instead
of a run (a service started with ``serve --model`` has no project).  Exit status 0
either way (drift is a finding, not an error); ``--fail-on-drift`` makes a
drifted verdict exit 3, for scripts and schedulers.
"""

from __future__ import annotations

import sys
from typing import Any

EXIT_DRIFT = 3


def add_parser(subparsers: Any) -> None:
    from workbench.cli.support import add_process_flag

    s = subparsers.add_parser(
        "drift", help="compare new data (or a serve log) with a run's training data, per feature")
    s.add_argument("inputs", nargs="+", metavar="PROJECT RUN FILE",
                   help="the run and the new data: a data file, or a JSON-lines log written by "
                        "'workbench serve --log' (with --model: FILE alone)")
    s.add_argument("--model", help="an exported .onnx file (its stored training profile) instead of PROJECT RUN")
    s.add_argument("--json", action="store_true")
    s.add_argument("--fail-on-drift", action="store_true", help=f"exit {EXIT_DRIFT} when drift is found")
    add_process_flag(s, "check")
    s.set_defaults(func=cmd_drift)


def print_report(report: dict[str, Any], *, as_json: bool, stream: Any = None) -> None:
    from workbench.cli.support import clean_nan, print_json
    from workbench.engine import drift_summary_lines

    if as_json:
        print_json(clean_nan(public_report(report)))
        return
    for line in drift_summary_lines(report):
        print(line, file=stream or sys.stdout)


def public_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report without the plotting data (histograms) the window uses."""
    out = dict(report)
    out["features"] = [{k: v for k, v in f.items() if k != "histogram"} for f in report["features"]]
    return out


def cmd_drift(args: Any) -> int:
    from workbench.cli.support import CliError, ProgressPrinter, job_runner
    from workbench.engine import DriftJob

    if args.model:
        if len(args.inputs) != 1:
            raise CliError("drift --model FILE.onnx takes exactly one data FILE.")
        job = DriftJob(args.inputs[0], model_path=args.model)
    elif len(args.inputs) == 3:
        project, run, data = args.inputs
        job = DriftJob(data, project_root=project, run_id=run)
    else:
        raise CliError("drift needs PROJECT RUN FILE (or --model FILE.onnx FILE).")
    report = job_runner(args)(job, ProgressPrinter(quiet=True))
    print_report(report, as_json=args.json)
    return EXIT_DRIFT if args.fail_on_drift and report["drifted"] else 0
