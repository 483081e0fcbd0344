"""Every catalog entry builds, fits (through its own fitter) and predicts.

Iterative learners must stream per-iteration train AND valid metrics with
rising steps, and stop promptly with Cancelled when the token is set.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine.catalog import BuildContext, FitData, algorithms, get_algorithm
from workbench.engine.errors import Cancelled
from workbench.engine.jobs.events import CancelToken, Iteration, JobContext

# Small sizes keep the whole file fast; defaults are exercised by test_catalog.
SMALL = {
    "random_forest": {"n_estimators": 20},
    "extra_trees": {"n_estimators": 20},
    "bagging": {"n_estimators": 10},
    "gradient_boosting": {"n_estimators": 20},
    "hist_gradient_boosting": {"max_iter": 20},
    "xgboost": {"n_estimators": 20},
    "lightgbm": {"n_estimators": 20},
    "catboost": {"iterations": 30},
    "mlp": {"max_iter": 40, "hidden_units": 16, "batch_size": 32, "learning_rate_init": 0.02},
    "decision_tree": {"max_depth": 4},
    "sgd": {"max_iter": 20},
    "voting": {"n_estimators": 10},
    "stacking": {"n_estimators": 10, "cv": 2},
    "kmeans": {"n_clusters": 3},
    "agglomerative": {"n_clusters": 3},
}


def _scaled(X):
    X = np.asarray(X, dtype=np.float64)
    return ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)


@pytest.fixture(scope="module")
def datasets():
    from sklearn.datasets import load_diabetes, load_wine, make_blobs

    wine = load_wine()
    diabetes = load_diabetes()
    blobs, _ = make_blobs(n_samples=300, centers=3, n_features=4, random_state=0)
    rng = np.random.default_rng(0)

    def split(X, y):
        idx = rng.permutation(len(y))
        cut = int(len(y) * 0.75)
        return X[idx[:cut]], y[idx[:cut]], X[idx[cut:]], y[idx[cut:]]

    return {
        "classification": split(_scaled(wine.data), wine.target.astype(np.int64)),
        "regression": split(_scaled(diabetes.data), diabetes.target.astype(np.float64)),
        "clustering": (blobs.astype(np.float32), None, None, None),
    }


def _fit(key, task, datasets, ctx=None, **params):
    algo = get_algorithm(key)
    X, y, Xv, yv = datasets[task]
    n_classes = int(y.max()) + 1 if task == "classification" else 0
    valid = algo.validate_params({**SMALL.get(key, {}), **params}, task)
    estimator = algo.factory(valid, BuildContext(task=task, seed=0, n_threads=1, n_classes=n_classes))
    data = FitData(task=task, X_train=X, y_train=y, X_valid=Xv, y_valid=yv,
                   n_classes=n_classes, seed=0, n_threads=1, ctx=ctx)
    return estimator, algo.fitter(estimator, data)


def _recorder():
    events = []
    return events, JobContext(events.append)


def _cancel_after_three_points():
    """A context that asks to cancel as soon as the third live point arrives."""
    token = CancelToken()
    steps = []

    def emit(event):
        if isinstance(event, Iteration):
            steps.append(event.step)
            if len(steps) == 3:
                token.cancel()

    return steps, JobContext(emit, token)


CASES = [(a.key, task) for a in algorithms() for task in a.tasks]


@pytest.mark.parametrize(("key", "task"), CASES, ids=[f"{k}-{t[:3]}" for k, t in CASES])
def test_fit_and_predict(key, task, datasets):
    events, ctx = _recorder()
    estimator, info = _fit(key, task, datasets, ctx)
    X, y, Xv, yv = datasets[task]
    if task == "clustering":
        labels = estimator.labels_ if key == "agglomerative" else estimator.predict(X)
        assert len(set(labels)) == 3
        return
    pred = estimator.predict(Xv)
    assert pred.shape == (len(yv),)
    if key == "baseline":  # ignores the features by design: the majority class / the mean
        assert len(set(pred.tolist())) == 1
        return
    if task == "classification":
        assert np.mean(pred == yv) > 0.7  # wine is easy; this catches a broken fit
    else:
        assert np.sqrt(np.mean((pred - yv) ** 2)) < np.std(yv)  # beats predicting the mean
    iterations = [e for e in events if isinstance(e, Iteration)]
    if get_algorithm(key).capabilities.iterative:
        assert len(iterations) >= 2
        steps = [e.step for e in iterations]
        assert steps == sorted(set(steps)) and steps[0] >= 1
        for e in iterations:
            assert e.train and e.train.keys() == e.valid.keys()
            assert all(np.isfinite(v) for v in {**e.train, **e.valid}.values())
        expected = "accuracy" if task == "classification" else "rmse"
        assert expected in iterations[-1].valid
        assert info.n_iterations
    else:
        assert not iterations


ITERATIVE = [(k, t) for k, t in CASES if get_algorithm(k).capabilities.iterative]


@pytest.mark.parametrize(("key", "task"), ITERATIVE, ids=[f"{k}-{t[:3]}" for k, t in ITERATIVE])
def test_cancel_mid_fit_raises_promptly(key, task, datasets):
    steps, ctx = _cancel_after_three_points()
    big = {"n_estimators": 400} if "n_estimators" in SMALL.get(key, {}) else {}
    if key == "hist_gradient_boosting":
        big = {"max_iter": 400}
    if key in ("mlp", "sgd"):
        big = {"max_iter": 400, "early_stopping_rounds": 0}
    with pytest.raises(Cancelled):
        _fit(key, task, datasets, ctx, **big)
    assert len(steps) == 3  # nothing ran after the cancel


def test_cancel_is_not_swallowed_by_xgboost_callback(datasets):
    # A BaseException raised inside XGBoost's TrainingCallback must reach us.
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        _fit("xgboost", "classification", datasets, JobContext(cancel=token))


def test_hist_gradient_boosting_model_holds_no_probe(datasets):
    import skops.io as sio

    events, ctx = _recorder()
    estimator, _ = _fit("hist_gradient_boosting", "classification", datasets, ctx)
    assert estimator.get_params()["scoring"] == "loss"
    assert getattr(estimator, "_scorer", None) is None
    blob = sio.dumps(estimator)
    sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))


def test_xgboost_early_stopping_sets_best_iteration(datasets):
    events, ctx = _recorder()
    estimator, info = _fit(
        "xgboost", "classification", datasets, ctx,
        n_estimators=500, learning_rate=0.5, early_stopping_rounds=5,
    )
    assert info.best_iteration is not None and 1 <= info.best_iteration < 500
    assert info.n_iterations < 500  # it really stopped
    assert info.device == "cpu"
    assert estimator.get_params()["callbacks"] is None  # nothing job-bound is saved


@pytest.mark.parametrize("key", ["gradient_boosting", "hist_gradient_boosting", "mlp"])
def test_early_stopping_stops_on_validation_loss(key, datasets):
    size = {"gradient_boosting": "n_estimators", "hist_gradient_boosting": "max_iter", "mlp": "max_iter"}[key]
    extra = {"learning_rate": 0.9} if key != "mlp" else {"learning_rate_init": 0.05}
    events, ctx = _recorder()
    _, info = _fit(key, "classification", datasets, ctx, **{size: 1000}, early_stopping_rounds=3, **extra)
    assert info.best_iteration is not None
    assert info.n_iterations < 1000


def test_svm_gives_probabilities_by_default_and_can_skip_them(datasets):
    est, _ = _fit("svm", "classification", datasets)
    X = datasets["classification"][2]
    assert np.allclose(est.predict_proba(X).sum(axis=1), 1.0)
    est, _ = _fit("svm", "classification", datasets, probability=False)
    assert not hasattr(est, "predict_proba")


# mlp/sgd stop early by default and then restore the best epoch's weights.
_NO_EARLY_STOP = {"mlp": {"early_stopping_rounds": 0}, "sgd": {"early_stopping_rounds": 0}}


@pytest.fixture(scope="module")
def binary():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X, y = _scaled(data.data), data.target.astype(np.int64)
    return {"classification": (X[:400], y[:400], X[400:], y[400:])}


@pytest.mark.parametrize("key", [k for k, t in ITERATIVE if t == "classification"])
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_last_live_metrics_match_the_fitted_model(key, kind, datasets, binary):
    # The live curve is computed incrementally; its last point must equal the
    # metrics of the finished model (no early stopping here).
    from sklearn.metrics import accuracy_score, log_loss

    source = binary if kind == "binary" else datasets
    events, ctx = _recorder()
    estimator, _ = _fit(key, "classification", source, ctx, **_NO_EARLY_STOP.get(key, {}))
    _, _, Xv, yv = source["classification"]
    last = [e for e in events if isinstance(e, Iteration)][-1].valid
    proba = estimator.predict_proba(Xv)
    assert last["logloss"] == pytest.approx(log_loss(yv, proba), rel=1e-4)
    assert last["accuracy"] == pytest.approx(accuracy_score(yv, proba.argmax(axis=1)))


@pytest.mark.parametrize("key", [k for k, t in ITERATIVE if t == "regression"])
def test_last_live_regression_metrics_match_the_fitted_model(key, datasets):
    events, ctx = _recorder()
    estimator, _ = _fit(key, "regression", datasets, ctx, **_NO_EARLY_STOP.get(key, {}))
    _, _, Xv, yv = datasets["regression"]
    last = [e for e in events if isinstance(e, Iteration)][-1].valid
    rmse = float(np.sqrt(np.mean((estimator.predict(Xv) - yv) ** 2)))
    assert last["rmse"] == pytest.approx(rmse, rel=1e-4)


@pytest.mark.parametrize(("key", "task"), ITERATIVE, ids=[f"{k}-{t[:3]}" for k, t in ITERATIVE])
def test_iterative_fit_without_validation_rows(key, task, datasets):
    # Cross-validation folds may come without a validation split: train curve only.
    X, y, _, _ = datasets[task]
    events, ctx = _recorder()
    stop = {"early_stopping_rounds": 3} if get_algorithm(key).capabilities.early_stopping else {}
    _fit(key, task, {task: (X, y, None, None)}, ctx, **stop)
    iterations = [e for e in events if isinstance(e, Iteration)]
    assert iterations and all(e.train and not e.valid for e in iterations)


def test_mlp_regression_learns_an_unscaled_target(datasets):
    # diabetes' target is ~25..346: an MLP fitted on it raw stopped at r2 -1.4.
    # Default parameters, as a user's first run has them.
    events, ctx = _recorder()
    X, y, Xv, yv = datasets["regression"]
    algo = get_algorithm("mlp")
    estimator = algo.factory(algo.validate_params({}, "regression"),
                             BuildContext(task="regression", seed=0, n_threads=1))
    info = algo.fitter(estimator, FitData(task="regression", X_train=X, y_train=y, X_valid=Xv,
                                          y_valid=yv, seed=0, n_threads=1, ctx=ctx))
    pred = estimator.predict(Xv)
    r2 = 1.0 - np.mean((pred - yv) ** 2) / np.var(yv)
    assert r2 > 0.3
    # live curves and early stopping speak the target's own units
    best = [e for e in events if isinstance(e, Iteration)][info.best_iteration - 1]
    assert best.valid["rmse"] == pytest.approx(np.sqrt(np.mean((pred - yv) ** 2)), rel=1e-6)
    assert info.n_iterations < 200


def test_standardized_mlp_keeps_its_scale_across_partial_fits_and_clones():
    from sklearn.base import clone

    from workbench.engine.learners.target_scaling import StandardizedMLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = 1000.0 + 50.0 * X[:, 0]
    est = StandardizedMLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    est.partial_fit(X, y)
    mean, scale = est.y_mean_.copy(), est.y_scale_.copy()
    est.partial_fit(X, y + 500.0)  # a later epoch must not re-learn the scale
    assert est.y_mean_ == pytest.approx(mean) and est.y_scale_ == pytest.approx(scale)
    assert mean[0] == pytest.approx(1000.0, abs=10) and scale[0] == pytest.approx(50.0, rel=0.2)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "y_mean_")
    # a constant target has no spread: no division by zero
    constant = StandardizedMLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with pytest.warns(Warning):  # not converged in 5 iterations
        constant.fit(X, np.full(200, 7.0))
    assert constant.y_scale_[0] == 1.0 and constant.y_mean_[0] == 7.0
    assert np.isfinite(constant.predict(X)).all()


def test_hist_gradient_boosting_caps_its_openmp_threads(datasets, monkeypatch):
    # It has no n_jobs: its OpenMP pool must follow the job's thread count
    # (here 1) and drop to one thread on a small table whatever the count
    # (2 threads on 300 rows: 4-12 s instead of 0.3 s on a busy machine).
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_info, threadpool_limits

    seen = []
    original = HistGradientBoostingClassifier.fit

    def recording_fit(self, *args, **kwargs):
        seen.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", recording_fit)
    with threadpool_limits(limits=2, user_api="openmp"):
        _fit("hist_gradient_boosting", "classification", datasets)
        after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
    assert seen and all(n == 1 for n in seen[0])
    assert after == [2] * len(after)  # restored for whatever runs next


@pytest.mark.parametrize("key", ["random_forest", "extra_trees"])
def test_forest_on_two_threads_is_a_plain_fit_with_a_point_per_tree(key, datasets):
    # Forests grow in one fit call with a per-tree hook (no warm-start chunks,
    # whose boundaries idled a thread); the model must be the stock one.
    algo = get_algorithm(key)
    X, y, Xv, yv = datasets["classification"]
    events, ctx = _recorder()
    params = algo.validate_params({"n_estimators": 24}, "classification")
    build = BuildContext(task="classification", seed=0, n_threads=2, n_classes=3)
    forest = algo.factory(params, build)
    algo.fitter(forest, FitData(task="classification", X_train=X, y_train=y, X_valid=Xv, y_valid=yv,
                                n_classes=3, seed=0, n_threads=2, ctx=ctx))
    plain = algo.factory(params, build).fit(X, y)
    np.testing.assert_array_equal(forest.predict_proba(Xv), plain.predict_proba(Xv))
    assert {type(t) for t in forest.estimators_} == {type(plain.estimators_[0])}
    assert type(forest.estimator) is type(plain.estimator)
    assert [e.step for e in events if isinstance(e, Iteration)] == list(range(1, 25))


def test_forest_cancel_on_two_threads_stops_within_a_few_trees(datasets):
    algo = get_algorithm("random_forest")
    X, y, Xv, yv = datasets["classification"]
    steps, ctx = _cancel_after_three_points()
    forest = algo.factory(algo.validate_params({"n_estimators": 400}, "classification"),
                          BuildContext(task="classification", seed=0, n_threads=2, n_classes=3))
    with pytest.raises(Cancelled):
        algo.fitter(forest, FitData(task="classification", X_train=X, y_train=y, X_valid=Xv, y_valid=yv,
                                    n_classes=3, seed=0, n_threads=2, ctx=ctx))
    assert len(steps) <= 4  # the tree in flight on the other thread may still report
    assert type(forest.estimator).__name__ == "DecisionTreeClassifier"
