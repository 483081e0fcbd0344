"""What the HTTP service predicts with.

:class:`OnnxBackend` is the one ``workbench serve`` uses: one shared
onnxruntime session (onnxruntime sessions may run from several threads at
once), numpy, pandas, nothing from the training stack.  :class:`NativeBackend`
calls a run's scikit-learn/XGBoost pipeline instead; it exists so
``bench/serving.py`` can measure the same server against the obvious
alternative, and is never imported by ``workbench serve``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.onnx.inputs import InputData, as_frame


class OnnxBackend:
    """An exported model behind the service."""

    def __init__(self, path: str | os.PathLike) -> None:
        from workbench.engine.onnx.predict import OnnxPredictor

        # Requests run one at a time per thread; a single row gains nothing
        # from more onnxruntime threads (see OnnxPredictor).
        self.predictor = OnnxPredictor(path, n_threads=1)
        self.name = Path(path).name
        meta = self.predictor.metadata
        self.features = self.predictor.features
        self.task = self.predictor.task
        self.target = self.predictor.target
        self.classes = list(self.predictor.classes)
        self.run_id = meta.get("run_id") or None
        self.algorithm = meta.get("algorithm") or None
        self.metrics = _json_or(meta.get("metrics"), {})
        self.has_probabilities = "probabilities" in self.predictor.output_names

    def predict(self, data: InputData) -> tuple[np.ndarray, np.ndarray | None]:
        return self.predictor.predict_with_proba(data)


class NativeBackend:
    """A run's native pipeline behind the same service (benchmarks only)."""

    def __init__(self, project_dir: str | os.PathLike, run_id: str) -> None:
        from workbench.engine.project.folder import Project

        record = Project.open(project_dir).run(run_id)
        self.model = record.load_model()
        info = self.model.info
        self.name = f"{run_id} (native)"
        self.features = info.features
        self.task = info.task
        self.target = info.target
        self.classes = list(info.classes)
        self.run_id = run_id
        self.algorithm = info.algorithm
        result = record.result
        self.metrics = result.metrics if result else {}
        self.has_probabilities = self.task == "classification" and hasattr(self.model.pipeline, "predict_proba")

    def predict(self, data: InputData) -> tuple[np.ndarray, np.ndarray | None]:
        frame = as_frame(data) if not isinstance(data, pd.DataFrame) else data
        return self.model.predict(frame), self.model.predict_proba(frame)


def _json_or(text: str | None, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default
