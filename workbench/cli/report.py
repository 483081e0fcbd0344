"""``workbench report PROJECT RUN -o FILE.html``: one self-contained HTML file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workbench.cli.support import ProgressPrinter, add_process_flag, clean_nan, job_runner, print_json


def add_parser(sub: Any) -> None:
    s = sub.add_parser("report", help="write one self-contained HTML report of a run (opens offline)")
    s.add_argument("project")
    s.add_argument("run")
    s.add_argument("-o", "--output", required=True, help="the .html file to write")
    s.add_argument("--json", action="store_true")
    add_process_flag(s, "write the report")
    s.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from workbench.engine import ReportJob

    summary = clean_nan(job_runner(args)(ReportJob(args.project, args.run, args.output),
                                         ProgressPrinter(quiet=args.json)))
    if args.json:
        print_json(summary)
        return 0
    print(f"Wrote {summary['path']} ({summary['bytes'] / 1e6:.2f} MB, {summary['seconds']:.1f} s)")
    for note in summary["notes"]:
        print(f"warning: section {note}", file=sys.stderr)
    return 0
