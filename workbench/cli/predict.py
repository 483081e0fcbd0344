"""``workbench predict``: predictions for a file, with input problems named.

A run's model (``PROJECT RUN FILE``) or any exported model (``--model
FILE.onnx DATA``) go through the same check: missing feature columns and
values of the wrong type are one ``error:`` line naming the columns (with an
example value); extra columns are ignored and said so on stderr.
"""

from __future__ import annotations

import argparse
import sys


def run_predict_command(args: argparse.Namespace) -> int:
    from workbench.cli.support import CliError, check_output_path
    from workbench.engine import atomic_write_text, load_table, open_predictor, predict_table

    check_output_path(args.output)
    if args.model:
        if len(args.inputs) != 1:
            raise CliError("predict --model FILE.onnx takes exactly one DATA file.")
        predictor, data_file = open_predictor(args.model), args.inputs[0]
    else:
        if len(args.inputs) != 3:
            raise CliError("predict needs PROJECT RUN FILE (or --model FILE.onnx DATA).")
        project_dir, run_id, data_file = args.inputs
        predictor = open_predictor(project_dir, run_id)
    frame = load_table(data_file)
    table = predict_table(predictor, frame, strict=True)
    for note in table.check.notes:
        print(note, file=sys.stderr)
    atomic_write_text(args.output, table.frame.to_csv(index=False))
    print(f"Wrote {len(table.frame):,} predictions to {args.output}", file=sys.stderr)
    if getattr(args, "drift", False):
        print_drift(args, frame)
    return 0


def print_drift(args: argparse.Namespace, frame) -> None:
    """``--drift``: the data against the training rows' profile, on stderr."""
    from workbench.cli.drift import print_report
    from workbench.engine import drift_for_onnx, drift_for_run

    if args.model:
        report = drift_for_onnx(args.model, frame)
    else:
        report = drift_for_run(args.inputs[0], args.inputs[1], frame)
    print_report(report, as_json=False, stream=sys.stderr)
