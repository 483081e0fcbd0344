"""Export a TrainedModel to ONNX, with metadata and a parity check.

The exported graph takes the model's raw feature columns, one graph input per
column, named exactly like the column: numeric, boolean and datetime columns
as ``float32 [N, 1]`` (NaN for missing, datetimes as days since 1970-01-01),
categorical columns as ``string [N, 1]`` ("" for missing).  Outputs:

* classification: ``label`` (the original class values: strings for a
  string target, int64 for integers; see :mod:`.labels`) and
  ``probabilities`` (float32 ``[N, K]``, a plain tensor, no ZipMap) whose
  columns follow the metadata's ``classes`` list;
* regression: ``variable`` (float32 ``[N, 1]``);
* clustering: ``label`` (int64 cluster) and ``scores`` (distances).

Everything a consumer needs to build the inputs and read the outputs is in
the model's ``metadata_props`` (see :func:`build_metadata`).

Big tree ensembles (random forests grown deep) are written as one
TreeEnsemble node per tree whose sums are added up (:mod:`.onnx_trees`):
onnxruntime then keeps each tree in cache over a whole batch.  Inputs and
outputs are the same as for any other model.

Opset policy: every model is written with ``{"": 21, "ai.onnx.ml": 3}``.
That is the newest pair every converter we use supports: onnxmltools'
XGBoost converter fails at ``ai.onnx.ml`` 5 (docs/findings.md), and
onnxruntime 1.18+ runs opset 21.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.engine.catalog import display_name
from workbench.engine.errors import ExportError
from workbench.engine.fsutil import atomic_write_bytes
from workbench.engine.json_values import json_safe
from workbench.engine.onnx.parity import check_parity

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from workbench.engine.jobs.events import JobContext
    from workbench.engine.model import TrainedModel

DEFAULT_OPSET: dict[str, int] = {"": 21, "ai.onnx.ml": 3}

INPUT_FORMAT = (
    "One input per feature column, named like the column, shape [N, 1]. "
    "Numeric, boolean and datetime features: float32, NaN for missing; "
    "boolean as 0/1; datetime as days since 1970-01-01T00:00:00 UTC "
    "(fractional days carry the time of day). Categorical features: string, "
    "'' (empty string) for missing. Classifier outputs: 'label' (the class "
    "itself: string for a text target, int64 for whole numbers) and "
    "'probabilities' (float32 [N, K]), column i being metadata 'classes'[i]. Regression output: 'variable'. Clustering: 'label', 'scores'."
)


def export_onnx(
    model: "TrainedModel",
    path: str | os.PathLike,
    *,
    X_check: "pd.DataFrame | None" = None,
    run_id: str | None = None,
    metrics: dict[str, Any] | None = None,
    target_opset: dict[str, int] | int | None = None,
    ctx: "JobContext | None" = None,
    reference_profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Convert ``model`` to ONNX, check parity on ``X_check``, write ``path``.

    Parameters
    ----------
    model
        The trained model (pipeline of preparation + estimator).
    path
        Where to write the ``.onnx`` file.  Written atomically, and only
        after conversion succeeded: a failure never leaves a file behind.
    X_check
        Raw held-out rows.  When given, onnxruntime's outputs are compared
        with the native pipeline's on the same coerced rows.
    run_id, metrics
        Stored in the model's metadata.
    target_opset
        Overrides :data:`DEFAULT_OPSET` (mostly for tests).
    ctx
        Optional job context for progress, logging and cancellation.
    reference_profile
        The training rows' profile (:mod:`workbench.engine.monitoring.reference`),
        stored in the metadata so drift can be checked from the file alone.

    Returns
    -------
    dict
        ``{"path", "bytes", "opset", "parity", "seconds"}``.  ``parity`` is
        ``None`` without ``X_check``, else ``{"rows", "label_agreement",
        "label_mismatches", "tie_disagreements", "max_abs_diff",
        "within_tolerance", "message"}``.

    Notes
    -----
    Ties.  When the native model's two best classes have (within
    :data:`TIE_EPSILON`, or within the float32 error measured on that row)
    the same probability, the model has no preference: scikit-learn reports
    the lowest class code (``argmax``), onnxruntime may report the other.
    Neither is wrong for a user, so such rows are counted in
    ``tie_disagreements`` and not as mismatches; ``label_agreement`` is
    computed over the rows that are not ties.  ``within_tolerance`` requires
    every non-tie label to agree, probabilities within
    :data:`PROBA_TOLERANCE` (absolute) and regression values within
    :data:`REGRESSION_TOLERANCE` x max(1, |value|).

    Raises
    ------
    ExportError
        The algorithm cannot be converted, or the converter failed.
    """
    started = time.perf_counter()
    opset = _opset(target_opset)
    _check_capability(model)
    if ctx is not None:
        ctx.progress(0.0, "converting to ONNX")
        ctx.check()
    onx = convert_model(model, opset)
    if ctx is not None:
        ctx.check()
        ctx.progress(0.6, "checking ONNX predictions against the native model")
    parity = None
    if X_check is not None and len(X_check):
        parity = check_parity(model, onx.SerializeToString(), X_check)
    metadata = build_metadata(model, run_id=run_id, metrics=metrics, opset=opset, parity=parity,
                              reference_profile=reference_profile)
    _set_metadata(onx, metadata)
    data = onx.SerializeToString()
    if ctx is not None:
        ctx.check()
    atomic_write_bytes(path, data)
    if ctx is not None:
        ctx.progress(1.0, "ONNX export done")
        if parity is not None and not parity["within_tolerance"]:
            ctx.warn("ONNX parity check: " + parity["message"])
    return {
        "path": str(Path(path)),
        "bytes": len(data),
        "opset": opset,
        "parity": parity,
        "seconds": round(time.perf_counter() - started, 3),
    }


# ---------------------------------------------------------------------------
# conversion
# ---------------------------------------------------------------------------
def _opset(target_opset: dict[str, int] | int | None) -> dict[str, int]:
    if target_opset is None:
        return dict(DEFAULT_OPSET)
    if isinstance(target_opset, int):
        return {"": target_opset, "ai.onnx.ml": DEFAULT_OPSET["ai.onnx.ml"]}
    return dict(target_opset)


def _check_capability(model: "TrainedModel") -> None:
    """Refuse, before any work, algorithms the catalog says cannot convert."""
    from workbench.engine.catalog import get_algorithm
    from workbench.engine.errors import SpecError

    try:
        algorithm = get_algorithm(model.info.algorithm)
    except SpecError:
        return  # not a catalog model (e.g. built by hand): let conversion decide
    if not algorithm.capabilities.onnx:
        raise ExportError(
            f"{algorithm.name} models cannot be exported to ONNX: "
            + _NO_ONNX_REASONS.get(
                algorithm.key, "there is no ONNX converter for this algorithm."
            )
            + " Use the native model file (model.skops) or train another algorithm."
        )


_NO_ONNX_REASONS = {
    "agglomerative": (
        "agglomerative clustering has no predict step for new rows "
        "(it only labels the rows it was fitted on), so there is nothing to export."
    ),
}


def graph_input_types(model: "TrainedModel") -> list[tuple[str, Any]]:
    """One ``(column name, skl2onnx tensor type)`` per feature, in order."""
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    return [
        (f.name, StringTensorType([None, 1]) if f.is_string else FloatTensorType([None, 1]))
        for f in model.info.features
    ]


# Output names of the exported graphs, per task (our contract with consumers).
OUTPUT_NAMES = {
    "classification": ("label", "probabilities"),
    "regression": ("variable",),
    "clustering": ("label", "scores"),
}


def _graphs(graph: Any) -> Any:
    """``graph`` and every subgraph inside its nodes' attributes."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g)
            for sub in attr.graphs:
                yield from _graphs(sub)


def _name_inputs_like_columns(onx: Any, model: "TrainedModel") -> None:
    """Give the graph inputs exactly the column names, in place.

    skl2onnx finds columns by their names but rewrites graph input names
    that are not identifiers (``"bill (mm)"`` -> ``"bill__mm_"``).  Inputs
    come out in the order of ``initial_types``; internal values that carry a
    column's name are renamed out of the way, so any column name works.
    """
    columns = [f.name for f in model.info.features]
    produced = [i.name for i in onx.graph.input]
    if len(produced) != len(columns):
        raise ExportError(
            f"Could not export {display_name(model.info.algorithm)} to ONNX: the converted graph has "
            f"{len(produced)} inputs for {len(columns)} feature columns."
        )
    mapping = dict(zip(produced, columns))
    taken = set(columns)
    used: set[str] = set()
    for g in _graphs(onx.graph):
        for node in g.node:
            used.update(node.input)
            used.update(node.output)
        used.update(v.name for v in list(g.initializer) + list(g.value_info) + list(g.input))
    for name in sorted(used & taken):
        if name in mapping or name in produced:
            continue
        k = 1
        while f"{name}__wb{k}" in used or f"{name}__wb{k}" in taken:
            k += 1
        mapping[name] = f"{name}__wb{k}"

    def fix(name: str) -> str:
        return mapping.get(name, name)

    for g in _graphs(onx.graph):
        for node in g.node:
            node.input[:] = [fix(n) for n in node.input]
            node.output[:] = [fix(n) for n in node.output]
        for value in list(g.input) + list(g.output) + list(g.value_info) + list(g.initializer):
            value.name = fix(value.name)


def _classifier_options(estimator: Any) -> dict[int, dict[str, Any]]:
    """``{id(clf): {"zipmap": False}}`` for every classifier in ``estimator``.

    Walks Pipelines, Voting/Stacking/Bagging members and calibrated wrappers
    so no ZipMap (a list of dicts, awkward for consumers) appears anywhere.
    """
    from sklearn.base import is_classifier

    options: dict[int, dict[str, Any]] = {}
    seen: set[int] = set()

    def visit(obj: Any) -> None:
        if id(obj) in seen or obj is None or isinstance(obj, (str, int, float, bool)):
            return
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            for item in obj:
                visit(item)
            return
        if not hasattr(obj, "get_params"):
            return
        if is_classifier(obj):
            options[id(obj)] = {"zipmap": False}
        for attr in ("steps", "estimators_", "named_estimators_", "calibrated_classifiers_",
                     "final_estimator_", "estimator", "estimator_", "base_estimator"):
            value = getattr(obj, attr, None)
            if isinstance(value, dict):
                value = list(value.values())
            if attr == "steps" and value is not None:
                value = [step for _, step in value]
            visit(value)

    visit(estimator)
    return options


def convert_model(model: "TrainedModel", opset: dict[str, int] | None = None) -> Any:
    """The in-memory ONNX ModelProto of ``model`` (no metadata, no file).

    Raises ExportError with a plain explanation when a converter fails.
    """
    import warnings

    from skl2onnx import convert_sklearn

    from workbench.engine.onnx.converters import register_converters
    from workbench.engine.onnx.labels import add_class_label_output
    from workbench.engine.onnx.trees import split_tree_ensembles

    opset = opset or dict(DEFAULT_OPSET)
    register_converters()
    outputs = OUTPUT_NAMES.get(model.task, ())
    clash = [f.name for f in model.info.features if f.name in outputs]
    if clash:
        raise ExportError(
            f"Cannot export to ONNX: the feature column(s) {', '.join(clash)} have the name of "
            f"an output of the exported model ({', '.join(outputs)}). Rename the column and retrain."
        )
    pipeline = _conversion_view(model.pipeline)
    options = _classifier_options(pipeline)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            onx = convert_sklearn(
                pipeline,
                initial_types=graph_input_types(model),
                options=options,
                target_opset=opset,
            )
    except Exception as exc:  # converters raise anything: RuntimeError, NameError...
        raise ExportError(_explain_conversion_error(model, exc)) from exc
    _name_inputs_like_columns(onx, model)
    if model.task == "classification" and not has_probabilities(model):
        _drop_output(onx, "probabilities")
    # Big forests: one TreeEnsemble node per tree keeps each tree in cache
    # (onnxruntime walks every tree of a node per 128 rows): 3-5x faster
    # batches, same inputs and outputs (see onnx_trees).
    split_tree_ensembles(onx)
    if model.task == "classification":
        add_class_label_output(onx, model.info.classes)
    return onx


def has_probabilities(model: "TrainedModel") -> bool:
    """Whether the native classifier gives probabilities (``predict_proba``).

    Some do not (ridge classifier, hinge-loss SGD, hard voting).  Their graphs
    would still carry a "probabilities" output holding decision scores or
    votes; it is removed so no consumer mistakes it for probabilities.
    """
    try:
        return bool(hasattr(model.pipeline, "predict_proba"))
    except Exception:  # available_if checks may raise on odd estimators
        return False


def _drop_output(onx: Any, name: str) -> None:
    keep = [o for o in onx.graph.output if o.name != name]
    del onx.graph.output[:]
    onx.graph.output.extend(keep)


def _conversion_view(pipeline: Any) -> Any:
    """The pipeline as skl2onnx should see it; the user's model is not touched.

    skl2onnx refuses a soft VotingClassifier with ``flatten_transform=True``
    (the default), although that flag only shapes ``transform()``'s output,
    which the exported graph never uses.  A shallow copy with the flag off
    shares every fitted member and predicts identically.
    """
    import copy

    from sklearn.ensemble import VotingClassifier
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline):
        return pipeline
    steps = []
    changed = False
    for name, step in pipeline.steps:
        if isinstance(step, VotingClassifier) and step.flatten_transform:
            step = copy.copy(step)
            step.flatten_transform = False
            changed = True
        steps.append((name, step))
    if not changed:
        return pipeline
    view = copy.copy(pipeline)
    view.steps = steps
    return view


def _explain_conversion_error(model: "TrainedModel", exc: Exception) -> str:
    name = display_name(model.info.algorithm)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Expected an int, got a boolean" in repr(exc) + repr(exc.__cause__):
        return (
            f"Could not export {name} to ONNX: the installed protobuf version rejects "
            "the model skl2onnx writes (install protobuf < 7). Details: " + text
        )
    if "Unable to find a shape calculator" in text or "not supported" in text.lower():
        return (
            f"Could not export {name} to ONNX: part of the pipeline has no ONNX "
            f"converter ({text}). Use the native model file instead."
        )
    return f"Could not export {name} to ONNX: the converter failed ({type(exc).__name__}: {text})."


# ---------------------------------------------------------------------------
# metadata
# ---------------------------------------------------------------------------
def library_versions() -> dict[str, str]:
    """Versions of the libraries that produce and run the exported model."""
    from importlib import metadata

    out: dict[str, str] = {}
    for dist in ("scikit-learn", "xgboost", "skl2onnx", "onnxmltools", "onnx", "onnxruntime",
                 "protobuf", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            if dist == "xgboost":
                try:
                    out[dist] = metadata.version("xgboost-cpu")
                except metadata.PackageNotFoundError:
                    pass
    return out


def build_metadata(
    model: "TrainedModel",
    *,
    run_id: str | None = None,
    metrics: dict[str, Any] | None = None,
    opset: dict[str, int] | None = None,
    parity: dict[str, Any] | None = None,
    reference_profile: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The ``metadata_props`` written into the model (all values strings).

    Keys: ``workbench_format`` (this layout's version), ``features`` (JSON
    list of ``{"name", "kind", "onnx_type"}`` in input order), ``target``,
    ``task``, ``algorithm``, ``classes`` (JSON list; probability column i -> class),
    ``label_values`` ("classes" for a classifier: ``label`` holds class values),
    ``reference_profile`` (JSON, when given: the training rows' profile for drift checks),
    ``has_probabilities`` ("true"/"false"),
    ``metrics`` (JSON), ``run_id``, ``workbench_version``, ``versions``
    (JSON), ``opset`` (JSON), ``parity`` (JSON or ""), ``input_format``.
    """
    from workbench import __version__
    from workbench.engine.monitoring.reference import METADATA_KEY as PROFILE_KEY
    from workbench.engine.onnx.labels import LABEL_HOLDS_CLASSES, LABEL_VALUES_KEY

    info = model.info
    threshold = getattr(info, "threshold", None)
    features = [
        {"name": f.name, "kind": f.kind, "onnx_type": "string" if f.is_string else "float32",
         **({"from_text": True} if f.from_text else {})}
        for f in info.features
    ]
    return {
        # 2: a classifier's "label" holds class values, not codes.
        "workbench_format": "2",
        "features": json.dumps(features),
        "target": info.target or "",
        "task": info.task,
        "algorithm": info.algorithm,
        "classes": json.dumps(json_safe(list(info.classes))),
        "has_probabilities": json.dumps(info.task == "classification" and has_probabilities(model)),
        "metrics": json.dumps(json_safe(metrics or {})),
        "run_id": run_id or info.run_id or "",
        "workbench_version": __version__,
        "versions": json.dumps(library_versions()),
        "opset": json.dumps(opset or DEFAULT_OPSET),
        "parity": json.dumps(json_safe(parity)) if parity is not None else "",
        "input_format": INPUT_FORMAT,
        **({LABEL_VALUES_KEY: LABEL_HOLDS_CLASSES} if info.task == "classification" else {}),
        # Binary classifiers: the chosen cut on P(classes[1]) ("" = the label output's own rule).
        "threshold": "" if threshold is None else repr(float(threshold)),
        **({PROFILE_KEY: json.dumps(reference_profile)} if reference_profile else {}),
    }


def _set_metadata(onx: Any, metadata: dict[str, str]) -> None:
    del onx.metadata_props[:]
    for key, value in metadata.items():
        entry = onx.metadata_props.add()
        entry.key = key
        entry.value = value
    onx.producer_name = "workbench"
    from workbench import __version__

    onx.producer_version = __version__
    onx.doc_string = "Exported by Training Workbench. " + INPUT_FORMAT
