"""What "Treat as missing" gives back on a file with its header line pasted into the data.

A CSV's header line repeated inside the data (concatenated exports, pasted
files) makes pandas read that column as text: the workbench then one-hot
encodes (linear models) or ordinal-codes (trees) its numbers as categories.
This trains, through the same ``TrainJob`` the GUI and CLI use, on

* ``clean``    the file as published,
* ``damaged``  the header line pasted every ``--every`` rows into ``--column``,
* ``treated``  the damaged file with ``missing_values=[<column name>]`` on it,

over ``--seeds`` holdout splits, and prints the median (min-max) of the test
score, plus the ONNX parity of one treated model.  Not a speed benchmark.

    .venv/bin/python bench/treat_as_missing.py            # the bundled diabetes sample, bmi
    .venv/bin/python bench/treat_as_missing.py --csv seattle-weather.csv --target temp_max \\
        --column temp_min --every 500 --drop date
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import _common  # noqa: F401 - puts the repository on sys.path
import pandas as pd

from workbench.engine import ColumnPrep, Project, RunSpec, TrainJob

DIABETES = _common.ROOT / "sample_projects" / "diabetes" / "data" / "diabetes.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, default=DIABETES)
    parser.add_argument("--target", default="progression")
    parser.add_argument("--column", default="bmi", help="the column the header line lands in")
    parser.add_argument("--every", type=int, default=60, help="paste the header every N rows")
    parser.add_argument("--drop", action="append", default=[], help="columns to leave out")
    parser.add_argument("--algorithms", default="ridge,random_forest,hist_gradient_boosting,xgboost")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)

    clean = pd.read_csv(args.csv).drop(columns=args.drop)
    damaged = clean.copy()
    values = damaged[args.column].astype(str)
    values.iloc[args.every // 2::args.every] = args.column  # the header line's cell in this column
    damaged[args.column] = values
    strays = int((values == args.column).sum())
    print(f"{args.csv.name}: {len(clean)} rows; header pasted {strays}x into '{args.column}' "
          f"(every {args.every} rows); load {_common.loadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = Project.init(root / "project")
        for name, frame in (("clean", clean), ("damaged", damaged)):
            frame.to_csv(root / f"{name}.csv", index=False)
            project.add_dataset(root / f"{name}.csv")
        treat = {args.column: ColumnPrep(missing_values=[args.column])}
        variants = (("clean", "clean", {}), ("damaged", "damaged", {}), ("treated", "damaged", treat))
        rows = []
        parity = None
        for algorithm in args.algorithms.split(","):
            scores: dict[str, list[float]] = {v: [] for v, _d, _p in variants}
            metric = ""
            for seed in range(args.seeds):
                for variant, dataset, prep in variants:
                    spec = RunSpec(dataset=dataset, algorithm=algorithm, target=args.target, seed=seed,
                                   preparation=prep, learning_curve=False)
                    run_id = TrainJob(project.root, spec).run()["run_id"]
                    result = json.loads((project.runs_dir / run_id / "result.json").read_text())
                    metric = "r2" if "r2" in result["metrics"] else "accuracy"
                    scores[variant].append(result["metrics"][metric])
                    if variant == "treated" and parity is None:
                        from workbench.engine.onnx.run_export import export_run

                        parity = (algorithm, export_run(project.root, run_id)["parity"])
            rows.append((algorithm, metric, scores))
    print(f"\n{'algorithm':<24}{'metric':<10}{'clean':>22}{'damaged':>22}{'treated':>22}{'treated-damaged':>18}")
    for algorithm, metric, scores in rows:
        cells = [f"{statistics.median(s):.3f} ({min(s):.3f}-{max(s):.3f})" for s in scores.values()]
        gain = statistics.median(scores["treated"]) - statistics.median(scores["damaged"])
        print(f"{algorithm:<24}{metric:<10}" + "".join(f"{c:>22}" for c in cells) + f"{gain:>+18.3f}")
    if parity is not None:
        algorithm, report = parity
        print(f"\nONNX parity ({algorithm}, treated): max |diff| {report['max_abs_diff']:.2e} "
              f"on {report['rows']} rows, within tolerance: {report['within_tolerance']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
