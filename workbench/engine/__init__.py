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
    "display_name": "catalog",
    # specs and models
    "RunSpec": "spec",
    "build_run_spec": "training.spec_builder",
    "ColumnPrep": "spec",
    "PREP_FIELDS": "spec",
    "ENCODE_CHOICES": "spec",
    "IMPUTE_CHOICES": "spec",
    "SCALE_CHOICES": "spec",
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
    "FormState": "project.form_state",
    "load_form_state": "project.form_state",
    "save_form_state": "project.form_state",
    "guess_target": "project.form_state",
    "finalize_run": "project.runs",
    "RunFolder": "project.run_folder",
    "RunResult": "project.run_result",
    # jobs
    "TrainJob": "training.job",
    "infer_task": "data.target_checks",
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
    "cpu_count": "jobs.threads",
    "default_threads_per_job": "jobs.threads",
    "cap_threads": "jobs.threads",
    "lower_thread_priority": "jobs.threads",
    "keep_numpy_off_huge_pages": "jobs.pages",
    # jobs as data: the registry of kinds that may run in another process
    "JOB_KINDS": "jobs.kinds",
    "is_portable": "jobs.kinds",
    "RefusedJob": "jobs.kinds",
    "ExportJob": "onnx.job",
    "PredictJob": "prediction.job",
    "HeldOutPredictionsJob": "prediction.job",
    "ProfileJob": "project.dataset_jobs",
    "AddDatasetJob": "project.dataset_jobs",
    "DriftJob": "monitoring.job",
    # tuning
    "Trial": "jobs.events",
    "TuneJob": "tuning.job",
    "DEFAULT_TRIALS": "tuning.job",
    "STRATEGIES": "tuning.job",
    "record_trained_run": "tuning.records",
    "tune_result_so_far": "tuning.records",
    "best_run_spec": "tuning.records",
    "list_tunes": "tuning.records",
    "load_tune": "tuning.records",
    "objective_metrics": "tuning.objective",
    "build_search_space": "tuning.space",
    "default_range": "tuning.space",
    "format_value": "tuning.space",
    "make_range": "tuning.space",
    "parse_param_ranges": "tuning.space",
    "range_from_text": "tuning.space",
    "tunable_params": "tuning.space",
    "leaderboard": "tuning.leaderboard",
    # comparing algorithms
    "CompareRow": "jobs.events",
    "CompareJob": "compare.job",
    "compare_algorithms": "compare.job",
    "list_compares": "compare.job",
    "load_compare": "compare.job",
    "rank_rows": "compare.stats",
    "corrected_resampled_ttest": "compare.stats",
    # predicting on new data
    "InputCheck": "prediction.input_check",
    "check_input": "prediction.input_check",
    "Predictor": "prediction.source",
    "PredictionTable": "prediction.source",
    "open_predictor": "prediction.source",
    "predict_table": "prediction.source",
    "row_defaults": "prediction.source",
    "held_out_predictions": "prediction.drilldown",
    "cell_rows": "prediction.drilldown",
    "box_rows": "prediction.drilldown",
    # export / predict
    "export_onnx": "onnx.export",
    "export_run": "onnx.run_export",
    "OnnxPredictor": "onnx.predict",
    "predict_onnx_to_csv": "onnx.predict",
    # explanations, threshold and report
    "ExplainJob": "explain.job",
    "read_cached_explanation": "explain.job",
    "BinaryDiagnosticsJob": "explain.threshold",
    "set_threshold": "explain.threshold",
    "beats_baseline": "training.baseline",
    "ReportJob": "report.html",
    # serving
    "ModelServer": "serving.server",
    "ServeOptions": "serving.server",
    "ServeJob": "serving.server",
    "ensure_onnx": "serving.server",
    # retraining
    "RetrainJob": "lifecycle.retrain",
    "read_lineage": "lifecycle.retrain",
    # drift monitoring
    "drift_report": "monitoring.drift",
    "drift_summary_lines": "monitoring.drift",
    "drift_for_run": "monitoring.check",
    "drift_for_onnx": "monitoring.check",
    "load_new_rows": "monitoring.check",
    "run_reference_profile": "monitoring.check",
    # device
    # metrics: one registry (name, direction, loss or score, display name)
    "Metric": "metrics",
    "METRICS": "metrics",
    "metric": "metrics",
    "metric_direction": "metrics",
    "is_loss": "metrics",
    "metric_display_name": "metrics",
    "headline_metric": "metrics",
    "headline_of": "metrics",
    "HEADLINE": "metrics",
    "preferred_loss": "metrics",
    "atomic_write_text": "fsutil",
    "resolve_device": "training.device",
    "cuda_available": "training.device",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 (built from the table above)


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
