"""``workbench predict``: predictions for a file, with input problems named.

A run's model (``PROJECT RUN FILE``) or any exported model (``--model
FILE.onnx DATA``) go through the same check: missing feature columns and
values of the wrong type are one ``error:`` line naming the columns (with an
example value); extra columns are ignored and said so on stderr.  The work
is a ``PredictJob`` (in a worker process with ``--process``).
"""

from __future__ import annotations

import argparse
import os
import sys


def run_predict_command(args: argparse.Namespace) -> int:
    from workbench.cli.support import CliError, ProgressPrinter, check_output_path, job_runner
    from workbench.engine import PredictJob

    check_output_path(args.output)
    output = os.path.abspath(args.output)
    if args.model:
        if len(args.inputs) != 1:
            raise CliError("predict --model FILE.onnx takes exactly one DATA file.")
        job = PredictJob(output, model_path=os.path.abspath(args.model), data_path=os.path.abspath(args.inputs[0]),
                         drift=bool(getattr(args, "drift", False)))
    else:
        if len(args.inputs) != 3:
            raise CliError("predict needs PROJECT RUN FILE (or --model FILE.onnx DATA).")
        project_dir, run_id, data_file = args.inputs
        job = PredictJob(output, project_root=os.path.abspath(project_dir), run_id=run_id,
                         data_path=os.path.abspath(data_file), drift=bool(getattr(args, "drift", False)))
    summary = job_runner(args)(job, ProgressPrinter(quiet=True))
    for note in summary["notes"]:
        print(note, file=sys.stderr)
    print(f"Wrote {summary['rows']:,} predictions to {args.output}", file=sys.stderr)
    if job.drift:
        print_drift(summary)
    return 0


def print_drift(summary: dict) -> None:
    """``--drift``: the data against the training rows' profile, on stderr."""
    from workbench.cli.drift import print_report
    from workbench.cli.support import CliError

    if summary.get("drift") is None:
        raise CliError(summary.get("drift_error") or "no drift report for this model.")
    print_report(summary["drift"], as_json=False, stream=sys.stderr)
