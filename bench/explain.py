"""Explanations: what they cost next to the training, and the batched partial dependence.

1. Partial dependence of one feature on 300 rows (20 grid points) through a
   whole pipeline: ours (every grid point in ONE pipeline call) against
   ``sklearn.inspection.partial_dependence`` (one call per grid point).
2. ``ExplainJob`` (10 rows, global importance, partial dependence of the top 5
   features) against the run's own training time, for XGBoost (exact
   TreeSHAP) and a random forest (sampled Shapley values), on a synthetic
   table of ``--rows`` rows.

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python bench/explain.py --rows 20000 --repeats 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import announce, fmt_s, machine, print_table, ratio, summary, synthetic_frame, timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--columns", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import numpy as np
    from sklearn.inspection import partial_dependence

    from workbench.engine import ExplainJob, Project, RunSpec, TrainJob
    from workbench.engine.explain.dependence import feature_grid, partial_dependence_curves

    print(machine())
    frame = synthetic_frame(args.rows, args.columns)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        frame.to_csv(tmp / "table.csv", index=False)
        project = Project.init(tmp / "p")
        project.add_dataset(tmp / "table.csv")
        rows = []
        pdp_rows = []
        for algorithm, params in (("xgboost", {"n_estimators": 200}), ("random_forest", {"n_estimators": 100})):
            fit, explain = [], []
            for r in range(args.repeats):
                job = TrainJob(project.root, RunSpec(dataset="table", algorithm=algorithm, target="y",
                                                     params=params, seed=r, n_threads=1, learning_curve=False))
                with announce(f"train {algorithm}"):
                    t, _ = timed(job.run)
                fit.append(t)
                with announce(f"explain {algorithm}"):
                    t, out = timed(lambda: ExplainJob(project.root, job.run_id, rows=10, use_cache=False).run())
                explain.append(t)
            f, e = summary(fit), summary(explain)
            rows.append([algorithm, out["method"], fmt_s(f), fmt_s(e), f"{ratio(e, f):.2f}",
                         out["sample"].get("permutations", "-"), len(out["partial_dependence"])])

            # Partial dependence of the top feature: batched vs scikit-learn's loop.
            model = project.run(job.run_id).load_model()
            X = model.coerce(project.load_dataset("table").iloc[:300])
            name = out["global"][0]["feature"]
            categorical = X[name].dtype == object
            grid = feature_grid(X[name], categorical)
            Xs = X.astype({c: np.float64 for c in X.columns if X[c].dtype == np.float32})
            ours, theirs = [], []
            for _ in range(args.repeats):
                ours.append(timed(lambda: partial_dependence_curves(model, X, [name]))[0])
                theirs.append(timed(lambda: partial_dependence(
                    model.pipeline, Xs, [name], kind="both", custom_values={name: grid},
                    categorical_features=[name] if categorical else None))[0])
            o, t = summary(ours), summary(theirs)
            pdp_rows.append([algorithm, name, fmt_s(o), fmt_s(t), f"{ratio(t, o):.1f}"])
    print_table(f"ExplainJob vs training ({args.rows:,} rows x {args.columns} columns, median (min-max))",
                ["algorithm", "method", "training", "explanation", "explain/train", "permutations", "PDP features"],
                rows)
    print_table("Partial dependence of one feature, 300 rows x 20 grid points",
                ["algorithm", "feature", "batched (ours)", "sklearn partial_dependence", "sklearn / ours"], pdp_rows)


if __name__ == "__main__":
    main()
