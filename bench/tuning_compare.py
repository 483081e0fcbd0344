"""Bayesian (TPE) vs random search at equal trial counts on the sample projects.

Prints, per sample project and seed, the best cross-validated score each
strategy found with the same number of trials, and the mean over seeds.
Not part of the test suite; run it on a quiet machine::

    OMP_NUM_THREADS=1 .venv/bin/python bench/tuning_compare.py --trials 20 --seeds 3

Pruning is off so both strategies evaluate every trial fully.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.engine import JobContext, Project, RunSpec, get_algorithm  # noqa: E402
from workbench.engine.tuning.space import tunable_params  # noqa: E402
from workbench.engine.tuning.job import TuneJob  # noqa: E402

# (sample project, algorithm, range overrides keeping each fit small)
CASES = [
    ("penguins_sex", "random_forest", {"n_estimators": "10:60"}),
    ("wine", "svm", {}),
    ("diabetes", "elastic_net", {}),
]


def run_case(folder: Path, algorithm: str, overrides: dict, strategy: str, trials: int, seed: int) -> tuple[float, str, float]:
    project = Project.open(folder)
    d = project.defaults
    spec = RunSpec(dataset=d["dataset"], algorithm=algorithm, target=d["target"], task=d.get("task"), seed=0)
    # Search every tunable parameter; the overrides only narrow some ranges.
    include = [p.name for p in tunable_params(get_algorithm(algorithm), d.get("task"))]
    job = TuneJob(folder, spec, strategy=strategy, n_trials=trials, cv=3, seed=seed,
                  space_overrides=overrides, include=include, prune=False)
    t0 = time.time()
    result = job.run(JobContext())
    return result["best"]["score"], result["metric"], time.time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sample, algorithm, overrides in CASES:
            folder = Path(tmp) / sample
            shutil.copytree(ROOT / "sample_projects" / sample, folder,
                            ignore=shutil.ignore_patterns("runs", "tunes", ".workbench-cache"))
            scores: dict[str, list[float]] = {"random": [], "bayes": []}
            metric = ""
            for seed in range(args.seeds):
                for strategy in ("random", "bayes"):
                    score, metric, seconds = run_case(folder, algorithm, overrides, strategy, args.trials, seed)
                    scores[strategy].append(score)
                    print(f"  {sample:<14} {algorithm:<14} seed {seed} {strategy:<6} {metric} {score:.4f} "
                          f"({seconds:.1f} s)", file=sys.stderr)
            rows.append((sample, algorithm, metric, scores))
    print(f"\nBest CV score after {args.trials} trials (3-fold CV of the training part), {args.seeds} seed(s)")
    print(f"{'sample':<14} {'algorithm':<14} {'metric':<9} {'random (per seed)':<28} {'bayes (per seed)':<28} "
          f"{'random mean':>11} {'bayes mean':>11}")
    for sample, algorithm, metric, scores in rows:
        per = {k: " ".join(f"{v:.4f}" for v in vs) for k, vs in scores.items()}
        print(f"{sample:<14} {algorithm:<14} {metric:<9} {per['random']:<28} {per['bayes']:<28} "
              f"{statistics.mean(scores['random']):>11.4f} {statistics.mean(scores['bayes']):>11.4f}")


if __name__ == "__main__":
    main()
