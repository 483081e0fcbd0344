"""``workbench threshold``: calibration of a binary classifier and where to cut.

Without ``--set`` it prints the reliability diagram (with counts) and
precision/recall/F1 (and cost, given ``--cost-fp``/``--cost-fn``) against the
threshold on the held-out rows.  ``--set 0.3`` (or ``--set f1`` / ``--set
cost``) saves the threshold with the run: ``predict``, the ONNX metadata and
serving then use it; ``--clear`` goes back to the model's own rule.
"""

from __future__ import annotations

import argparse
from typing import Any

from workbench.cli.support import ProgressPrinter, add_process_flag, clean_nan, format_table, format_value, job_runner
from workbench.cli.support import print_json


def add_parser(sub: Any) -> None:
    s = sub.add_parser("threshold", help="calibration curve and decision threshold of a binary classifier run")
    s.add_argument("project")
    s.add_argument("run")
    s.add_argument("--cost-fp", type=float, help="cost of one false positive")
    s.add_argument("--cost-fn", type=float, help="cost of one false negative")
    group = s.add_mutually_exclusive_group()
    group.add_argument("--set", dest="set_value", metavar="T|f1|cost",
                       help="save this threshold (a probability, or the best-F1 / least-cost one)")
    group.add_argument("--clear", action="store_true", help="remove the saved threshold")
    s.add_argument("--json", action="store_true")
    add_process_flag(s, "compute the curves")
    s.set_defaults(func=cmd_threshold)


def cmd_threshold(args: argparse.Namespace) -> int:
    from workbench.cli.support import CliError
    from workbench.engine import BinaryDiagnosticsJob, set_threshold

    job = BinaryDiagnosticsJob(args.project, args.run, cost_fp=args.cost_fp, cost_fn=args.cost_fn)
    data = clean_nan(job_runner(args)(job, ProgressPrinter(quiet=True)))
    curve = data["threshold"]
    saved = None
    if args.clear:
        saved = set_threshold(args.project, args.run, None)
    elif args.set_value:
        choice = args.set_value.strip().lower()
        if choice == "f1":
            value = curve["best_f1_threshold"]
        elif choice == "cost":
            if "min_cost_threshold" not in curve:
                raise CliError("--set cost needs --cost-fp and/or --cost-fn.")
            value = curve["min_cost_threshold"]
        else:
            try:
                value = float(choice)
            except ValueError:
                raise CliError(f"--set takes a probability, 'f1' or 'cost', not '{args.set_value}'.") from None
        saved = set_threshold(args.project, args.run, value)
    if saved is not None:
        data["chosen_threshold"] = saved["threshold"]
        data["saved"] = saved
    if args.json:
        print_json(data)
        return 0
    cal = data["calibration"]
    print(f"Positive class: {data['positive_class']}   held-out rows: {cal['rows']}   "
          f"Brier {format_value(cal['brier'])}   ECE {format_value(cal['ece'])}")
    print(format_table([[f"{b['lo']:.1f}-{b['hi']:.1f}", b["count"], format_value(b["mean_predicted"]),
                         format_value(b["fraction_positive"])] for b in cal["bins"]],
                       ["P bin", "rows", "mean predicted", "observed rate"]))
    rows = []
    for i, t in enumerate(curve["thresholds"]):
        if i % 10 == 9 or t in (curve["best_f1_threshold"], curve.get("min_cost_threshold")):
            row = [f"{t:.2f}", format_value(curve["precision"][i]), format_value(curve["recall"][i]),
                   format_value(curve["f1"][i])]
            if "cost" in curve:
                row.append(format_value(curve["cost"][i]))
            rows.append(row)
    print(format_table(rows, ["threshold", "precision", "recall", "f1"] + (["cost"] if "cost" in curve else [])))
    print(f"Best F1 at {curve['best_f1_threshold']:.2f}"
          + (f"; least cost at {curve['min_cost_threshold']:.2f}" if "min_cost_threshold" in curve else ""))
    chosen = data.get("chosen_threshold")
    print(f"Saved threshold: {chosen if chosen is not None else 'none (the model’s own rule, 0.5)'}"
          + (f" -> written to {', '.join(data['saved']['written'])}" if data.get("saved") else ""))
    return 0
