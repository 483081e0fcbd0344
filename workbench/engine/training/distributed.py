"""XGBoost across a Dask cluster's workers, on a partitioned Parquet dataset.

For data that does not fit one machine: the rows stay spread over the
workers' memory, and ``xgboost.dask`` trains one model on all of them.
XGBoost needs the data in the workers' AGGREGATE memory (it has no external
memory through Dask): a dataset bigger than any one worker but smaller than
their sum trains; see bench/dask_scale.py.

What happens where
    This job runs on the caller (the CLI or the GUI's job thread) and drives
    the cluster: it reads the Parquet footers, draws a seeded sample of at
    most ``sample_rows`` rows, validates the spec on it with the same
    ``build_setup`` as any training run and FITS THE PREPARATION ON THE
    SAMPLE (imputation medians, scaling, category lists); the workers then
    apply that fitted preparation to their partitions.  The split is
    ``dask.dataframe.random_split`` with the run's seed.

Live curves and cancel
    A training callback on the workers sends rank 0's per-round metrics to a
    ``distributed.Queue``; this job turns them into the same ``Iteration``
    events as a local fit.  Cancel sets a ``distributed.Variable``; every
    rank reads it each round and the ranks agree through an allreduce (MAX),
    so they all stop at the same round (one rank stopping alone would leave
    the others waiting in the next collective call).

The result is one ordinary run: a scikit-learn pipeline (the fitted
preparation + an ``XGBClassifier``/``XGBRegressor`` holding the trained
booster) saved like any other, metrics on the held-out partitions, gain
importances and a sample of held-out rows (``holdout.parquet``) so an ONNX
export checks parity without reading the dataset again.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import Cancelled, DataError, SpecError, TrainingError, WorkbenchError
from workbench.engine.jobs.events import Event, JobContext
from workbench.engine.spec import RunSpec
from workbench.engine.training.job import TrainJob, best_iteration_step, format_metrics, library_versions

__all__ = ["DaskXGBoostJob", "DEFAULT_SAMPLE_ROWS"]

#: Rows the preparation is fitted on (and the spec validated on).
DEFAULT_SAMPLE_ROWS = 50_000
#: Held-out rows kept with the run for parity checks and importances.
HOLDOUT_ROWS = 5_000
_Y = "__workbench_y__"


def _prepare_partition(df: pd.DataFrame, prep: Any, features: list[Any], target: str | None,
                       codes: dict[Any, int] | None) -> pd.DataFrame:
    """One partition -> float32 model inputs (+ the encoded target). Runs on a worker."""
    from workbench.engine.model import coerce_features

    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    if target is not None:
        df = df[df[target].notna()]
    X = coerce_features(df[[f.name for f in features]], features)
    Xt = np.asarray(prep.transform(X), dtype=np.float32)
    out = pd.DataFrame(Xt, columns=[f"f{i}" for i in range(Xt.shape[1])], index=df.index)
    if target is not None:
        y = df[target]
        out[_Y] = (y.map(codes) if codes is not None else pd.to_numeric(y, errors="coerce")).astype("float64")
    return out


def _failure_message(exc: BaseException) -> str:
    """One line a person can act on, for whatever ended a cluster run."""
    if isinstance(exc, WorkbenchError):
        return str(exc)
    if type(exc).__name__ == "KilledWorker":
        return ("A Dask worker died while training (out of memory, killed or crashed). XGBoost needs the "
                "prepared data in the workers' combined memory: add workers or memory, or use fewer rows.")
    return f"Training on the cluster failed: {type(exc).__name__}: {exc}"


class _RoundReporter:
    """An XGBoost TrainingCallback (built on the worker) that reports and hears cancel."""

    def __init__(self, queue_name: str, cancel_name: str) -> None:
        self.queue_name = queue_name
        self.cancel_name = cancel_name

    def make(self) -> Any:
        import xgboost as xgb
        from xgboost import collective

        queue_name, cancel_name = self.queue_name, self.cancel_name

        class Callback(xgb.callback.TrainingCallback):
            def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, Any]) -> bool:
                from distributed import Queue, Variable

                try:
                    flag = 1.0 if Variable(cancel_name).get(timeout=2) else 0.0
                except Exception:
                    flag = 0.0
                # Every rank must stop at the same round: agree on the flag.
                stop = collective.allreduce(np.array([flag]), collective.Op.MAX)[0] > 0
                if collective.get_rank() == 0:
                    last = {
                        data: {metric: [float(values[-1])] for metric, values in metrics.items()}
                        for data, metrics in evals_log.items()
                    }
                    Queue(queue_name).put({"step": epoch + 1, "log": last})
                return bool(stop)

        return Callback()


class DaskXGBoostJob(TrainJob):
    """Train XGBoost on a partitioned Parquet dataset across a Dask cluster.

    Parameters
    ----------
    project_root : path
    spec : RunSpec
        ``algorithm`` must be ``xgboost``; the dataset a linked Parquet folder.
    scheduler : str
        The Dask scheduler's address.
    sample_rows : int
        Rows the preparation is fitted on.
    """

    kind = "train-dask"

    def __init__(self, project_root: Any, spec: RunSpec, scheduler: str, run_id: str | None = None,
                 sample_rows: int = DEFAULT_SAMPLE_ROWS) -> None:
        super().__init__(project_root, spec, run_id)
        self.scheduler = scheduler
        self.sample_rows = int(sample_rows)
        self.title = f"Train {spec.algorithm} on {spec.dataset} (Dask cluster)"

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "scheduler": self.scheduler, "sample_rows": self.sample_rows}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DaskXGBoostJob":
        return cls(d["project_root"], RunSpec.from_dict(d["spec"]), d["scheduler"], d["run_id"], d["sample_rows"])

    def run(self, ctx: JobContext | None = None) -> dict[str, Any]:
        from workbench.engine.catalog import get_algorithm
        from workbench.engine.data.partitioned import describe, is_partitioned
        from workbench.engine.jobs.cluster import cluster_summary, connect
        from workbench.engine.project.folder import Project
        from workbench.engine.project.runs import RunFolder, RunWriter
        from workbench.engine.training.problem import build_setup

        ctx = ctx or JobContext()
        t_start = time.time()
        spec = self.spec.validate()
        if spec.algorithm != "xgboost":
            raise SpecError(
                f"Only XGBoost trains across workers on partitioned data (xgboost.dask); "
                f"'{spec.algorithm}' needs the whole dataset in one process."
            )
        if spec.cv:
            raise SpecError("Cross-validation is not available for cluster training of partitioned data; use --cv 0.")
        project = Project.open(self.project_root)
        entry = project.dataset(spec.dataset)
        path = project.dataset_path(spec.dataset)
        if not is_partitioned(path):
            raise SpecError(f"Dataset '{spec.dataset}' is not a partitioned Parquet folder.")
        current = project.current_fingerprint(spec.dataset)
        if spec.fingerprint and spec.fingerprint != current:
            raise DataError(
                f"Dataset '{spec.dataset}' has changed since this spec was recorded; refusing to run on different data."
            )
        info = describe(path)
        algorithm = get_algorithm("xgboost")
        ctx.progress(0.0, f"Connecting to {self.scheduler}")
        client = connect(self.scheduler)
        try:
            cluster = cluster_summary(client)
            ctx.progress(0.02, f"Sampling {spec.dataset}")
            t_sample = time.time()
            ddf, sample = self._sample(path, info["rows"], spec, client)
            sample_s = round(time.time() - t_sample, 3)
            ctx.check()
            setup = build_setup(sample, spec, algorithm)
            if setup.task not in ("classification", "regression"):
                raise SpecError("Cluster training needs a target (classification or regression).")
            resolved = replace(spec, task=setup.task, params=setup.params, dataset_path=entry.path,
                               fingerprint=current)
            writer = RunWriter(RunFolder.of(project.root, self.run_id).path, resolved)

            def tee(event: Event) -> None:
                writer.append(event)
                ctx.emit(event)

            rctx = JobContext(tee, ctx.cancel_token)
            try:
                for note in setup.notes:
                    rctx.log(note)
                rctx.log(
                    f"Dask cluster {cluster['address']}: {cluster['workers']} workers, {cluster['cores']} threads. "
                    f"Dataset: {info['rows']:,} rows in {info['parts']} Parquet parts; the preparation is fitted "
                    f"on a seeded sample of {len(sample):,} rows and applied per partition."
                )
                result = self._train_on_cluster(rctx, client, ddf, sample, resolved, algorithm, setup, writer.folder)
                result["distributed"] = {
                    "scheduler": cluster["address"], "workers": cluster["workers"], "threads": cluster["cores"],
                    "rows": info["rows"], "parts": info["parts"], "sample_rows": len(sample),
                }
                result["timings"]["sample_s"] = sample_s
                result["timings"]["total_s"] = round(time.time() - t_start, 3)
                result["model_saved"] = writer.run_folder.model_path.exists()
                writer.finish(result)
                return self._summary(result)
            except Cancelled:
                rctx.log("Cancelled by the user.", "warning")
                writer.finish(self._partial_result(writer, resolved, "cancelled", "Cancelled by the user."))
                raise
            except Exception as exc:
                message = _failure_message(exc)
                rctx.log(message, "error")
                writer.finish(self._partial_result(writer, resolved, "failed", message))
                if isinstance(exc, WorkbenchError):
                    raise
                raise TrainingError(message) from exc
        finally:
            client.close()

    # -- pieces ------------------------------------------------------------------
    def _sample(self, path: Path, rows: int, spec: RunSpec, client: Any) -> tuple[Any, pd.DataFrame]:
        import dask.dataframe as dd

        ddf = dd.read_parquet(str(path))
        ddf.columns = [str(c) for c in ddf.columns]
        frac = min(1.0, self.sample_rows / max(rows, 1))
        sample = client.compute(ddf.sample(frac=frac, random_state=spec.seed)).result()
        if spec.target is not None and spec.target in sample.columns:
            # A class too rare for the sample must still be known to the model.
            labels = client.compute(ddf[spec.target].dropna().unique()).result()
            seen = set(sample[spec.target].dropna().tolist())
            missing = [v for v in labels.tolist() if v not in seen]
            if missing:
                extra = [client.compute(ddf[ddf[spec.target] == v].head(1, npartitions=-1, compute=False)).result()
                         for v in missing]
                sample = pd.concat([sample, *extra])
        return ddf, sample.reset_index(drop=True)

    def _train_on_cluster(self, ctx: JobContext, client: Any, ddf: Any, sample: pd.DataFrame, spec: RunSpec,
                          algorithm: Any, setup: Any, folder: Path) -> dict[str, Any]:
        # xgboost.dask looks up "the current client" even when handed one; ours is
        # deliberately not the process default (a GUI may hold several).
        with client.as_current():
            return self._train_with_client(ctx, client, ddf, sample, spec, algorithm, setup, folder)

    def _train_with_client(self, ctx: JobContext, client: Any, ddf: Any, sample: pd.DataFrame, spec: RunSpec,
                           algorithm: Any, setup: Any, folder: Path) -> dict[str, Any]:
        import xgboost as xgb
        import xgboost.dask  # noqa: F401 - a submodule: ``xgb.dask`` needs it imported
        from distributed import Queue, Variable
        from sklearn.base import clone
        from sklearn.pipeline import Pipeline

        from workbench.engine.catalog import BuildContext
        from workbench.engine.learners.gbm_support import newest, our_metrics
        from workbench.engine.learners.xgb import CLF_METRICS, REG_METRICS
        from workbench.engine.model import ModelInfo, TrainedModel, coerce_features
        from workbench.engine.training import evaluation as ev

        timings: dict[str, float] = {}
        task, classes = setup.task, setup.classes
        codes = {c: i for i, c in enumerate(classes)} if task == "classification" else None
        t0 = time.time()
        prep = clone(setup.preprocessor).fit(setup.X, setup.y)
        timings["prepare_fit_s"] = round(time.time() - t0, 3)
        ctx.check()

        # Split first (seeded, per partition), then prepare each part on the workers.
        train_raw, test_raw = ddf.random_split([1.0 - spec.test_size, spec.test_size], random_state=spec.seed)
        rounds_to_stop = int(setup.params.get("early_stopping_rounds") or 0)
        valid_raw = None
        if rounds_to_stop:
            train_raw, valid_raw = train_raw.random_split(
                [1.0 - spec.validation_fraction, spec.validation_fraction], random_state=spec.seed + 1
            )
            ctx.log(f"Early stopping watches a validation slice of {spec.validation_fraction:.0%} of the "
                    "training part; the model does not train on it.")
        n_out = prep.transform(setup.X.head(1)).shape[1]
        meta = pd.DataFrame({**{f"f{i}": pd.Series(dtype="float32") for i in range(n_out)},
                             _Y: pd.Series(dtype="float64")})

        def prepared(part: Any) -> tuple[Any, Any]:
            out = part.map_partitions(_prepare_partition, prep, setup.features, spec.target, codes, meta=meta)
            return out.drop(columns=[_Y]), out[_Y]

        # Persisted once: the DMatrix, the row count and nothing else re-read them.
        X_tr, y_tr = client.persist(list(prepared(train_raw)))
        X_te, y_te = prepared(test_raw)
        bctx = BuildContext(task=task, seed=spec.seed, n_threads=1, device="cpu", n_classes=len(classes))
        estimator = algorithm.factory(setup.params, bctx)
        params = estimator.get_xgb_params()
        params.pop("n_jobs", None)
        params.update(nthread=None)
        params = {k: v for k, v in params.items() if v is not None}
        if task == "classification" and len(classes) > 2:
            params["num_class"] = len(classes)  # XGBClassifier.fit sets it; the low-level train does not
        num_rounds = int(estimator.n_estimators or 100)

        t0 = time.time()
        # Quantised on the workers (1 byte per value for hist), not a second
        # float copy of every partition: the difference between fitting the
        # workers' memory and a worker killed for exceeding it (bench/dask_scale.py).
        dtrain = xgb.dask.DaskQuantileDMatrix(client, X_tr, y_tr)
        evals = [(dtrain, "train")]
        if valid_raw is not None:
            X_va, y_va = prepared(valid_raw)
            evals.append((xgb.dask.DaskQuantileDMatrix(client, X_va, y_va, ref=dtrain), "valid"))
        timings["partitions_to_dmatrix_s"] = round(time.time() - t0, 3)
        key = uuid.uuid4().hex[:10]
        queue_name, cancel_name = f"workbench-xgb-{key}-rounds", f"workbench-xgb-{key}-cancel"
        queue = Queue(queue_name, client=client)
        cancel = Variable(cancel_name, client=client)
        cancel.set(False)
        callbacks = [_RoundReporter(queue_name, cancel_name).make()]
        if rounds_to_stop:
            callbacks.append(xgb.callback.EarlyStopping(rounds=rounds_to_stop, data_name="valid", save_best=True))
        names = CLF_METRICS if task == "classification" else REG_METRICS
        box: dict[str, Any] = {}

        def train() -> None:
            try:
                with client.as_current():  # a ContextVar: not inherited by this thread
                    box["out"] = xgb.dask.train(client, params, dtrain, num_boost_round=num_rounds, evals=evals,
                                                callbacks=callbacks, verbose_eval=False)
            except BaseException as exc:  # handed to the job's thread
                box["error"] = exc

        ctx.progress(0.1, f"Training {num_rounds} rounds on the cluster")
        t0 = time.time()
        thread = threading.Thread(target=train, name="workbench-xgb-dask", daemon=True)
        thread.start()
        history: list[dict[str, Any]] = []
        cancelled = False
        while thread.is_alive() or queue.qsize():
            for item in queue.get(batch=True):
                step, log = item["step"], item["log"]
                train_m = our_metrics(newest(log.get("train", {})), names)
                valid_m = our_metrics(newest(log.get("valid", {})), names)
                history.append({"step": step, "train": train_m, "valid": valid_m})
                ctx.iteration(step, train_m, valid_m, total=num_rounds)
                ctx.progress(0.1 + 0.7 * step / num_rounds, f"Round {step}/{num_rounds}")
            if ctx.cancel_token.cancelled and not cancelled:
                cancelled = True
                cancel.set(True)
            thread.join(0.1)
        timings["fit_s"] = round(time.time() - t0, 3)
        cancel.delete()
        if cancelled:
            raise Cancelled()
        if "error" in box:
            raise box["error"]
        booster = box["out"]["booster"]

        # The delivered model: the fitted preparation + a plain XGBoost estimator.
        estimator.load_model(bytearray(booster.save_raw("json")))
        pipeline = Pipeline([("prep", prep), ("model", estimator)])

        ctx.progress(0.82, "Evaluating on the held-out partitions")
        t0 = time.time()
        raw = xgb.dask.predict(client, booster, X_te)
        # Two computes: the prediction is an array graph, the labels a dataframe expression.
        scores = np.asarray(client.compute(raw).result())
        y_test = np.asarray(client.compute(y_te).result())
        if task == "classification":
            proba = np.column_stack([1.0 - scores, scores]) if scores.ndim == 1 else scores
            pred = proba.argmax(axis=1)
            y_codes = y_test.astype(int)
        else:
            proba, pred, y_codes = None, scores, y_test
        metrics = ev.score_predictions(task, y_codes, pred, proba, classes)
        evaluation = ev.evaluation_data(task, y_codes, pred, proba, classes)
        timings["evaluate_s"] = round(time.time() - t0, 3)

        # A sample of held-out rows travels with the run: parity checks and
        # importances need real rows, and re-reading a cluster-sized dataset for them would not do.
        t0 = time.time()
        holdout = client.compute(test_raw.head(HOLDOUT_ROWS, npartitions=-1, compute=False)).result()
        holdout = holdout[holdout[spec.target].notna()] if spec.target else holdout
        holdout.reset_index(drop=True).to_parquet(folder / "holdout.parquet")
        try:
            from workbench.engine.training.importances import feature_importances

            X_hold = coerce_features(holdout[[f.name for f in setup.features]], setup.features)
            y_hold = holdout[spec.target].map(codes).to_numpy() if codes else holdout[spec.target].to_numpy(float)
            evaluation["importances"] = feature_importances(
                pipeline, X_hold, y_hold, [f.name for f in setup.features], task, seed=spec.seed, ctx=ctx,
                max_rows=2000,
            )
        except Cancelled:
            raise
        except Exception as exc:  # importances are a nicety
            ctx.warn(f"Feature importances unavailable: {exc}")

        timings["holdout_and_importances_s"] = round(time.time() - t0, 3)
        ctx.progress(0.97, "Saving model")
        model = TrainedModel(pipeline, ModelInfo(
            task=task, algorithm=algorithm.key, features=setup.features, target=spec.target, classes=classes,
            run_id=self.run_id, versions=library_versions(),
        ))
        model.save(folder)
        ctx.log(f"Test metrics: {format_metrics(metrics, task)}")
        ctx.progress(1.0, "Done")
        best = booster.best_iteration + 1 if rounds_to_stop and hasattr(booster, "best_iteration") else None
        return {
            "run_id": self.run_id,
            "status": "completed",
            "task": task,
            "algorithm": algorithm.key,
            "params": setup.params,
            "target": spec.target,
            "classes": [c.item() if hasattr(c, "item") else c for c in classes],
            "features": [asdict(f) for f in setup.features],
            "dropped_columns": setup.dropped,
            "rows": {"train": int(client.compute(y_tr.size).result()), "test": int(len(y_test))},
            "metrics": metrics,
            "headline": ev.headline_metric(task),
            "cv": None,
            "evaluation": evaluation,
            "history": history,
            "best_iteration": best if best is not None else best_iteration_step(history),
            "n_iterations": len(history),
            "device": "cpu",
            "timings": timings,
            "versions": library_versions(),
            "onnx": None,
            "finished": time.time(),
        }
