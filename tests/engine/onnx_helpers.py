"""Shared by the ONNX tests: a small mixed dataset and a way to train on it.

Models are trained the way a user's run trains them: the training module's
``build_setup`` (schema inference + ``build_preprocessor``) and the catalog
entry's own factory and fitter.  Only the parameters are shrunk so the files
run in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.engine.catalog import BuildContext, FitData, get_algorithm
from workbench.engine.errors import SpecError
from workbench.engine.model import ModelInfo, TrainedModel
from workbench.engine.spec import RunSpec

# Small settings for speed; applied only where the algorithm has the parameter.
SMALL_PARAMS = {
    "n_estimators": 12,
    "iterations": 20,
    "max_iter": 60,
    "max_depth": 5,
    "n_neighbors": 7,
    "hidden_layer_sizes": 16,
    "n_clusters": 3,
}


def mixed_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Numeric (with NaN), categorical (with missing), boolean, datetime columns.

    Targets: ``species`` (3 string classes), ``sex`` (2 classes), ``mass``
    (regression).  The targets depend on every kind of column, so a broken
    conversion of any of them shows in the predictions.
    """
    rng = np.random.default_rng(seed)
    bill = rng.normal(44.0, 5.0, n)
    flipper = rng.normal(200.0, 14.0, n)
    depth = rng.normal(17.0, 2.0, n)
    island = rng.choice(["Biscoe", "Dream", "Torgersen"], n).astype(object)
    tagged = rng.random(n) < 0.4
    when = pd.Timestamp("2007-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 24, n), unit="h")
    score = (bill - 44) / 5 + (island == "Dream") * 1.2 - tagged * 0.8 + (when.month.to_numpy() > 6) * 0.7
    species = np.where(score < -0.6, "Adelie", np.where(score < 0.8, "Chinstrap", "Gentoo"))
    sex = np.where((depth - 17) / 2 + rng.normal(0, 0.7, n) > 0, "male", "female")
    mass = 3000 + 40 * (flipper - 200) + 300 * (island == "Biscoe") + 150 * tagged + rng.normal(0, 120, n)
    df = pd.DataFrame(
        {
            "bill_length": bill,
            "flipper_length": flipper,
            "bill_depth": depth,
            "island": island,
            "tagged": tagged,
            "observed": when.strftime("%Y-%m-%d %H:%M:%S"),
            "species": species,
            "sex": sex,
            "mass": mass,
        }
    )
    holes = rng.random((n, 4)) < 0.08
    df.loc[holes[:, 0], "bill_length"] = np.nan
    df.loc[holes[:, 1], "island"] = None
    df.loc[holes[:, 2], "flipper_length"] = np.nan
    df.loc[holes[:, 3], "observed"] = None
    return df


TARGETS = {"classification": "species", "regression": "mass", "clustering": None}
OTHER_TARGETS = ["species", "sex", "mass"]


def train(key: str, task: str, df: pd.DataFrame, *, target: str | None = "auto",
          params: dict | None = None, seed: int = 0, **spec_fields) -> TrainedModel:
    """Train catalog algorithm ``key`` for ``task`` on ``df`` as a run would.

    ``spec_fields`` go to the RunSpec (preparation, feature_selection, ...).
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from workbench.engine.training.problem import build_setup

    algorithm = get_algorithm(key)
    if target == "auto":
        target = TARGETS[task]
    chosen = {}
    for spec_ in algorithm.params_for(task):
        if spec_.name in SMALL_PARAMS:
            try:
                chosen[spec_.name] = spec_.validate(SMALL_PARAMS[spec_.name])
            except SpecError:
                pass  # a different meaning/type for this family: keep its default
    chosen.update(params or {})
    ignore = [c for c in OTHER_TARGETS if c != target and c in df.columns]
    spec = RunSpec(dataset="test", algorithm=key, target=target, task=task, params=chosen,
                   ignore=ignore, seed=seed, **spec_fields)
    setup = build_setup(df, spec, algorithm)
    prep = clone(setup.preprocessor)
    bctx = BuildContext(task=task, seed=seed, n_threads=1, n_classes=len(setup.classes))
    estimator = algorithm.factory(setup.params, bctx)
    Xt = prep.fit_transform(setup.X, setup.y) if setup.y is not None else prep.fit_transform(setup.X)
    data = FitData(task=task, X_train=Xt, y_train=setup.y, n_classes=len(setup.classes),
                   seed=seed, n_threads=1)
    if algorithm.capabilities.iterative and task != "clustering":
        # the real run carves a validation part; the last 10% stands in for it
        cut = int(len(Xt) * 0.9)
        data.X_train, data.X_valid = Xt[:cut], Xt[cut:]
        data.y_train, data.y_valid = setup.y[:cut], setup.y[cut:]
    algorithm.fitter(estimator, data)
    pipeline = Pipeline([("prep", prep), ("model", estimator)])
    info = ModelInfo(task=task, algorithm=key, features=setup.features, target=target,
                     classes=setup.classes)
    return TrainedModel(pipeline, info)


def onnx_cases() -> list[tuple[str, str]]:
    """Every (algorithm, task) the catalog says converts to ONNX."""
    from workbench.engine.catalog import algorithms

    return [(a.key, t) for a in algorithms() if a.capabilities.onnx for t in a.tasks]
