"""The workbench engine: data, catalog, training, evaluation, export.

This package never imports Qt (a test checks it).  Front ends (the CLI and the
GUI) use only the names listed here.  Attributes are resolved lazily so that
``import workbench.engine`` stays cheap: scikit-learn, XGBoost and skl2onnx
take seconds to import and the window must show before they are needed.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "WorkbenchError": "errors",
    "DataError": "errors",
    "SpecError": "errors",
    "ProjectError": "errors",
    "TrainingError": "errors",
    "ExportError": "errors",
    "Cancelled": "errors",
    # events
    "Event": "events",
    "Progress": "events",
    "Iteration": "events",
    "Log": "events",
    "Result": "events",
    "Failure": "events",
    "ResourceSample": "events",
    "event_from_dict": "events",
    "CancelToken": "events",
    "JobContext": "events",
    # catalog
    "TASKS": "catalog",
    "ParamSpec": "catalog",
    "Capabilities": "catalog",
    "Algorithm": "catalog",
    "algorithms": "catalog",
    "get_algorithm": "catalog",
    # specs and models
    "RunSpec": "spec",
    "ColumnPrep": "spec",
    "TrainedModel": "model",
    "FeatureInfo": "model",
    "ModelInfo": "model",
    # data
    "load_table": "data.loading",
    "fingerprint": "data.loading",
    "SUPPORTED_EXTENSIONS": "data.loading",
    "Schema": "data.schema",
    "ColumnType": "data.schema",
    "infer_schema": "data.schema",
    "Profile": "data.profile",
    "profile_dataset": "data.profile",
    # project and runs
    "Project": "project",
    "DatasetEntry": "project",
    "RunRecord": "runs",
    "RUN_STATUSES": "runs",
    # jobs
    "TrainJob": "training",
    "infer_task": "problem",
    "InlineExecutor": "jobs",
    "JobHandle": "jobs",
    "JobState": "jobs",
    "JobFailed": "jobs",
    "ProcessExecutor": "executors",
    # tuning
    "Trial": "events",
    "TuneJob": "tuning",
    "best_run_spec": "tune_records",
    "list_tunes": "tune_records",
    "load_tune": "tune_records",
    "objective_metrics": "tune_objective",
    "build_search_space": "search_space",
    "leaderboard": "ranking",
    # export / predict
    "export_onnx": "onnx_export",
    "export_run": "run_export",
    "OnnxPredictor": "onnx_predict",
    # device
    "resolve_device": "device",
    "cuda_available": "device",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'workbench.engine' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
