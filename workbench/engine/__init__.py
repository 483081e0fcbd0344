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
    "Event": "jobs.events",
    "Progress": "jobs.events",
    "Iteration": "jobs.events",
    "Log": "jobs.events",
    "Result": "jobs.events",
    "Failure": "jobs.events",
    "ResourceSample": "jobs.events",
    "event_from_dict": "jobs.events",
    "CancelToken": "jobs.events",
    "JobContext": "jobs.events",
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
    "Project": "project.folder",
    "DatasetEntry": "project.folder",
    "RunRecord": "project.runs",
    "RUN_STATUSES": "project.runs",
    # jobs
    "TrainJob": "training.job",
    "infer_task": "training.problem",
    "InlineExecutor": "jobs.handle",
    "JobHandle": "jobs.handle",
    "JobState": "jobs.handle",
    "JobFailed": "jobs.handle",
    "ProcessExecutor": "jobs.process",
    "DaskExecutor": "jobs.cluster",
    "DaskXGBoostJob": "training.distributed",
    "cluster_summary": "jobs.cluster",
    "connect_cluster": "jobs.cluster",
    "scheduler_from_env": "jobs.cluster",
    "ClusterError": "errors",
    # tuning
    "Trial": "jobs.events",
    "TuneJob": "tuning.job",
    "best_run_spec": "tuning.records",
    "list_tunes": "tuning.records",
    "load_tune": "tuning.records",
    "objective_metrics": "tuning.objective",
    "build_search_space": "tuning.space",
    "leaderboard": "tuning.leaderboard",
    # export / predict
    "export_onnx": "onnx.export",
    "export_run": "onnx.run_export",
    "OnnxPredictor": "onnx.predict",
    # device
    "resolve_device": "training.device",
    "cuda_available": "training.device",
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
