"""Fitters that report per-iteration train/valid metrics and honour cancel.

Every fitter here follows the catalog contract ``fitter(estimator, FitData)
-> FitInfo``: it fits ``estimator`` in place, calls ``ctx.check()`` at every
iteration (so a cancel raises :class:`Cancelled` from inside the library's
loop), and emits ``ctx.iteration(step, train={...}, valid={...})`` with the
same metric names on both sides: ``logloss`` + ``accuracy`` for
classification, ``rmse`` + ``mae`` for regression.

Training metrics are computed on a fixed random sample of at most
``TRAIN_SAMPLE_ROWS`` rows: scoring the whole training set every round costs
as much as the training itself (docs/findings.md).

Metrics are plain numpy (no scikit-learn import at module level, so the
catalog stays cheap to import).
"""

from __future__ import annotations

import contextlib
import copy
import math
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from workbench.engine.learners.base import FitData, FitInfo
from workbench.engine.errors import TrainingError

TRAIN_SAMPLE_ROWS = 10_000
# Below this many training rows an OpenMP fit runs on one thread: each
# parallel region has only a few hundred rows per thread, so waking and
# joining the second thread costs more than it saves, and on a busy machine
# it costs a scheduler time slice per region (HistGradientBoosting on the
# 344-row penguins sample: 4-12 s on 2 threads vs 0.2-0.3 s on 1).
SMALL_DATA_ROWS = 20_000
_EPS = float(np.finfo(np.float64).eps)


# -- metrics ------------------------------------------------------------------
def classification_metrics(
    y: np.ndarray, proba: np.ndarray | None, labels: np.ndarray | None = None
) -> dict[str, float]:
    """``logloss`` (when probabilities exist) and ``accuracy``.

    ``proba`` has one column per class code 0..K-1; ``labels`` are predicted
    codes, used when the model gives no probabilities (hard voting, hinge SGD).
    """
    y = np.asarray(y).astype(np.int64)
    if proba is None:
        return {"accuracy": float(np.mean(np.asarray(labels) == y))}
    # Clipped like sklearn.metrics.log_loss, so both report the same number.
    proba = np.clip(np.asarray(proba, dtype=np.float64), _EPS, 1.0 - _EPS)
    picked = proba[np.arange(len(y)), np.clip(y, 0, proba.shape[1] - 1)]
    return {
        "logloss": float(-np.mean(np.log(picked))),
        "accuracy": float(np.mean(np.argmax(proba, axis=1) == y)),
    }


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    err = np.asarray(pred, dtype=np.float64).ravel() - np.asarray(y, dtype=np.float64).ravel()
    return {"rmse": float(math.sqrt(np.mean(err * err))), "mae": float(np.mean(np.abs(err)))}


def full_proba(estimator: Any, proba: np.ndarray, n_classes: int) -> np.ndarray:
    """Widen ``proba`` to K columns when the fit saw only some class codes."""
    classes = getattr(estimator, "classes_", None)
    if classes is None or n_classes <= 0 or proba.shape[1] == n_classes:
        return proba
    out = np.zeros((proba.shape[0], n_classes))
    out[:, np.asarray(classes, dtype=int)] = proba
    return out


def estimator_metrics(estimator: Any, X: Any, y: Any, data: FitData) -> dict[str, float]:
    """Metrics of a (partly) fitted estimator on ``X``, by predicting it whole."""
    if data.task == "classification":
        if _has_proba(estimator):
            proba = full_proba(estimator, np.asarray(estimator.predict_proba(X)), data.n_classes)
            return classification_metrics(y, proba)
        return classification_metrics(y, None, estimator.predict(X))
    return regression_metrics(y, estimator.predict(X))


def _has_proba(estimator: Any) -> bool:
    # hasattr runs the available_if check (e.g. hard voting, hinge loss).
    try:
        return hasattr(estimator, "predict_proba")
    except Exception:  # noqa: BLE001 - any failure means "no probabilities"
        return False


def primary_loss(scores: dict[str, float]) -> float:
    """The number early stopping minimises: logloss, else error rate, else rmse."""
    if "logloss" in scores:
        return scores["logloss"]
    if "accuracy" in scores:
        return 1.0 - scores["accuracy"]
    return scores["rmse"]


def raw_to_prediction(raw: np.ndarray, task: str) -> np.ndarray:
    """Boosting raw scores (n, K) -> class probabilities or regression values.

    Binary log-loss boosters keep one column (the log-odds of class 1),
    multiclass ones K columns of logits; regression is the identity here.
    """
    if task != "classification":
        return raw[:, 0]
    if raw.shape[1] == 1:
        p1 = 1.0 / (1.0 + np.exp(-raw[:, 0]))
        return np.column_stack([1.0 - p1, p1])
    z = raw - raw.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def prediction_metrics(y: np.ndarray, pred: np.ndarray, task: str) -> dict[str, float]:
    if task == "classification":
        return classification_metrics(y, pred)
    return regression_metrics(y, pred)


# -- shared plumbing ----------------------------------------------------------
def train_sample(data: FitData) -> tuple[Any, Any]:
    """A fixed random sample of the training rows (all of them if few)."""
    n = data.X_train.shape[0]
    if n <= TRAIN_SAMPLE_ROWS:
        return data.X_train, data.y_train
    idx = np.sort(np.random.default_rng(data.seed).choice(n, TRAIN_SAMPLE_ROWS, replace=False))
    return data.X_train[idx], np.asarray(data.y_train)[idx]


def has_valid(data: FitData) -> bool:
    return data.X_valid is not None and data.y_valid is not None and len(data.y_valid) > 0


class Reporter:
    """Checks the cancel token and emits one Iteration (+ progress) per step."""

    def __init__(self, data: FitData, total: int) -> None:
        self.ctx = data.ctx
        self.total = max(int(total), 1)

    def check(self) -> None:
        if self.ctx is not None:
            self.ctx.check()

    def step(self, step: int, train: dict[str, float], valid: dict[str, float]) -> None:
        if self.ctx is None:
            return
        self.ctx.check()
        self.ctx.iteration(step, train=train, valid=valid, total=self.total)
        self.ctx.progress(min(step / self.total, 1.0), f"iteration {step}/{self.total}")


class EarlyStopper:
    """Stop after ``rounds`` steps without an improvement larger than ``tol``.

    ``rounds`` = 0 never stops but still tracks the best step.
    """

    def __init__(self, rounds: int, tol: float = 0.0) -> None:
        self.rounds = int(rounds)
        self.tol = float(tol)
        self.best = math.inf
        self.best_step: int | None = None

    def reset(self) -> None:
        """Start over (a fit begun again, e.g. on the CPU after the GPU failed)."""
        self.best = math.inf
        self.best_step = None

    def update(self, step: int, loss: float) -> bool:
        """Record ``loss`` at ``step``; return True when it is time to stop."""
        if loss < self.best - self.tol:
            self.best = loss
            self.best_step = step
            return False
        return self.rounds > 0 and self.best_step is not None and step - self.best_step >= self.rounds


@contextlib.contextmanager
def openmp_threads_for(n_rows: int, n_threads: int) -> Iterator[int]:
    """Cap OpenMP at ``n_threads``, and at one thread for small data.

    For learners without an ``n_jobs`` (HistGradientBoosting): the job's
    thread count reaches them only through the OpenMP pool.  Below
    ``SMALL_DATA_ROWS`` rows one thread is used whatever ``n_threads`` says.
    Applies to the calling thread (threadpoolctl).  Yields the thread count
    the block runs with.
    """
    from threadpoolctl import threadpool_limits

    limit = 1 if n_rows < SMALL_DATA_ROWS else max(1, int(n_threads))
    with threadpool_limits(limits=limit, user_api="openmp"):
        yield limit


# -- growing ensembles (random forest, extra trees, bagging) ------------------
class _ForestScores:
    """Mean prediction of a forest's trees on X, advanced by the new trees only.

    Scoring the whole ensemble after every chunk costs ~chunks/2 times the
    trees' predictions; on a 100-tree random forest over 200k rows that was
    ~8 s of CPU on top of a 50 s fit (bench/engine_overhead.py).  Summing
    each tree's prediction once costs one prediction per tree.  Same numbers
    as ``predict_proba`` / ``predict`` of the forest (the mean of its trees),
    up to float rounding when trees arrive in another order.
    """

    def __init__(self, X: Any, classification: bool) -> None:
        self.X = X
        self.classification = classification
        self.total: np.ndarray | None = None
        self.n_trees = 0

    def predict(self, tree: Any) -> np.ndarray:
        """One tree's prediction on X (thread-safe; the tree code drops the GIL)."""
        pred = tree.predict_proba(self.X) if self.classification else tree.predict(self.X)
        return np.asarray(pred, dtype=np.float64)

    def add(self, pred: np.ndarray) -> np.ndarray:
        """Add one tree's prediction; return the mean so far.  Callers serialise."""
        self.total = pred.copy() if self.total is None else self.total + pred
        self.n_trees += 1
        return self.total / self.n_trees


def _is_forest(estimator: Any) -> bool:
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    return isinstance(
        estimator, (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)
    )


def _mean_metrics(mean: np.ndarray, forest: Any, y: Any, data: FitData) -> dict[str, float]:
    if data.task == "classification":
        return classification_metrics(y, full_proba(forest, mean, data.n_classes))
    return regression_metrics(y, mean)


# At most this many live points for a forest (one per tree up to 100 trees).
FOREST_POINTS = 100
# Bagging still grows in warm_start chunks (its members are any estimator).
BAGGING_CHUNKS = 8


class _StopForest(Exception):
    """Carries a cancel (a BaseException) out of a joblib worker thread.

    joblib's thread pool only forwards ``Exception``s; a ``BaseException``
    raised in a worker would kill the worker and hang the fit.
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__("forest fit stopped")
        self.cause = cause


@contextlib.contextmanager
def _tree_hook(forest: Any, on_tree: Any) -> Iterator[None]:
    """Make ``forest`` call ``on_tree(tree)`` as each tree finishes growing.

    The forest builds its trees by cloning ``forest.estimator`` and calling
    each clone's ``_fit`` from joblib threads; a subclass of the tree class
    whose ``_fit`` calls back gives one event per tree without splitting the
    fit into chunks (each chunk boundary idled a thread: +30% wall time on a
    200k-row forest).  The trees are the same as a plain fit's (same random
    states).  Afterwards every tree is a plain tree again, so the saved model
    and the ONNX converters see the stock classes.  If a future scikit-learn
    stops calling ``_fit``, the fit still works, only without live points.
    """
    original = forest.estimator
    base = type(original)

    def _fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        fitted = base._fit(self, *args, **kwargs)
        on_tree(self)
        return fitted

    hooked = type(f"_Reporting{base.__name__}", (base,), {"_fit": _fit, "__module__": __name__})
    forest.estimator = hooked(**original.get_params())
    try:
        yield
    finally:
        forest.estimator = original
        forest.estimator_ = original
        for tree in getattr(forest, "estimators_", ()):
            if type(tree) is hooked:
                tree.__class__ = base


def fit_forest(estimator: Any, data: FitData) -> FitInfo:
    """Fit a random forest / extra trees in one call with a live point per tree.

    Each finished tree is predicted once on the train sample and the
    validation rows, from the thread that grew it, and added to running sums
    (:class:`_ForestScores`); every ``total / FOREST_POINTS`` trees the
    metrics of the forest so far are emitted.  Cancel is honoured after the
    next tree finishes (the process executor stops it at once).
    """

    total = int(estimator.get_params()["n_estimators"])
    reporter = Reporter(data, total)
    Xs, ys = train_sample(data)
    clf = data.task == "classification"
    train_scores = _ForestScores(Xs, clf)
    valid_scores = _ForestScores(data.X_valid, clf) if has_valid(data) else None
    every = max(1, math.ceil(total / FOREST_POINTS))
    lock = threading.Lock()

    def on_tree(tree: Any) -> None:
        try:
            reporter.check()
            pred_train = train_scores.predict(tree)
            pred_valid = valid_scores.predict(tree) if valid_scores is not None else None
            with lock:
                mean_train = train_scores.add(pred_train)
                mean_valid = None
                if valid_scores is not None and pred_valid is not None:
                    mean_valid = valid_scores.add(pred_valid)
                done = train_scores.n_trees
                if done % every and done != total:
                    return
                train = _mean_metrics(mean_train, estimator, ys, data)
                valid = _mean_metrics(mean_valid, estimator, data.y_valid, data) if mean_valid is not None else {}
                reporter.step(done, train, valid)
        except BaseException as exc:
            if isinstance(exc, Exception):
                raise
            raise _StopForest(exc) from exc

    reporter.check()
    try:
        with _tree_hook(estimator, on_tree):
            estimator.fit(data.X_train, data.y_train)
    except _StopForest as stop:
        raise stop.cause from None
    return FitInfo(n_iterations=total)


def fit_growing_ensemble(estimator: Any, data: FitData) -> FitInfo:
    """Grow an ensemble with live points: forests per tree, others in chunks.

    Bagging adds members with ``warm_start`` in ``BAGGING_CHUNKS`` chunks
    (rounded up to a multiple of the thread count) and predicts the whole
    ensemble on the valid set and a train sample after each chunk.
    """
    if _is_forest(estimator):
        return fit_forest(estimator, data)
    total = int(estimator.get_params()["n_estimators"])
    threads = max(int(data.n_threads), 1)
    chunk = math.ceil(max(threads, math.ceil(total / BAGGING_CHUNKS), 1) / threads) * threads
    reporter = Reporter(data, total)
    Xs, ys = train_sample(data)
    valid = has_valid(data)
    estimator.set_params(warm_start=True)
    try:
        n = 0
        while n < total:
            reporter.check()
            n = min(n + chunk, total)
            estimator.set_params(n_estimators=n)
            estimator.fit(data.X_train, data.y_train, sample_weight=data.sample_weight)
            train = estimator_metrics(estimator, Xs, ys, data)
            scores = estimator_metrics(estimator, data.X_valid, data.y_valid, data) if valid else {}
            reporter.step(n, train, scores)
    finally:
        # The saved model should describe a plain fit of the requested size.
        estimator.set_params(warm_start=False, n_estimators=total)
    return FitInfo(n_iterations=total)


# -- gradient boosting (sklearn GradientBoosting*) ----------------------------
class _StagedScores:
    """Raw scores of a GradientBoosting model on X, advanced one stage at a time.

    Adding only the newest stage's trees keeps the live curve O(n) per stage;
    ``staged_predict`` from scratch each stage would be O(n * stages).
    """

    def __init__(self, X: Any) -> None:
        self.X = X
        self.raw: np.ndarray | None = None

    def advance(self, estimator: Any, stage: int) -> np.ndarray:
        if self.raw is None:
            # Private but stable since 0.2x: the init estimator's raw scores.
            self.raw = np.array(estimator._raw_predict_init(self.X), dtype=np.float64)
        lr = estimator.learning_rate
        for k, tree in enumerate(estimator.estimators_[stage]):
            self.raw[:, k] += lr * tree.predict(self.X)
        return self.raw


def fit_gradient_boosting(estimator: Any, data: FitData) -> FitInfo:
    """``fit(monitor=...)``: live curves and early stopping on OUR valid set.

    The estimator's ``n_iter_no_change`` (set by the factory from
    ``early_stopping_rounds``) is applied here against ``data.X_valid``
    instead of scikit-learn's own second validation split.
    """
    params = estimator.get_params()
    total = int(params["n_estimators"])
    rounds = int(params["n_iter_no_change"] or 0)
    stopper = EarlyStopper(rounds, float(params["tol"]))
    reporter = Reporter(data, total)
    Xs, ys = train_sample(data)
    train_raw = _StagedScores(Xs)
    valid_raw = _StagedScores(data.X_valid) if has_valid(data) else None

    def monitor(stage: int, est: Any, _locals: dict) -> bool:
        pred = raw_to_prediction(train_raw.advance(est, stage), data.task)
        train = prediction_metrics(ys, pred, data.task)
        valid: dict[str, float] = {}
        if valid_raw is not None:
            pred = raw_to_prediction(valid_raw.advance(est, stage), data.task)
            valid = prediction_metrics(data.y_valid, pred, data.task)
        reporter.step(stage + 1, train, valid)
        return bool(valid) and stopper.update(stage + 1, primary_loss(valid))

    estimator.set_params(n_iter_no_change=None)
    try:
        estimator.fit(data.X_train, data.y_train, sample_weight=data.sample_weight, monitor=monitor)
    finally:
        estimator.set_params(n_iter_no_change=params["n_iter_no_change"])
    return FitInfo(
        best_iteration=stopper.best_step if rounds and valid_raw is not None else None,
        n_iterations=int(estimator.n_estimators_),
    )


# -- histogram gradient boosting ----------------------------------------------
class _HistGBProbe:
    """A ``scoring`` callable that HistGradientBoosting calls every iteration.

    scikit-learn has no callback for HistGradientBoosting, but with early
    stopping enabled it calls ``scoring(est, X_binned, y)`` after each
    iteration: on a training subsample (<= 10 000 rows, its own) and, when
    ``X_val`` is given, on the validation rows.  We use that call as the
    per-iteration hook: raw scores are advanced with only the newest trees
    (O(n) per iteration), metrics are emitted, the cancel token is checked,
    and the returned value (minus the loss: higher is better) drives
    scikit-learn's own early stopping when the user asked for it.

    Which call is which is decided by what the data IS (the validation rows:
    their count and their targets), not by the order of the calls: the order
    is a private detail of scikit-learn, and if it changed, train and
    validation curves would silently swap.  A pattern we do not know (two
    calls of one kind in one iteration) fails the run loudly.
    """

    def __init__(self, data: FitData, reporter: Reporter, with_valid: bool) -> None:
        self.data = data
        self.reporter = reporter
        self.with_valid = with_valid
        self._raw: dict[int, list[Any]] = {}  # id(X) -> [X, raw, n_trees_applied]
        # step -> {"train": metrics, "valid": metrics} until both are in
        self._pending: dict[int, dict[str, dict[str, float]]] = {}
        self._valid_y = np.asarray(data.y_valid) if with_valid else None
        # The fit's OpenMP threads idle while the probe runs: use them all.
        self.n_threads = 1

    def _advance(self, est: Any, X: Any) -> np.ndarray:
        entry = self._raw.get(id(X))
        if entry is None or entry[0] is not X:
            raw = np.zeros((X.shape[0], est.n_trees_per_iteration_), dtype=np.float64)
            raw += est._baseline_prediction
            entry = self._raw[id(X)] = [X, raw, 0]
        predictors = est._predictors
        missing_bin = est._bin_mapper.missing_values_bin_idx_
        for iteration in predictors[entry[2]:]:
            for k, predictor in enumerate(iteration):
                entry[1][:, k] += predictor.predict_binned(X, missing_bin, self.n_threads)
        entry[2] = len(predictors)
        return entry[1]

    def _metrics(self, est: Any, X: Any, y: Any) -> dict[str, float]:
        raw = self._advance(est, X)
        task = self.data.task
        if task == "classification":
            return classification_metrics(y, raw_to_prediction(raw, task))
        # Poisson/gamma losses use a log link: use the loss's own inverse link.
        return regression_metrics(y, est._loss.link.inverse(raw[:, 0]))

    def _is_validation(self, X: Any, y: Any) -> bool:
        valid_y = self._valid_y
        return (
            valid_y is not None
            and X.shape[0] == valid_y.shape[0]
            and np.array_equal(np.asarray(y, dtype=np.float64), valid_y.astype(np.float64))
        )

    def __call__(self, est: Any, X: Any, y: Any, sample_weight: Any = None) -> float:
        # ``sample_weight`` comes when the estimator weighs rows itself
        # (class_weight="balanced" turns into per-row weights inside fit).
        # The curves and the early-stopping score stay unweighted, the same
        # metrics every other learner's live view shows.
        if self.data.task == "classification":
            y = np.searchsorted(est.classes_, y)  # sklearn hands labels back; we want codes
        scores = self._metrics(est, X, y)
        step = len(est._predictors)
        role = "valid" if self._is_validation(X, y) else "train"
        seen = self._pending.setdefault(step, {})
        if role in seen:
            import sklearn

            raise TrainingError(
                f"scikit-learn {sklearn.__version__} scored the {role} rows twice in iteration {step} of "
                "HistGradientBoosting; the live-curve hook does not know this pattern (tested up to the "
                "scikit-learn bound in pyproject.toml)."
            )
        seen[role] = scores
        if not self.with_valid or len(seen) == 2:
            del self._pending[step]
            if step > 0:  # the first call scores the constant baseline model
                self.reporter.step(step, seen["train"], seen.get("valid", {}))
            else:
                self.reporter.check()
        else:
            self.reporter.check()
        return -primary_loss(scores)


def fit_hist_gradient_boosting(estimator: Any, data: FitData) -> FitInfo:
    """Fit with the :class:`_HistGBProbe` as per-iteration hook (see there)."""
    params = estimator.get_params()
    rounds = int(params["n_iter_no_change"]) if params["early_stopping"] is True else 0
    total = int(params["max_iter"])
    reporter = Reporter(data, total)
    with_valid = has_valid(data)
    probe = _HistGBProbe(data, reporter, with_valid)
    estimator.set_params(
        scoring=probe,
        early_stopping=True,
        # Without user early stopping the patience exceeds the run: never stops.
        n_iter_no_change=rounds if rounds else total + 1,
        validation_fraction=None,
    )
    kwargs = {"X_val": data.X_valid, "y_val": data.y_valid} if with_valid else {}
    try:
        # HistGradientBoosting has no n_jobs: its OpenMP pool is all we can cap.
        with openmp_threads_for(data.X_train.shape[0], data.n_threads) as probe.n_threads:
            estimator.fit(data.X_train, data.y_train, **kwargs)
    finally:
        # The saved model must not hold the probe (it references the job).
        estimator.set_params(
            scoring="loss",
            early_stopping=params["early_stopping"],
            n_iter_no_change=params["n_iter_no_change"],
            validation_fraction=params["validation_fraction"],
        )
        estimator.__dict__.pop("_scorer", None)
    best = None
    if rounds and len(estimator.validation_score_):
        best = int(np.argmax(estimator.validation_score_))  # index 0 = baseline
    return FitInfo(best_iteration=best, n_iterations=int(estimator.n_iter_))


# -- epoch learners (MLP, SGD) ------------------------------------------------
def fit_epochs(estimator: Any, data: FitData) -> FitInfo:
    """One ``partial_fit`` per epoch, with early stopping on OUR valid loss.

    Reads the estimator's own ``max_iter`` (epochs), ``early_stopping``,
    ``n_iter_no_change`` and ``tol`` (``partial_fit`` ignores them), so a plain
    ``fit`` of a clone means the same thing.  With early stopping the weights
    of the best epoch are restored, as scikit-learn's own early stopping does.
    """
    params = estimator.get_params()
    epochs = int(params["max_iter"])
    rounds = int(params["n_iter_no_change"]) if params["early_stopping"] else 0
    reporter = Reporter(data, epochs)
    stopper = EarlyStopper(rounds, float(params["tol"]))
    Xs, ys = train_sample(data)
    valid = has_valid(data)
    extra = {"classes": np.arange(data.n_classes)} if data.task == "classification" else {}
    best_state: dict | None = None
    epoch = 0
    # partial_fit refuses (SGD) or ignores (MLP) sklearn's own early stopping.
    estimator.set_params(early_stopping=False)
    try:
        with warnings.catch_warnings():
            # Each partial_fit is one epoch by design; "not converged" is noise.
            warnings.filterwarnings("ignore", message=".*[Cc]onverge.*")
            # batch_size larger than the data is clipped to it, as sklearn's "auto".
            warnings.filterwarnings("ignore", message="Got `batch_size`")
            for epoch in range(1, epochs + 1):
                reporter.check()
                estimator.partial_fit(data.X_train, data.y_train, sample_weight=data.sample_weight, **extra)
                train = estimator_metrics(estimator, Xs, ys, data)
                scores = estimator_metrics(estimator, data.X_valid, data.y_valid, data) if valid else {}
                reporter.step(epoch, train, scores)
                if not (rounds and scores):
                    continue
                stop = stopper.update(epoch, primary_loss(scores))
                if stopper.best_step == epoch:
                    best_state = copy.deepcopy(estimator.__dict__)
                if stop:
                    break
    finally:
        estimator.set_params(early_stopping=params["early_stopping"])
    if best_state is not None and stopper.best_step != epoch:
        estimator.__dict__.update(best_state)
        estimator.set_params(early_stopping=params["early_stopping"])
    return FitInfo(best_iteration=stopper.best_step if rounds and valid else None, n_iterations=epoch)
