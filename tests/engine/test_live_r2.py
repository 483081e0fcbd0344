"""A regression XGBoost reports R² per round, so the live Metric panel has a score to plot."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.engine import JobContext, Project, RunSpec, TrainJob


def test_regression_history_carries_r2_for_train_and_validation(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    df["y"] = 3 * df.a + df.b**2 + rng.normal(0, 0.3, 400)
    df.to_csv(tmp_path / "r.csv", index=False)
    project = Project.init(tmp_path / "p")
    project.add_dataset(tmp_path / "r.csv")
    job = TrainJob(project.root, RunSpec(dataset="r", algorithm="xgboost", target="y",
                                         params={"n_estimators": 20, "early_stopping_rounds": 5}))
    job.run(JobContext())
    history = project.run(job.run_id).result.iterations
    last = history[-1]
    assert {"r2", "rmse"} <= set(last.train) and {"r2", "rmse"} <= set(last.valid)
    assert history[0].valid["r2"] < last.valid["r2"] <= 1.0  # it learns
    assert last.train["r2"] > 0.9
