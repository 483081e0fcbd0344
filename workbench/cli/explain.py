"""``workbench explain``: why a run's model predicts what it does.

Per-row contributions (exact TreeSHAP for XGBoost, sampled Shapley values
otherwise: the JSON says which), global mean |contribution| and partial
dependence of the top features.  Ctrl-C cancels.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workbench.cli.support import (
    ProgressPrinter,
    add_process_flag,
    clean_nan,
    format_table,
    format_value,
    job_runner,
    print_json,
)


def add_parser(sub: Any) -> None:
    s = sub.add_parser("explain", help="per-row feature contributions, importance and partial dependence of a run")
    s.add_argument("project")
    s.add_argument("run")
    s.add_argument("file", nargs="?", help="rows to explain (default: the run's held-out rows)")
    s.add_argument("--rows", type=_rows, default=10, help="rows to explain (default 10)")
    s.add_argument("--json", action="store_true")
    add_process_flag(s, "explain")
    s.set_defaults(func=cmd_explain)


def _rows(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if not 1 <= v <= 10_000:
        raise argparse.ArgumentTypeError(f"must be between 1 and 10000, got {text}")
    return v


def cmd_explain(args: argparse.Namespace) -> int:
    from workbench.engine import ExplainJob

    job = ExplainJob(args.project, args.run, args.file, rows=args.rows)
    data = clean_nan(job_runner(args)(job, ProgressPrinter(quiet=args.json)))
    if args.json:
        print_json(data)
        return 0
    base = data["base_value"]
    print(f"Run {data['run_id']}: {data['method_text']}")
    print(f"Output explained: {data['output']}; base value {format_value(base) if base is not None else 'per row'}")
    for row in data["rows"]:
        cls = f" (class {row['class']})" if "class" in row else ""
        print(f"\nRow {row['index']}: prediction {row['prediction']}{cls}, raw output {format_value(row['raw_output'])} "
              f"= base {format_value(row['base_value'])} + contributions")
        ranked = sorted(row["contributions"].items(), key=lambda kv: -abs(kv[1]))
        print(format_table([[k, format_value(row["values"].get(k)), f"{v:+.4g}"] for k, v in ranked],
                     ["feature", "value", "contribution"]))
    print("\nGlobal importance (mean |contribution|):")
    print(format_table([[g["feature"], format_value(g["mean_abs"])] for g in data["global"]], ["feature", "mean_abs"]))
    sample = data.get("sample") or {}
    print(f"\nPartial dependence on {sample.get('pdp_rows')} sampled rows: "
          + (", ".join(data["partial_dependence"]) or "none"))
    for note in data.get("notes") or []:
        print(f"note: {note}", file=sys.stderr)
    return 0
