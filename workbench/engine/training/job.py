"""The training job: dataset -> validated setup -> fit -> evaluate -> run folder.

Everything that can be checked before fitting is checked before the run
folder exists, so a bad column name or parameter leaves nothing behind.  Once
the folder exists every event is appended to ``events.jsonl`` as it happens,
and the run always ends with a ``result.json`` saying completed, failed or
cancelled (or, if the process dies, it reads back as interrupted).
"""

from __future__ import annotations

import os
import platform
import time
import traceback
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.catalog import Algorithm, BuildContext, FitData, FitInfo, get_algorithm
from workbench.engine.errors import Cancelled, SpecError, TrainingError, WorkbenchError
from workbench.engine.jobs.events import Event, Iteration, JobContext
from workbench.engine.metrics import preferred_loss
from workbench.engine.training.advice import clustering_columns_note, cost_warning, route_warnings
from workbench.engine.training.baseline import baseline_scores, beats_baseline
from workbench.engine.training.param_checks import check_params_against_data, describe_fit_error
from workbench.engine.training.problem import Setup, build_setup, cv_folds, holdout_split
from workbench.engine.project.runs import RunFolderOwner, RunWriter, metrics_from_events, new_run_id, read_events
from workbench.engine.project.run_folder import RunFolder
from workbench.engine.spec import RunSpec

LEARNING_CURVE_AUTO_MAX_ROWS = 20_000
# The learning curve nobody asked for (on by default for small data) is the
# light one: 3 sizes x 2 folds = 6 refits instead of 5 x 3 = 15.  On a
# 344-row logistic regression it was 3.3 s of a 3.9 s run (fit 0.12 s);
# --learning-curve asks for the full one.
AUTO_CURVE = {"sizes": (0.25, 0.5, 1.0), "cv": 2}
SMALL_DATA_CELLS = 200_000

class Fitter:
    """Fits preprocessing + estimator with the algorithm's own fitter."""

    def __init__(self, algorithm: Algorithm, setup: Setup, spec: RunSpec, bctx: BuildContext,
                 hold_out_valid: bool | None = None) -> None:
        # hold_out_valid: None = only when early stopping needs it (the
        # delivered model); a tuning search forces it for its pruning curve.
        self.hold_out_valid = hold_out_valid
        self.algorithm = algorithm
        self.setup = setup
        self.spec = spec
        self.bctx = bctx

    def fit(self, X: pd.DataFrame, y: np.ndarray | None, ctx: JobContext):
        from sklearn.base import clone
        from sklearn.pipeline import Pipeline

        prep = clone(self.setup.preprocessor)
        estimator = self.algorithm.factory(self.setup.params, self.bctx)
        try:
            Xt = prep.fit_transform(X, y) if y is not None else prep.fit_transform(X)
        except ValueError as exc:
            if self.spec.pca_components and "n_components" in str(exc):
                raise SpecError(
                    f"PCA with {self.spec.pca_components} components needs at least that many "
                    "prepared feature columns; lower pca_components."
                ) from None
            raise
        ctx.check()
        data = FitData(
            task=self.setup.task,
            X_train=Xt,
            y_train=y,
            n_classes=len(self.setup.classes),
            seed=self.spec.seed,
            n_threads=self.bctx.n_threads,
            ctx=ctx,
        )
        hold_out = self.early_stopping if self.hold_out_valid is None else self.hold_out_valid
        if hold_out and self.algorithm.capabilities.iterative and self.setup.task != "clustering":
            # Only early stopping needs rows the model does not train on.
            # Without it the delivered model trains on every training row
            # (a 10 % validation slice cost regression R2 0.007 on average,
            # up to 0.066) and the live curve shows training metrics only.
            data.X_train, data.X_valid, data.y_train, data.y_valid = self._valid_split(Xt, y)
        if self._balance_by_weights(estimator):
            from workbench.engine.learners.gbm_support import balanced_weights

            data.sample_weight = balanced_weights(data.y_train)
        info = self.algorithm.fitter(estimator, data) or FitInfo()
        return Pipeline([("prep", prep), ("model", estimator)]), info

    def _balance_by_weights(self, estimator) -> bool:
        """"Balance classes" for a learner that has no class_weight of its own: per-row weights.

        Learners (or ensemble members) that take ``class_weight="balanced"``
        themselves already have it; SGD, MLP, gradient boosting, XGBoost,
        bagging and naive Bayes get balanced sample weights instead.
        """
        if self.setup.task != "classification" or self.setup.params.get("class_weight") != "balanced":
            return False
        params = estimator.get_params(deep=True)
        native = any(k.rsplit("__", 1)[-1] in ("class_weight", "auto_class_weights")
                     and str(v).lower() == "balanced" for k, v in params.items())
        return not native

    @property
    def early_stopping(self) -> bool:
        """Whether this fit stops early on a validation slice (iterative learners only)."""
        return bool(self.algorithm.capabilities.iterative and self.setup.params.get("early_stopping_rounds"))

    def plan_note(self, n_train: int) -> str | None:
        """The log line saying which rows the final model trains on, for iterative learners."""
        if not self.algorithm.capabilities.iterative or self.setup.task == "clustering":
            return None
        if self.early_stopping:
            n_valid = int(round(n_train * self.spec.validation_fraction))
            return (
                f"Early stopping is on: {n_valid:,} of the {n_train:,} training rows "
                f"(validation_fraction {self.spec.validation_fraction:g}) are held out to decide when to "
                "stop and are not trained on; the live validation curve comes from them."
            )
        return (
            f"Early stopping is off: the model trains on all {n_train:,} training rows, so the live curve "
            "shows training metrics only (set early_stopping_rounds to watch a validation curve)."
        )

    def _valid_split(self, Xt, y):
        from sklearn.model_selection import train_test_split

        stratify = y if self.setup.task == "classification" else None
        try:
            return train_test_split(
                Xt, y, test_size=self.spec.validation_fraction, random_state=self.spec.seed, stratify=stratify
            )
        except ValueError:
            return train_test_split(
                Xt, y, test_size=self.spec.validation_fraction, random_state=self.spec.seed
            )


def predict_pipeline(pipeline, X: pd.DataFrame, task: str):
    proba = None
    pred = np.asarray(pipeline.predict(X))
    if task == "classification" and hasattr(pipeline, "predict_proba"):
        try:
            proba = np.asarray(pipeline.predict_proba(X), dtype=float)
        except AttributeError:
            proba = None
    return pred, proba


def library_versions() -> dict[str, str]:
    import sys
    from importlib import metadata

    import workbench

    out = {"workbench": workbench.__version__, "python": platform.python_version()}
    for dist in ("scikit-learn", "pandas", "numpy", "xgboost", "xgboost-cpu", "skops"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    out["platform"] = sys.platform
    return out


@dataclass
class LoadedSpec:
    project: Any
    entry: Any
    fingerprint: str
    algorithm: Algorithm
    frame: pd.DataFrame


def load_for_spec(project_root: str, spec: RunSpec, ctx: JobContext, load_share: float) -> LoadedSpec:
    """Open the project, check the dataset is the one the spec names, load it.

    Shared by training and tuning jobs.  A spec that carries a fingerprint
    (a replay) refuses to run on a file whose content has changed.
    """
    from workbench.engine.project.folder import Project

    project = Project.open(project_root)
    entry = project.dataset(spec.dataset)
    algorithm = get_algorithm(spec.algorithm)
    ctx.progress(0.0, f"Loading {spec.dataset}")
    # The frame is exactly the bytes whose hash the run records (and a replay
    # is refused when they differ from the spec's).
    frame, current = project.load_verified(spec.dataset, ctx.sub(0.0, load_share), expected=spec.fingerprint)
    ctx.check()
    return LoadedSpec(project, entry, current, algorithm, frame)


class TrainJob(RunFolderOwner):
    """Train one model as described by a RunSpec, recording a run folder.

    Portable (``to_dict``: the project's path, the spec and the run id), so
    an executor can send it to a worker as data; the worker reloads the
    dataset from the project's Parquet cache rather than receiving a frame
    through a pipe.
    """

    kind = "train"
    run_id: str  # always named (the base class allows a job that has none yet)

    def __init__(self, project_root: str | os.PathLike, spec: RunSpec, run_id: str | None = None) -> None:
        self.project_root = str(project_root)
        self.spec = spec
        self.run_id = run_id or new_run_id(spec.algorithm)
        self.title = f"Train {spec.algorithm} on {spec.dataset}"

    def to_dict(self) -> dict[str, Any]:
        return {"project_root": self.project_root, "spec": self.spec.to_dict(), "run_id": self.run_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainJob":
        return cls(d["project_root"], RunSpec.from_dict(d["spec"]), d["run_id"])

    # The job's public entry point --------------------------------------
    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        ctx = ctx or JobContext()
        t_start = time.time()
        spec = self.spec.validate()
        loaded = load_for_spec(self.project_root, spec, ctx, 0.05)
        project, entry, current, algorithm = loaded.project, loaded.entry, loaded.fingerprint, loaded.algorithm
        setup = build_setup(loaded.frame, spec, algorithm)
        train_idx, test_idx = holdout_split(setup, spec)
        folds = cv_folds(setup, spec, train_idx) if spec.cv >= 2 and setup.task != "clustering" else []
        check_params_against_data(algorithm, setup, spec, train_idx, folds)  # before the run folder
        device, device_notice = self._device(algorithm, spec)
        resolved = replace(
            spec,
            task=setup.task,
            params=setup.params,
            dataset_path=entry.path,
            fingerprint=current,
        )
        # From here on there is a run folder, and it always gets a result.
        writer = RunWriter(RunFolder.of(project.root, self.run_id).path, resolved)

        def tee(event: Event) -> None:
            writer.append(event)
            ctx.emit(event)

        rctx = JobContext(tee, ctx.cancel_token)
        try:
            for note in setup.notes + ([device_notice] if device_notice else []):
                rctx.log(note, "warning" if "Dropped" in note or "GPU" in note or "CUDA" in note else "info")
            result = self._train(rctx, resolved, algorithm, setup, train_idx, test_idx, folds, device)
            result["timings"]["total_s"] = round(time.time() - t_start, 3)
            result["model_saved"] = writer.run_folder.model_path.exists()
            writer.finish(result)
            return self._summary(result)
        except Cancelled:
            rctx.log("Cancelled by the user.", "warning")
            writer.finish(self._partial_result(writer, resolved, "cancelled", "Cancelled by the user."))
            raise
        except WorkbenchError as exc:
            rctx.log(str(exc), "error")
            writer.finish(self._partial_result(writer, resolved, "failed", str(exc)))
            raise
        except Exception as exc:  # a library bug or an odd dataset: record, then report plainly
            tb = traceback.format_exc()
            rctx.log(tb, "error")
            message = describe_fit_error(algorithm, exc, len(train_idx), len(setup.features))
            writer.finish(self._partial_result(writer, resolved, "failed", message))
            raise TrainingError(message) from exc

    # Pieces ------------------------------------------------------------------
    def _device(self, algorithm: Algorithm, spec: RunSpec) -> tuple[str, str | None]:
        if not algorithm.capabilities.gpu:
            if spec.device == "cuda":
                return "cpu", f"{algorithm.name} has no GPU implementation; training on the CPU."
            return "cpu", None
        from workbench.engine.training.device import resolve_device

        device, notice = resolve_device(spec.device)
        if spec.device == "cuda" and device == "cpu" and algorithm.key != "xgboost":
            # The CUDA probe asks XGBoost (a CPU-only XGBoost wheel says no);
            # LightGBM and CatBoost try the GPU themselves, fall back to the
            # CPU and record the device they really used.
            return "cuda", None
        return device, notice

    def _partial_result(self, writer: RunWriter, spec: RunSpec, status: str, message: str) -> dict[str, Any]:
        events = read_events(writer.folder / "events.jsonl")
        return {
            "status": status,
            "message": message,
            "task": spec.task,
            "algorithm": spec.algorithm,
            "params": spec.params,
            "metrics": metrics_from_events(events),
            "history": [
                {"step": e.step, "train": e.train, "valid": e.valid} for e in events if isinstance(e, Iteration)
            ],
            "finished": time.time(),
        }

    @staticmethod
    def _summary(result: dict[str, Any]) -> dict[str, Any]:
        return {
            "run_id": result["run_id"],
            "status": result["status"],
            "task": result["task"],
            "algorithm": result["algorithm"],
            "metrics": result["metrics"],
            "device": result["device"],
        }

    def _train(self, ctx, spec, algorithm, setup, train_idx, test_idx, folds, device) -> dict[str, Any]:
        from workbench.engine.jobs.threads import cap_threads, cpu_count, current_thread_limit

        # The executor's cap (threadpoolctl) doesn't bound n_jobs pools, so
        # learners must be told the same number explicitly.
        n_threads = spec.n_threads or current_thread_limit() or cpu_count()
        if spec.n_threads is None and len(train_idx) * max(1, len(setup.features)) < SMALL_DATA_CELLS:
            # On small tables thread start-up costs more than it saves, and
            # OpenMP spin-waits make a 0.1 s fit take 2 s on a busy machine.
            n_threads = 1

        # n_jobs only reaches estimators that take it; HistGradientBoosting and
        # BLAS-backed steps (permutation importances too) follow the process's
        # OpenMP/BLAS pools, so cap those to the same number for the whole fit.
        with cap_threads(n_threads, set_env=False), route_warnings(ctx):
            return self._fit_and_evaluate(ctx, spec, algorithm, setup, train_idx, test_idx, folds, device, n_threads)

    def _fit_and_evaluate(self, ctx, spec, algorithm, setup, train_idx, test_idx, folds, device, n_threads):
        from workbench.engine.training import evaluation as ev
        from workbench.engine.training.importances import feature_importances
        from workbench.engine.model import ModelInfo, TrainedModel
        from workbench.engine.monitoring.reference import save_reference_profile

        bctx = BuildContext(
            task=setup.task, seed=spec.seed, n_threads=n_threads, device=device, n_classes=len(setup.classes)
        )
        fitter = Fitter(algorithm, setup, spec, bctx)
        timings: dict[str, float] = {}
        X, y = setup.X, setup.y
        ctx.log(
            f"{algorithm.name} ({setup.task}) on {len(train_idx):,} training rows, "
            f"{len(setup.features)} features, device {device}."
        )
        if setup.task == "clustering":
            text, warn = clustering_columns_note(setup.features, spec)
            ctx.log(text, "warning" if warn else "info")
        slow = cost_warning(algorithm.key, setup.params, len(train_idx), setup.task, len(folds))
        if slow:
            ctx.warn(slow)

        # Cross-validation on the training part (per-fold scores).
        cv_result = None
        baseline_cv = None
        fit_lo = 0.05
        if folds:
            t0 = time.time()
            fold_scores = []
            fold_baselines: list[dict[str, Any]] = []
            span = 0.3 / len(folds)
            for i, (a, b) in enumerate(folds):
                ctx.check()
                ctx.progress(0.05 + i * span, f"Cross-validation fold {i + 1}/{len(folds)}")
                quiet = JobContext(None, ctx.cancel_token)
                tr, va = train_idx[a], train_idx[b]
                pipe, _ = fitter.fit(X.iloc[tr], y[tr], quiet)
                pred, proba = predict_pipeline(pipe, X.iloc[va], setup.task)
                scores = ev.score_predictions(setup.task, y[va], pred, proba, setup.classes)
                fold_scores.append(scores)
                fold_baselines.append(baseline_scores(setup.task, y[tr], y[va], setup.classes, spec.seed))
                ctx.log(f"Fold {i + 1}/{len(folds)}: " + format_metrics(scores, setup.task))
            cv_result = ev.cv_summary(fold_scores)
            baseline_cv = ev.cv_summary(fold_baselines)
            timings["cv_s"] = round(time.time() - t0, 3)
            fit_lo = 0.35

        # The final fit, with live per-iteration events.
        ctx.progress(fit_lo, "Fitting")
        note = fitter.plan_note(len(train_idx))
        if note:
            ctx.log(note)
        t0 = time.time()
        y_train = y[train_idx] if y is not None else None
        pipeline, info = fitter.fit(X.iloc[train_idx], y_train, ctx.sub(fit_lo, 0.85))
        timings["fit_s"] = round(time.time() - t0, 3)
        device_used = info.device if algorithm.capabilities.gpu else "cpu"
        if device == "cuda" and device_used != "cuda":
            ctx.warn(f"{algorithm.name} fell back to the CPU although CUDA was selected.")
        for note in info.notes:
            ctx.log(note)
        ctx.check()

        # Evaluation on the held-out rows.
        ctx.progress(0.86, "Evaluating")
        t0 = time.time()
        X_test = X.iloc[test_idx]
        evaluation: dict[str, Any] = {}
        baseline: dict[str, Any] | None = None
        if setup.task == "clustering":
            labels = np.asarray(pipeline.predict(X_test)) if hasattr(pipeline, "predict") else (
                pipeline.named_steps["model"].labels_
            )
            Xt = pipeline.named_steps["prep"].transform(X_test)
            metrics, evaluation = ev.clustering_evaluation(Xt, labels)
        else:
            pred, proba = predict_pipeline(pipeline, X_test, setup.task)
            metrics = ev.score_predictions(setup.task, y[test_idx], pred, proba, setup.classes)
            evaluation = ev.evaluation_data(setup.task, y[test_idx], pred, proba, setup.classes)
            baseline = baseline_scores(setup.task, y[train_idx], y[test_idx], setup.classes, spec.seed)
            good, sentence = beats_baseline(setup.task, metrics, baseline)
            if algorithm.key == "baseline":
                ctx.log("This run is the baseline itself: other runs on these rows are measured against it.")
            elif good:
                ctx.log(sentence)
            else:
                ctx.warn(sentence)
        ctx.check()
        feature_names = [f.name for f in setup.features]
        try:
            if setup.task != "clustering":
                # Permutation importances re-run the pipeline n_features x
                # n_repeats times; on wide tables keep that to ~100 predictions
                # of 1000 rows (an HGB on 50 columns spent 14 s here).
                wide = len(feature_names) > 20
                evaluation["importances"] = feature_importances(
                    pipeline, X_test, y[test_idx], feature_names, setup.task, seed=spec.seed, ctx=ctx,
                    max_rows=1000 if wide else 2000,
                    n_repeats=max(2, 100 // len(feature_names)) if wide else 5,
                )
        except Cancelled:
            raise
        except Exception as exc:  # importances are a nicety; never fail a run for them
            ctx.warn(f"Feature importances unavailable: {exc}")
        want_curve = self._want_learning_curve(len(train_idx), setup.task)
        if want_curve:
            try:
                ctx.progress(0.92, "Learning curve")

                def make_estimator():
                    from sklearn.base import clone
                    from sklearn.pipeline import Pipeline

                    model = algorithm.factory(setup.params, bctx)
                    # A curve's fits are plain fits, without a validation set:
                    # XGBoost's own early stopping refuses those ("Must have at
                    # least 1 validation dataset"), and every point was lost.
                    if model.get_params().get("early_stopping_rounds") is not None:
                        model.set_params(early_stopping_rounds=None)
                    return Pipeline([("prep", clone(setup.preprocessor)), ("model", model)])

                light: dict[str, Any] = AUTO_CURVE if getattr(spec, "learning_curve", None) is None else {}
                evaluation["learning_curve"] = ev.learning_curve_data(
                    make_estimator, X.iloc[train_idx], y_train, setup.task, seed=spec.seed, ctx=ctx.sub(0.92, 0.97),
                    **light,
                )
            except Cancelled:
                raise
            except Exception as exc:
                ctx.warn(f"Learning curve unavailable: {exc}")
        timings["evaluate_s"] = round(time.time() - t0, 3)

        # Persist the model (completed runs only).
        ctx.progress(0.97, "Saving model")
        model = TrainedModel(
            pipeline,
            ModelInfo(
                task=setup.task,
                algorithm=algorithm.key,
                features=setup.features,
                target=spec.target,
                classes=setup.classes,
                run_id=self.run_id,
                versions=library_versions(),
            ),
        )
        run_folder = RunFolder.of(self.project_root, self.run_id)
        model.save(project_folder := run_folder.path)
        # Held-out row indices let an ONNX export check parity on the same rows.
        np.save(run_folder.test_rows_path, np.asarray(setup.X.index[test_idx]))
        # What the training rows looked like, for drift checks on new data (monitoring).
        save_reference_profile(project_folder, X.iloc[train_idx], setup.features, seed=spec.seed)
        ctx.progress(1.0, "Done")
        events = read_events(run_folder.events_path)
        history = [{"step": e.step, "train": e.train, "valid": e.valid} for e in events if isinstance(e, Iteration)]
        best = info.best_iteration
        if best is None and history:
            best = best_iteration_step(history)
        ctx.log(f"Test metrics: {format_metrics(metrics, setup.task)}")
        return {
            "run_id": self.run_id,
            "status": "completed",
            "task": setup.task,
            "algorithm": algorithm.key,
            "params": setup.params,
            "target": spec.target,
            "classes": [c.item() if hasattr(c, "item") else c for c in setup.classes],
            "features": [{"name": f.name, "kind": f.kind} for f in setup.features],
            "dropped_columns": setup.dropped,
            "rows": {"train": int(len(train_idx)), "test": int(len(test_idx))},
            "metrics": metrics,
            # The same metrics of the majority-class / mean model on the same
            # rows (None for clustering), and on the same CV folds.
            "baseline": baseline,
            "baseline_cv": baseline_cv,
            "headline": ev.headline_metric(setup.task),
            "cv": cv_result,
            "evaluation": evaluation,
            "history": history,
            "best_iteration": best,
            "n_iterations": info.n_iterations,
            "device": device_used,
            "timings": timings,
            "versions": library_versions(),
            "onnx": None,
            "finished": time.time(),
        }

    def _want_learning_curve(self, n_train: int, task: str) -> bool:
        if task == "clustering":
            return False
        choice = getattr(self.spec, "learning_curve", None)
        if choice is None:
            return n_train <= LEARNING_CURVE_AUTO_MAX_ROWS
        return bool(choice)


def best_iteration_step(history: list[dict[str, Any]]) -> int | None:
    """Step with the lowest validation loss (the registry's preferred loss)."""
    name = preferred_loss({k for h in history for k in h["valid"]})
    if name is None:
        return None
    values = [(h["valid"][name], h["step"]) for h in history if h["valid"].get(name) is not None]
    return min(values)[1] if values else None


def format_metrics(metrics: dict[str, Any], task: str) -> str:
    order = {
        "classification": ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss"),
        "regression": ("r2", "rmse", "mae"),
        "clustering": ("silhouette", "n_clusters"),
    }.get(task, ())
    parts = [f"{k} {metrics[k]:.4g}" for k in order if isinstance(metrics.get(k), (int, float))]
    return ", ".join(parts) or "(none)"
