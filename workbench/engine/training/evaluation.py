"""Scores, curves and importances of a trained model, as JSON-safe data.

Everything returned here goes into ``result.json`` and is drawn by the GUI's
evaluation views and printed by ``workbench show``, so every output is made of
plain ``float``/``int``/``str``/``list``/``dict`` with ``None`` where a number
is undefined (NaN, infinity).  Curves are downsampled and scatter data is
sampled so a result file stays small whatever the size of the test split.

Conventions shared with training:

* classification targets are integer codes ``0..K-1`` and ``classes[k]`` is
  the label of code ``k``; ``proba[:, k]`` is the probability of code ``k``;
* for a binary problem the positive class is code 1;
* a residual is ``y_true - y_pred``.

scikit-learn is imported inside the functions: this module may be imported on
the GUI's start-up path (the results views), where it must stay cheap.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd

from workbench.engine.metrics import headline_metric, metric_direction
from workbench.engine.errors import TrainingError
from workbench.engine.json_values import json_safe

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext

__all__ = [
    "score_predictions",
    "evaluation_data",
    "clustering_evaluation",
    "learning_curve_data",
    "headline_metric",
    "metric_direction",
    "cv_summary",
    "json_safe",
]

# Scatter points kept for regression plots (predicted vs true, residuals).
MAX_SCATTER_POINTS = 2000
# Rows the silhouette is computed on: it is O(n^2) in time and memory.
SILHOUETTE_MAX_ROWS = 5000
RESIDUAL_HISTOGRAM_BINS = 30

def finite_or_none(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------------------
# Metric names
# ---------------------------------------------------------------------------
# headline_metric and metric_direction come from the metric registry
# (workbench/engine/metrics.py) and are re-exported here.


# ---------------------------------------------------------------------------
# Input normalisation
# ---------------------------------------------------------------------------
def _as_codes(y: Any) -> np.ndarray:
    arr = np.asarray(y)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise TrainingError("Class predictions contain missing values; the model output is unusable.")
        arr = arr.astype(np.int64)
    return arr.astype(np.int64, copy=False).ravel()


def _n_classes(y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None,
               classes: Sequence[Any] | None) -> int:
    if classes is not None and len(classes):
        return len(classes)
    if proba is not None:
        return proba.shape[1]
    return int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1


def _as_proba(proba: Any, n_rows: int, n_classes: int = 0) -> np.ndarray | None:
    """Probabilities as an (n, K) float64 array whose rows sum to 1.

    A 1-D array is read as the positive-class probability of a binary model.
    Rows are renormalised because float32 probabilities can miss 1.0 by more
    than scikit-learn's tolerance for multiclass AUC and log loss.
    """
    if proba is None:
        return None
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    if p.shape[0] != n_rows:
        raise ValueError(f"proba has {p.shape[0]} rows, expected {n_rows}")
    if n_classes and p.shape[1] != n_classes:
        # The model saw fewer classes than exist (one was absent from its
        # training rows): columns cannot be matched to codes, so the
        # probability-based metrics are left out rather than wrong.
        return None
    if not np.all(np.isfinite(p)):
        raise TrainingError("The model returned missing probabilities; cannot score it.")
    p = np.clip(p, 0.0, None)
    sums = p.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    return p / sums


def _labels(classes: Sequence[Any] | None, k: int) -> list[Any]:
    if classes is not None and len(classes) == k:
        return [json_safe(c) for c in classes]
    return list(range(k))


def _regression_arrays(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if not np.all(np.isfinite(p)):
        raise TrainingError(
            "The model predicted missing or infinite values; check the data and parameters "
            "(e.g. a learning rate too high)."
        )
    return t, p


# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------
def score_predictions(task: str, y_true: Any, y_pred: Any, proba: Any = None,
                      classes: Sequence[Any] | None = None) -> dict[str, float | None]:
    """Scalar metrics of predictions against the truth.

    Parameters
    ----------
    task : "classification" or "regression"
    y_true, y_pred : array-like
        Class codes ``0..K-1`` for classification, numbers for regression.
    proba : array (n, K), optional
        Class probabilities; enables ``roc_auc`` and ``log_loss``.  Ignored
        when it has a column count other than ``len(classes)`` (a model that
        never saw some class cannot be matched to the codes).
    classes : sequence, optional
        Labels of the codes; only its length (K) is used here.

    Returns
    -------
    dict
        classification: ``accuracy, balanced_accuracy, precision_macro,
        recall_macro, f1_macro, precision_weighted, recall_weighted,
        f1_weighted``; binary adds ``precision, recall, f1`` of the positive
        class (code 1); with ``proba``: ``log_loss`` and, when every class
        occurs in ``y_true``, ``roc_auc`` (binary: positive class; multiclass:
        one-vs-rest macro).
        regression: ``mae, mse, rmse, r2, median_ae`` and ``mape`` when no
        true value is zero.  Undefined values are ``None``.
    """
    if task == "classification":
        return _classification_scores(y_true, y_pred, proba, classes)
    if task == "regression":
        return _regression_scores(y_true, y_pred)
    raise ValueError(f"score_predictions does not handle task {task!r}; "
                     "use clustering_evaluation for clustering")


def _classification_scores(y_true, y_pred, proba, classes) -> dict[str, float | None]:
    from sklearn import metrics as skm

    t, p = _as_codes(y_true), _as_codes(y_pred)
    pr = _as_proba(proba, len(t), len(classes) if classes is not None else 0)
    k = _n_classes(t, p, pr, classes)
    labels = list(range(k))
    out: dict[str, float | None] = {
        "accuracy": finite_or_none(skm.accuracy_score(t, p)),
        "balanced_accuracy": finite_or_none(_balanced_accuracy(t, p)),
    }
    for avg in ("macro", "weighted"):
        prec, rec, f1, _ = skm.precision_recall_fscore_support(
            t, p, labels=labels, average=avg, zero_division=0
        )
        out[f"precision_{avg}"] = finite_or_none(prec)
        out[f"recall_{avg}"] = finite_or_none(rec)
        out[f"f1_{avg}"] = finite_or_none(f1)
    if k == 2:
        prec, rec, f1, _ = skm.precision_recall_fscore_support(
            t, p, labels=[0, 1], pos_label=1, average="binary", zero_division=0
        )
        out.update(precision=finite_or_none(prec), recall=finite_or_none(rec), f1=finite_or_none(f1))
    if pr is not None:
        if pr.shape[1] != k:
            raise ValueError(f"proba has {pr.shape[1]} columns for {k} classes")
        out["log_loss"] = finite_or_none(skm.log_loss(t, pr, labels=labels))
        present = np.unique(t)
        if len(present) == k and k >= 2:
            if k == 2:
                auc = skm.roc_auc_score(t, pr[:, 1])
            else:
                auc = skm.roc_auc_score(t, pr, multi_class="ovr", average="macro", labels=labels)
            out["roc_auc"] = finite_or_none(auc)
    return out


def _balanced_accuracy(t: np.ndarray, p: np.ndarray) -> float:
    # Mean recall over the classes present in y_true (scikit-learn's
    # definition), without its warning for classes predicted but absent.
    recalls = [np.mean(p[t == c] == c) for c in np.unique(t)]
    return float(np.mean(recalls)) if recalls else float("nan")


def _regression_scores(y_true, y_pred) -> dict[str, float | None]:
    from sklearn import metrics as skm

    t, p = _regression_arrays(y_true, y_pred)
    err = t - p
    mse = float(np.mean(err**2)) if len(t) else float("nan")
    out: dict[str, float | None] = {
        "mae": finite_or_none(np.mean(np.abs(err))) if len(t) else None,
        "mse": finite_or_none(mse),
        "rmse": finite_or_none(math.sqrt(mse)) if math.isfinite(mse) else None,
        # r2 is undefined for fewer than two rows or a constant truth.
        "r2": finite_or_none(skm.r2_score(t, p)) if len(t) >= 2 and np.ptp(t) > 0 else None,
        "median_ae": finite_or_none(np.median(np.abs(err))) if len(t) else None,
    }
    if len(t) and not np.any(t == 0):
        out["mape"] = finite_or_none(np.mean(np.abs(err) / np.abs(t)))
    return out


# ---------------------------------------------------------------------------
# Curves and plots
# ---------------------------------------------------------------------------
def _downsample_curve(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points of a curve, first and last always kept.

    Points are picked evenly along the curve's length (not its index), so
    steep and flat parts keep their shape.
    """
    n = len(x)
    if n <= max_points:
        return x, y
    max_points = max(int(max_points), 2)
    steps = np.hypot(np.diff(x), np.diff(y))
    dist = np.concatenate([[0.0], np.cumsum(steps)])
    if dist[-1] <= 0:
        idx = np.linspace(0, n - 1, max_points).round().astype(int)
    else:
        targets = np.linspace(0.0, dist[-1], max_points)
        idx = np.searchsorted(dist, targets).clip(0, n - 1)
    idx = np.unique(np.concatenate([[0], idx, [n - 1]]))
    return x[idx], y[idx]


def evaluation_data(task: str, y_true: Any, y_pred: Any, proba: Any = None,
                    classes: Sequence[Any] | None = None, max_points: int = 200,
                    *, seed: int = 0) -> dict[str, Any]:
    """Data for the evaluation views (plots and tables), JSON-safe.

    Returns
    -------
    dict
        classification::

            {"task", "labels",
             "confusion_matrix": {"labels", "counts": [[int]], "normalized": [[float]]},
             "per_class": [{"label", "precision", "recall", "f1", "support"}],
             "roc": [{"label", "fpr": [..], "tpr": [..], "auc"}],
             "pr":  [{"label", "precision": [..], "recall": [..], "average_precision"}]}

        ``counts[i][j]`` is the number of rows of true class i predicted as j;
        ``normalized`` divides each row by its total (a class absent from
        ``y_true`` gives a row of zeros).  ROC and PR curves need ``proba``
        (else empty lists): one curve for a binary problem (positive class =
        code 1), one per class present in ``y_true`` (one-vs-rest) otherwise.
        Each curve has at most ``max_points`` points; ROC runs from (0, 0) to
        (1, 1), PR from recall 0 to recall 1.

        regression::

            {"task",
             "residuals": {"mean", "std", "min", "q05", "q25", "median",
                           "q75", "q95", "max", "mean_abs"},
             "sample": {"y_true": [..], "y_pred": [..], "residual": [..], "n_total"},
             "histogram": {"edges": [..], "counts": [..]}}

        ``sample`` holds at most 2000 rows picked at random (``seed``).
    """
    if task == "classification":
        return _classification_data(y_true, y_pred, proba, classes, max_points)
    if task == "regression":
        return _regression_data(y_true, y_pred, seed)
    raise ValueError(f"evaluation_data does not handle task {task!r}; "
                     "use clustering_evaluation for clustering")


def _classification_data(y_true, y_pred, proba, classes, max_points) -> dict[str, Any]:
    from sklearn import metrics as skm

    t, p = _as_codes(y_true), _as_codes(y_pred)
    pr = _as_proba(proba, len(t), len(classes) if classes is not None else 0)
    k = _n_classes(t, p, pr, classes)
    labels = _labels(classes, k)
    codes = list(range(k))

    counts = skm.confusion_matrix(t, p, labels=codes)
    totals = counts.sum(axis=1, keepdims=True)
    normalized = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=float), where=totals > 0)
    prec, rec, f1, support = skm.precision_recall_fscore_support(
        t, p, labels=codes, average=None, zero_division=0
    )
    per_class = [
        {"label": labels[c], "precision": prec[c], "recall": rec[c], "f1": f1[c], "support": support[c]}
        for c in codes
    ]

    roc: list[dict[str, Any]] = []
    prc: list[dict[str, Any]] = []
    if pr is not None:
        curve_codes = [1] if k == 2 else codes
        present = set(np.unique(t).tolist())
        for c in curve_codes:
            positive = t == c
            # A curve needs both positives and negatives of the class.
            if c not in present or positive.all():
                continue
            score = pr[:, c]
            fpr, tpr, _ = skm.roc_curve(positive, score)
            fpr, tpr = _downsample_curve(fpr, tpr, max_points)
            roc.append({"label": labels[c], "fpr": fpr, "tpr": tpr,
                        "auc": skm.roc_auc_score(positive, score)})
            precision, recall, _ = skm.precision_recall_curve(positive, score)
            # scikit-learn returns decreasing recall; plots read left to right.
            recall, precision = _downsample_curve(recall[::-1], precision[::-1], max_points)
            prc.append({"label": labels[c], "precision": precision, "recall": recall,
                        "average_precision": skm.average_precision_score(positive, score)})
    return json_safe({
        "task": "classification",
        "labels": labels,
        "confusion_matrix": {"labels": labels, "counts": counts, "normalized": normalized},
        "per_class": per_class,
        "roc": roc,
        "pr": prc,
    })


def sample_indices(n: int, max_rows: int, seed: int) -> np.ndarray:
    """Sorted random row positions, all of them when ``n <= max_rows``."""
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_rows, replace=False))


def _regression_data(y_true, y_pred, seed) -> dict[str, Any]:
    t, p = _regression_arrays(y_true, y_pred)
    resid = t - p
    summary: dict[str, Any] = {}
    if len(resid):
        q = np.quantile(resid, [0.05, 0.25, 0.5, 0.75, 0.95])
        summary = {
            "mean": resid.mean(), "std": resid.std(), "min": resid.min(),
            "q05": q[0], "q25": q[1], "median": q[2], "q75": q[3], "q95": q[4],
            "max": resid.max(), "mean_abs": np.abs(resid).mean(),
        }
        counts, edges = np.histogram(resid, bins=min(RESIDUAL_HISTOGRAM_BINS, max(len(resid), 1)))
    else:
        counts, edges = np.zeros(0, dtype=int), np.zeros(0)
    idx = sample_indices(len(t), MAX_SCATTER_POINTS, seed)
    return json_safe({
        "task": "regression",
        "residuals": summary,
        "sample": {"y_true": t[idx], "y_pred": p[idx], "residual": resid[idx], "n_total": len(t)},
        "histogram": {"edges": edges, "counts": counts},
    })


# ---------------------------------------------------------------------------
# Clustering
# ---------------------------------------------------------------------------
def clustering_evaluation(X: Any, labels: Any, *, seed: int = 0
                          ) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Internal-validity metrics of a clustering, and cluster sizes.

    Parameters
    ----------
    X : array (n, d)
        The matrix the clustering was fitted on (the prepared features).
    labels : array (n,)
        Cluster labels; ``-1`` marks noise (DBSCAN, HDBSCAN) and is left out
        of the metrics.

    Returns
    -------
    metrics : dict
        ``n_clusters``, ``noise_fraction``, ``silhouette`` (on at most 5000
        rows sampled with ``seed``), ``calinski_harabasz``, ``davies_bouldin``;
        the last three are ``None`` with fewer than two clusters (or when
        every row is its own cluster).
    data : dict
        ``{"clusters": [label..], "sizes": [count..], "noise": count, "n_rows"}``,
        clusters in label order.
    """
    from sklearn import metrics as skm

    lab = np.asarray(labels).ravel()
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim == 1:
        Xa = Xa.reshape(-1, 1)
    if len(Xa) != len(lab):
        raise ValueError(f"X has {len(Xa)} rows but labels has {len(lab)}")
    noise = lab == -1
    kept_X, kept = Xa[~noise], lab[~noise]
    clusters, sizes = np.unique(kept, return_counts=True)
    n_clusters = len(clusters)
    metrics: dict[str, float | None] = {
        "n_clusters": n_clusters,
        "noise_fraction": finite_or_none(noise.mean()) if len(lab) else None,
        "silhouette": None,
        "calinski_harabasz": None,
        "davies_bouldin": None,
    }
    # All three metrics need 2 <= n_clusters <= n_samples - 1.
    if 2 <= n_clusters < len(kept):
        idx = sample_indices(len(kept), SILHOUETTE_MAX_ROWS, seed)
        if len(np.unique(kept[idx])) >= 2:
            metrics["silhouette"] = finite_or_none(skm.silhouette_score(kept_X[idx], kept[idx]))
        metrics["calinski_harabasz"] = finite_or_none(skm.calinski_harabasz_score(kept_X, kept))
        metrics["davies_bouldin"] = finite_or_none(skm.davies_bouldin_score(kept_X, kept))
    data = {"clusters": clusters, "sizes": sizes, "noise": int(noise.sum()), "n_rows": len(lab)}
    return json_safe(metrics), json_safe(data)


# ---------------------------------------------------------------------------
# Cross-validation summary
# ---------------------------------------------------------------------------
def cv_summary(fold_scores: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{metric: {"mean", "std", "folds": [...]}}`` from per-fold score dicts.

    ``std`` is the population standard deviation (ddof=0), as scikit-learn's
    ``cv_results_`` reports it.  A metric missing or ``None`` in a fold is
    ``None`` in ``folds`` and left out of mean and std.
    """
    names: list[str] = []
    for scores in fold_scores:
        names.extend(n for n in scores if n not in names)
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        folds = [json_safe(_to_number(s.get(name))) for s in fold_scores]
        values = np.array([v for v in folds if v is not None], dtype=float)
        out[name] = {
            "mean": finite_or_none(values.mean()) if len(values) else None,
            "std": finite_or_none(values.std()) if len(values) else None,
            "folds": folds,
        }
    return out


def _to_number(v: Any) -> float | None:
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------
# Learning curve
# ---------------------------------------------------------------------------
def learning_curve_data(make_estimator: Callable[[], Any], X: Any, y: Any, task: str, *,
                        sizes: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 1.0), cv: int = 3,
                        seed: int = 0, ctx: "JobContext | None" = None,
                        max_rows: int = 20000) -> dict[str, Any]:
    """Training and validation score against the number of training rows.

    For each of ``cv`` folds, a fresh estimator from ``make_estimator()`` is
    fitted on the first ``size`` fraction of the (shuffled) training part and
    scored on it and on the held-out fold.  At most ``max_rows`` rows are used
    (sampled with ``seed``) so the curve stays cheap.  A fit that fails (e.g.
    a subset with one class) counts as missing.

    Returns
    -------
    dict
        ``{"metric": "accuracy" | "r2", "train_sizes": [int], "train_mean",
        "train_std", "valid_mean", "valid_std": [float | None], "cv", "n_rows"}``
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if task not in ("classification", "regression"):
        raise ValueError(f"learning curves need a supervised task, got {task!r}")
    y_arr = np.asarray(y)
    idx = sample_indices(len(y_arr), max_rows, seed)
    Xs = X.iloc[idx] if isinstance(X, pd.DataFrame) else np.asarray(X)[idx]
    ys = y_arr[idx]
    take = (lambda rows: Xs.iloc[rows]) if isinstance(Xs, pd.DataFrame) else (lambda rows: Xs[rows])
    metric = headline_metric(task)

    splitter: Any = KFold(n_splits=cv, shuffle=True, random_state=seed)
    if task == "classification":
        _, class_counts = np.unique(ys, return_counts=True)
        if class_counts.min() >= cv:
            splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    folds = list(splitter.split(np.zeros(len(ys)), ys))
    n_train = min(len(tr) for tr, _ in folds)
    train_sizes = sorted({max(2, int(round(f * n_train))) for f in sizes if f > 0})

    rng = np.random.default_rng(seed)
    scores_train = np.full((len(train_sizes), len(folds)), np.nan)
    scores_valid = np.full_like(scores_train, np.nan)
    total, done = len(train_sizes) * len(folds), 0
    first_error: Exception | None = None
    for j, (train_idx, valid_idx) in enumerate(folds):
        order = rng.permutation(train_idx)
        for i, n in enumerate(train_sizes):
            if ctx is not None:
                ctx.check()
                ctx.progress(done / total, f"learning curve: fold {j + 1}/{len(folds)}, {n} rows")
            rows = order[:n]
            try:
                est = make_estimator()
                est.fit(take(rows), ys[rows])
                scores_train[i, j] = _score(est, take(rows), ys[rows], task)
                scores_valid[i, j] = _score(est, take(valid_idx), ys[valid_idx], task)
            except Exception as exc:  # noqa: BLE001 - a failed point is shown as missing
                first_error = first_error or exc
            done += 1
    if np.isnan(scores_valid).all():
        raise TrainingError(f"Could not compute a learning curve: every fit failed ({first_error}).")

    def stats(a: np.ndarray, fn: Callable[..., Any]) -> list[float | None]:
        return [finite_or_none(fn(row[np.isfinite(row)])) if np.isfinite(row).any() else None for row in a]

    return json_safe({
        "metric": metric,
        "train_sizes": train_sizes,
        "train_mean": stats(scores_train, np.mean),
        "train_std": stats(scores_train, np.std),
        "valid_mean": stats(scores_valid, np.mean),
        "valid_std": stats(scores_valid, np.std),
        "cv": len(folds),
        "n_rows": len(ys),
    })


def _score(estimator: Any, X: Any, y: np.ndarray, task: str) -> float:
    pred = np.asarray(estimator.predict(X))
    if task == "classification":
        return float(np.mean(pred.astype(np.int64) == y.astype(np.int64)))
    from sklearn.metrics import r2_score

    return float(r2_score(y.astype(np.float64), pred.astype(np.float64)))
