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
    from workbench.cli.support import CliError
    from workbench.engine import atomic_write_text, load_table, open_predictor, predict_table

    if args.model:
        if len(args.inputs) != 1:
            raise CliError("predict --model FILE.onnx takes exactly one DATA file.")
        predictor, data_file = open_predictor(args.model), args.inputs[0]
    else:
        if len(args.inputs) != 3:
            raise CliError("predict needs PROJECT RUN FILE (or --model FILE.onnx DATA).")
        project_dir, run_id, data_file = args.inputs
        predictor = open_predictor(project_dir, run_id)
    table = predict_table(predictor, load_table(data_file), strict=True)
    for note in table.check.notes:
        print(note, file=sys.stderr)
    atomic_write_text(args.output, table.frame.to_csv(index=False))
    print(f"Wrote {len(table.frame):,} predictions to {args.output}", file=sys.stderr)
    return 0
