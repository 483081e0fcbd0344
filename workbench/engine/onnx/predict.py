"""Predict with an exported ``.onnx`` model, without scikit-learn or XGBoost.

Only numpy, pandas and onnxruntime are imported (a test checks it in a fresh
interpreter), so ``workbench predict --model model.onnx`` starts fast and
works where the training libraries are not installed.  The column coercion is
the same function the native model uses (:func:`workbench.engine.model.
coerce_features`, whose module imports only numpy and pandas), so both paths
feed identical numbers.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError
from workbench.engine.fsutil import atomic_write_text
from workbench.engine.model import FeatureInfo, coerce_features
from workbench.engine.onnx.inputs import FeedBuilder, InputData, as_frame
from workbench.engine.onnx.labels import LABEL_HOLDS_CLASSES, LABEL_VALUES_KEY, labels_from_output

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext

# Rows per onnxruntime call.  Big forests are exported as one node per tree
# (onnx_trees): each call pays ~100 kernel dispatches, so 50k-100k rows ran
# 1.4x faster than 10k for the 100-tree forest on 200k rows; XGBoost and
# logistic regression measured the same at 10k and 100k (bench/inference.py
# --tune).  One 1M-row call was slower for all three (inputs out of cache).
BATCH_ROWS = 50_000
# Inputs with fewer rows run as one call on one thread: below this, waking
# other threads costs more than it saves.
PARALLEL_MIN_ROWS = 4_096


class OnnxPredictor:
    """An exported model, ready to predict on raw frames.

    Parameters
    ----------
    path
        The ``.onnx`` file written by :func:`workbench.engine.onnx.export.export_onnx`.
        Files from elsewhere work too when their inputs are ``[N, 1]`` tensors
        named like columns (types are then taken from the graph).
    n_threads
        Batches run at once on a big input, one onnxruntime thread each;
        default: every core.  (Whole batches side by side beat one batch at
        a time on all cores, A/B on 300k rows: forest and XGBoost 1.07x,
        logistic regression 1.2x; the graph's preparation operators run on
        one thread anyway.)

    Attributes
    ----------
    features : list of FeatureInfo
        The input columns, in graph order.
    task : str
        "classification", "regression" or "clustering".
    classes : list
        Class labels, in the order of the probability columns.
    metadata : dict
        The model's raw ``metadata_props``.
    """

    def __init__(self, path: str | os.PathLike, *, n_threads: int | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"ONNX model file not found: {self.path}.")
        self.n_threads = max(1, int(n_threads or os.cpu_count() or 1))
        options = ort.SessionOptions()
        # One thread per run; parallelism comes from running batches at once
        # (a session may run from several threads).  A single row gains
        # nothing from more threads (~0.1 ms either way).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise DataError(
                f"Cannot load {self.path.name} as an ONNX model: {str(exc).strip().splitlines()[0]}"
            ) from exc
        try:  # a damaged file can load as a graph yet hold undecodable metadata
            self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
            self.features = self._read_features()
            self.classes: list[Any] = json.loads(self.metadata.get("classes") or "[]")
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"{self.path.name} is damaged: its metadata cannot be read ({type(exc).__name__}). "
                "Export the model again."
            ) from None
        self.task = self.metadata.get("task") or self._guess_task()
        self.target = self.metadata.get("target") or None
        self.output_names = [o.name for o in self.session.get_outputs()]
        # Files exported before format 2 hold class codes in "label".
        self.label_holds_classes = self.metadata.get(LABEL_VALUES_KEY) == LABEL_HOLDS_CLASSES
        self._inputs = FeedBuilder(self.features)

    # -- description -----------------------------------------------------
    def _read_features(self) -> list[FeatureInfo]:
        graph_inputs = {i.name: i.type for i in self.session.get_inputs()}
        if self.metadata.get("features"):
            features = [
                FeatureInfo(d["name"], d["kind"], from_text=bool(d.get("from_text", False)))
                for d in json.loads(self.metadata["features"])
            ]
            if [f.name for f in features] == list(graph_inputs):
                return features
        # Not written by the workbench: read the kinds off the graph.
        return [
            FeatureInfo(name, "categorical" if "string" in t else "numeric")
            for name, t in graph_inputs.items()
        ]

    def _guess_task(self) -> str:
        names = {o.name for o in self.session.get_outputs()}
        if "probabilities" in names:
            return "classification"
        if "scores" in names:
            return "clustering"
        return "regression"

    # -- prediction ------------------------------------------------------
    def coerce(self, df: pd.DataFrame) -> pd.DataFrame:
        """Raw frame -> the graph's input columns (DataError if one is missing)."""
        return coerce_features(df, self.features)

    def feeds(self, data: InputData) -> tuple[int, dict[str, np.ndarray]]:
        """``(rows, {input name: [rows, 1] array})`` for ``data``.

        ``data``: a DataFrame, a dict of column -> value (one row) or
        column -> list of values, or a list of dicts (one per row).
        """
        return self._inputs.build(data)

    def run(self, data: InputData, *, batch_rows: int = BATCH_ROWS) -> dict[str, np.ndarray]:
        """Raw outputs of the graph for every row of ``data``, by output name."""
        n, columns = self._inputs.build(data)
        names = self.output_names
        workers = self.n_threads if n >= PARALLEL_MIN_ROWS else 1
        size = max(1, min(batch_rows, -(-n // workers)))
        if n <= size:
            return dict(zip(names, self.session.run(names, columns)))

        def run_batch(start: int) -> list[np.ndarray]:
            return self.session.run(names, {k: v[start : start + size] for k, v in columns.items()})

        starts = range(0, n, size)
        if workers == 1:
            chunks = [run_batch(start) for start in starts]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(workers, len(starts)), thread_name_prefix="onnx") as pool:
                chunks = list(pool.map(run_batch, starts))
        return {name: np.concatenate([c[i] for c in chunks]) for i, name in enumerate(names)}

    def _labels(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
        if self.task == "regression":
            return np.asarray(outputs[self.output_names[0]], dtype=float).ravel()
        if self.task == "classification":
            # -- decision threshold (issue 15, explain helper): a binary model's chosen
            # cut on P(classes[1]) is in the metadata; the graph's own label uses 0.5.
            threshold = self.metadata.get("threshold")
            if threshold and len(self.classes) == 2 and "probabilities" in outputs:
                positive = np.asarray(outputs["probabilities"], dtype=float)[:, 1] >= float(threshold)
                return np.asarray(self.classes, dtype=object)[positive.astype(int)]
            return labels_from_output(outputs["label"], self.classes, self.label_holds_classes)
        return np.asarray(outputs["label"]).astype(np.int64).ravel()

    def predict_with_proba(self, data: InputData) -> tuple[np.ndarray, np.ndarray | None]:
        """``(predictions, probabilities or None)`` from one run of the graph."""
        outputs = self.run(data)
        proba = None
        if self.task == "classification" and "probabilities" in outputs:
            proba = np.asarray(outputs["probabilities"], dtype=float)
        return self._labels(outputs), proba

    def predict(self, data: InputData) -> np.ndarray:
        """Labels (classification), values (regression) or cluster ids.

        ``data`` as for :meth:`feeds`: a DataFrame, a dict or a list of dicts.
        """
        return self._labels(self.run(data))

    def predict_proba(self, data: InputData) -> np.ndarray | None:
        """Class probabilities ``[rows, classes]`` (None when the model has none)."""
        if self.task != "classification" or "probabilities" not in self.output_names:
            return None
        return np.asarray(self.run(data)["probabilities"], dtype=float)

    def predict_frame(self, data: InputData, *, batch_rows: int = BATCH_ROWS) -> pd.DataFrame:
        """Input columns plus ``prediction`` and ``proba_<class>`` columns.

        The same layout as :meth:`TrainedModel.prediction_frame`.
        """
        df = as_frame(data)
        outputs = self.run(df, batch_rows=batch_rows)
        out = df.copy()
        out["prediction"] = self._labels(outputs)
        if self.task == "classification" and "probabilities" in outputs:
            proba = np.asarray(outputs["probabilities"], dtype=float)
            labels = self.classes or list(range(proba.shape[1]))
            for i, c in enumerate(labels):
                out[f"proba_{c}"] = proba[:, i]
        return out


def predict_onnx_to_csv(
    model_path: str | os.PathLike,
    data_path: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    ctx: "JobContext | None" = None,
    n_threads: int | None = None,
) -> dict[str, Any]:
    """Read ``data_path``, predict with the ONNX model, write a CSV atomically.

    Returns ``{"rows", "path", "seconds"}``.
    """
    from workbench.engine.data.loading import load_table

    started = time.perf_counter()
    predictor = OnnxPredictor(model_path, n_threads=n_threads)
    df = load_table(data_path, ctx.sub(0.0, 0.5) if ctx is not None else None)
    if ctx is not None:
        ctx.check()
        ctx.progress(0.5, f"predicting {len(df):,} rows with ONNX")
    frame = predictor.predict_frame(df)
    if ctx is not None:
        ctx.check()
        ctx.progress(0.9, "writing predictions")
    atomic_write_text(out_path, frame.to_csv(index=False))
    if ctx is not None:
        ctx.progress(1.0, "done")
    return {"rows": len(frame), "path": str(out_path), "seconds": round(time.perf_counter() - started, 3)}
