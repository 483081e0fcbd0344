"""Does an exported graph predict what the native model predicts?

:func:`check_parity` runs the graph in onnxruntime on held-out raw rows and
compares it with the native pipeline: probabilities within an absolute
tolerance, regression values within a relative one, labels equal except on
exact ties.  :func:`export_onnx` calls it; the result goes into the model's
metadata and the export report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.engine.catalog import display_name
from workbench.engine.errors import ExportError
from workbench.engine.onnx.labels import class_codes

if TYPE_CHECKING:
    import pandas as pd

    from workbench.engine.model import TrainedModel

# Parity tolerances.  The graph computes in float32, the native pipeline
# mostly in float64, so probabilities differ by float32 rounding (measured
# <= 1e-5 on every catalog algorithm).  Probabilities live in [0, 1]: an
# absolute bound fits them.  Regression values can be any size: the bound is
# relative to the value's magnitude, absolute below 1.
PROBA_TOLERANCE = 1e-4
REGRESSION_TOLERANCE = 1e-4
# Two classes whose native probabilities are this close are a tie: the
# model has no preference, and which one is reported is an arbitrary rule
# (numpy's argmax takes the lowest code; the ONNX runtime may take another).
TIE_EPSILON = 1e-6
# Label disagreements on exact float32 ties are reported, and excused up to
# this share of the rows; beyond it the labels are not the model's.
TIE_SHARE_LIMIT = 0.01


def _float32_ties(proba: np.ndarray) -> np.ndarray:
    """Rows whose two largest probabilities are equal in float32."""
    p32 = np.sort(np.asarray(proba, dtype=np.float32), axis=1)
    return p32[:, -1] == p32[:, -2]


def onnx_feeds(model: "TrainedModel", frame: "pd.DataFrame") -> dict[str, np.ndarray]:
    """Graph inputs from a *coerced* frame: one ``[N, 1]`` array per column."""
    feeds = {}
    for f in model.info.features:
        col = frame[f.name].to_numpy()
        if f.is_string:
            feeds[f.name] = np.asarray(col, dtype=object).reshape(-1, 1)
        else:
            feeds[f.name] = np.ascontiguousarray(col, dtype=np.float32).reshape(-1, 1)
    return feeds


def check_parity(model: "TrainedModel", onnx_bytes: bytes, X_check: "pd.DataFrame") -> dict[str, Any]:
    """Compare onnxruntime with the native pipeline on ``X_check`` (raw rows).

    See :func:`export_onnx` for the meaning of the fields and tolerances.
    """
    import onnxruntime as ort


    frame = model.coerce(X_check)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        outputs = session.run(None, onnx_feeds(model, frame))
    except Exception as exc:
        raise ExportError(
            f"The exported {display_name(model.info.algorithm)} model does not run in onnxruntime: "
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        ) from exc
    named = dict(zip([o.name for o in session.get_outputs()], outputs))
    pipeline = model.pipeline
    rows = len(frame)
    if model.task == "regression":
        native = np.asarray(pipeline.predict(frame), dtype=np.float64).ravel()
        onnx_pred = np.asarray(named["variable"], dtype=np.float64).ravel()
        diff = np.abs(native - onnx_pred)
        max_diff = float(np.nanmax(diff)) if rows else 0.0
        nan_mismatch = int((np.isnan(native) != np.isnan(onnx_pred)).sum())
        ok = bool(np.all(diff[~np.isnan(diff)] <= REGRESSION_TOLERANCE * np.maximum(1.0, np.abs(native[~np.isnan(diff)])))) and not nan_mismatch
        message = (
            "ONNX predictions match the native model."
            if ok
            else f"ONNX predictions differ from the native model by up to {max_diff:.3g} "
            f"(tolerance {REGRESSION_TOLERANCE:g} x max(1, |value|))."
            + _float32_hint(model)
        )
        return {
            "rows": rows,
            "label_agreement": None,
            "label_mismatches": 0,
            "tie_disagreements": 0,
            "max_abs_diff": max_diff,
            "within_tolerance": ok,
            "message": message,
        }

    native_labels = np.asarray(pipeline.predict(frame)).astype(np.int64).ravel()
    if model.task == "classification":
        # The graph's label holds class values (onnx.labels): map them back to
        # codes; a value that is not one of the classes (-1) counts as a mismatch.
        onnx_labels = class_codes(named["label"], model.info.classes)
    else:
        onnx_labels = np.asarray(named["label"]).astype(np.int64).ravel()
    differ = native_labels != onnx_labels
    max_diff = 0.0
    ties = np.zeros(rows, dtype=bool)
    if model.task == "classification" and "probabilities" in named and hasattr(pipeline, "predict_proba"):
        native_proba = np.asarray(pipeline.predict_proba(frame), dtype=np.float64)
        onnx_proba = np.asarray(named["probabilities"], dtype=np.float64)
        row_err = np.abs(native_proba - onnx_proba).max(axis=1) if rows else np.zeros(0)
        max_diff = float(row_err.max()) if rows else 0.0
        if native_proba.shape[1] >= 2 and onnx_proba.shape == native_proba.shape:
            # A tie only where the two most likely classes are truly equal in
            # float32 (in the native output or the graph's): saturated
            # probabilities (1.0 and 1.0) say nothing about which class the
            # model prefers, and the label rules may then honestly differ
            # (native predict may argmax the decision scores, the graph the
            # probabilities).  Any other disagreement is a mismatch.
            ties = _float32_ties(native_proba) | _float32_ties(onnx_proba)
    elif model.task == "clustering" and "scores" in named and hasattr(pipeline, "transform"):
        native_scores = np.asarray(pipeline.transform(frame), dtype=np.float64)
        onnx_scores = np.asarray(named["scores"], dtype=np.float64)
        if native_scores.shape == onnx_scores.shape:
            err = np.abs(native_scores - onnx_scores)
            max_diff = float(err.max()) if rows else 0.0
            if native_scores.shape[1] >= 2:
                low2 = np.sort(native_scores, axis=1)[:, :2]
                slack = np.minimum(err.max(axis=1), REGRESSION_TOLERANCE * np.maximum(1.0, low2[:, 0]))
                ties = (low2[:, 1] - low2[:, 0]) <= np.maximum(TIE_EPSILON, 2.0 * slack)
    tie_disagreements = int((differ & ties).sum())
    mismatches = int((differ & ~ties).sum())
    # Every row counts: a label that differs on a tie still differs for the
    # program that reads it (an SGD model agreed on 38.9 % of its rows while
    # the tie-excusing check said "match").
    agreement = 1.0 if rows == 0 else float((~differ).sum()) / rows
    tolerance = PROBA_TOLERANCE if model.task == "classification" else REGRESSION_TOLERANCE * 10
    proba_ok = max_diff <= tolerance or model.task == "clustering"
    ties_ok = tie_disagreements <= TIE_SHARE_LIMIT * rows
    ok = mismatches == 0 and proba_ok and ties_ok
    parts = []
    if mismatches:
        parts.append(f"{mismatches} of {rows} predicted labels differ from the native model")
    if not proba_ok:
        parts.append(f"probabilities differ by up to {max_diff:.3g} (tolerance {tolerance:g})")
    tie_text = (
        f"{tie_disagreements} of {rows} row(s) are exact float32 ties between two classes where the graph "
        "picks another class than the native model (label agreement "
        f"{agreement:.1%}); the probabilities agree, so a program reading them can apply its own rule"
    )
    if ok:
        message = "ONNX predictions match the native model."
        if tie_disagreements:
            message += f" {tie_text[0].upper()}{tie_text[1:]}."
    else:
        if not ties_ok:
            parts.append(tie_text + " (saturated probabilities: scaling the features or more regularisation "
                         "usually removes them)")
        message = "; ".join(parts) + "." + (_float32_hint(model) if mismatches or not proba_ok else "")
    return {
        "rows": rows,
        "label_agreement": float(agreement),
        "label_mismatches": mismatches,
        "tie_disagreements": tie_disagreements,
        "max_abs_diff": max_diff,
        "within_tolerance": bool(ok),
        "message": message,
    }


def _float32_hint(model: "TrainedModel") -> str:
    """A known cause of mismatches, when the pipeline shows it."""
    prep = getattr(model.pipeline, "named_steps", {}).get("prep")
    text = repr(prep) if prep is not None else ""
    estimator = getattr(model.pipeline, "steps", [(None, None)])[-1][1]
    tree_like = any(
        k in type(estimator).__name__ for k in ("Tree", "Forest", "Boost", "XGB")
    )
    if tree_like and ("Scaler" in text or "PCA" in text):
        return (
            " Likely cause: a tree model behind scaling/PCA; the graph computes in float32 and "
            "values landing exactly on a split threshold go the other way. Train tree models "
            "without scaling for exact ONNX parity."
        )
    return " The ONNX graph computes in float32, the native model partly in float64."
