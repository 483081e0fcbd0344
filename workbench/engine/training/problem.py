"""The training problem: a RunSpec checked against the data, ready to split.

Everything that can be refused before fitting is refused here (unknown
columns, a target with one class, too few rows for the split or folds...),
so a bad spec leaves no run folder behind.  Used by training and tuning jobs.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.catalog import Algorithm
from workbench.engine.data.target_checks import infer_task
from workbench.engine.errors import DataError, SpecError
from workbench.engine.spec import RunSpec

MIN_ROWS = 10
# Learning curves refit the model ~15 times; on big data that would dwarf the

def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


@dataclass
class Setup:
    """A validated training problem, ready to split and fit."""

    task: str
    X: pd.DataFrame  # canonical model input (coerce_features)
    y: np.ndarray | None  # class codes 0..K-1, floats, or None (clustering)
    classes: list[Any]
    features: list[Any]  # FeatureInfo
    preprocessor: Any  # unfitted
    params: dict[str, Any]
    dropped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_setup(df: pd.DataFrame, spec: RunSpec, algorithm: Algorithm) -> Setup:
    """Validate the spec against the data and build the unfitted pieces."""
    from workbench.engine.data.schema import infer_schema
    from workbench.engine.model import coerce_features
    from workbench.engine.training.preparation import plan_preparation
    from workbench.engine.training.preprocessor import build_preprocessor

    columns = [str(c) for c in df.columns]
    notes: list[str] = []
    target = spec.target
    task = spec.task
    if task is not None and task not in algorithm.tasks:
        raise SpecError(
            f"Algorithm '{algorithm.key}' does not do {task}; it does {', '.join(algorithm.tasks)}."
        )
    if task is None and algorithm.tasks == ("clustering",):
        task = "clustering"
    if target is not None and target not in columns:
        raise DataError(
            f"Target column '{target}' is not in dataset '{spec.dataset}'.{_suggest(target, columns)}"
        )
    if target is None and task != "clustering":
        raise SpecError("A target column is needed (--target COL), except for clustering.")
    for col in list(spec.ignore) + list(spec.features or []):
        if col not in columns:
            raise SpecError(f"Column '{col}' is not in dataset '{spec.dataset}'.{_suggest(col, columns)}")

    unknown = [c for c in spec.preparation if c not in columns]
    if unknown:  # a typo in --prep would otherwise change nothing, silently
        notes.append(f"Preparation of column(s) {', '.join(unknown)} ignored: not in dataset '{spec.dataset}'.")
    y_raw: pd.Series | None = None
    if target is None:
        task = "clustering"  # the only task without a target (any other was refused above)
    else:
        y_raw = df[target]
        if y_raw.isna().all():
            raise DataError(f"Target column '{target}' is empty (every value is missing).")
        missing = int(y_raw.isna().sum())
        if missing and task != "clustering":
            notes.append(f"Dropped {missing} row(s) whose target '{target}' is missing.")
            keep = y_raw.notna().to_numpy()
            df = df.loc[keep]
            y_raw = y_raw.loc[keep]
        if task is None:
            task = infer_task(y_raw)
            notes.append(f"Task inferred from the target: {task}.")
        if task not in algorithm.tasks:
            raise SpecError(
                f"The target '{target}' looks like {task}, which '{algorithm.key}' does not do "
                f"(it does {', '.join(algorithm.tasks)}). Pick another algorithm or pass --task."
            )

    params = algorithm.validate_params(spec.params, task)

    if len(df) < MIN_ROWS:
        raise DataError(f"Too few rows to train: {len(df)} (need at least {MIN_ROWS}).")

    excluded = set(spec.ignore) | ({target} if target else set())
    feature_names = [c for c in (spec.features or columns) if c not in excluded]
    feature_names = [c for c in feature_names if not spec.preparation.get(c) or not spec.preparation[c].drop]
    if not feature_names:
        raise DataError("No feature columns left: every column is the target, ignored or dropped.")

    schema = infer_schema(df[feature_names])
    # The frame lets preparation count categories and rows per column (a
    # name-like column is dropped, a high-cardinality one encoded to suit
    # the learner); its decisions go to the run log.
    plan = plan_preparation(schema, feature_names, spec, algorithm, frame=df[feature_names])
    preprocessor, infos = build_preprocessor(schema, feature_names, spec, algorithm, frame=df[feature_names])
    used = {f.name for f in infos}
    dropped = {}
    for col in feature_names:
        if col not in used:
            kind = schema[col].kind
            reason = {"id": "looks like an id", "text": "free text"}.get(kind, f"{kind} column not used")
            dropped[col] = reason if kind in ("id", "text") else plan.dropped.get(col, reason)
    if dropped:
        notes.append(
            "Not used as features: " + ", ".join(f"{c} ({r})" for c, r in dropped.items()) + "."
        )
    notes.extend(f"Preparation: {note}." for note in plan.notes)
    notes.extend(f"Dropped {w}." for w in plan.warnings)  # "Dropped" makes it a warning in the log
    if not infos:
        raise DataError(
            "No usable feature: every candidate column is an id, free text or empty. "
            "Choose feature columns explicitly."
        )
    for f in infos:
        col = df[f.name]
        if f.kind == "numeric" and pd.api.types.is_float_dtype(col) and np.isinf(col.to_numpy()).any():
            notes.append(f"Column '{f.name}' holds infinite values; they are treated as missing.")
    X = coerce_features(df, infos)  # +-inf become NaN here

    y: np.ndarray | None = None
    classes: list[Any] = []
    if task == "classification" and y_raw is not None:
        values = y_raw.to_numpy()
        classes_arr, codes = np.unique(values.astype(str) if values.dtype == object else values, return_inverse=True)
        if values.dtype == object:
            # keep original label objects (e.g. mixed str) as strings
            classes = [str(c) for c in classes_arr]
        else:
            classes = [c.item() if hasattr(c, "item") else c for c in classes_arr]
        if len(classes) < 2:
            raise DataError(
                f"Target '{target}' has a single class ({classes[0]!r}); classification needs at least two."
            )
        counts = np.bincount(codes)
        rare = [str(classes[i]) for i, n in enumerate(counts) if n < 2]
        if rare:
            raise DataError(
                f"Class(es) {', '.join(rare)} of target '{target}' have a single row; "
                "each class needs at least 2 rows to be split. Remove or merge them."
            )
        y = codes.astype(np.int64)
    elif task == "regression" and y_raw is not None:
        y_num = pd.to_numeric(y_raw, errors="coerce")
        bad = int(y_num.isna().sum())
        if bad:
            example = y_raw[y_num.isna()].iloc[0]
            raise DataError(
                f"Target '{target}' is not numeric (e.g. {example!r}); "
                "use --task classification or pick a numeric target."
            )
        y = y_num.to_numpy(dtype=np.float64)
        if not np.isfinite(y).all():
            raise DataError(f"Target '{target}' holds infinite values; remove those rows first.")
    return Setup(task, X, y, classes, infos, preprocessor, params, dropped, notes)


def holdout_split(setup: Setup, spec: RunSpec):
    """Holdout split (stratified for classification)."""
    from sklearn.model_selection import train_test_split

    n = len(setup.X)
    idx = np.arange(n)
    if setup.task == "clustering":
        return idx, idx
    stratify = setup.y if setup.task == "classification" else None
    n_test = math.ceil(n * spec.test_size)
    if setup.task == "classification":
        k = len(setup.classes)
        if n_test < k or n - n_test < k:
            raise DataError(
                f"Too few rows for a stratified split: {n} rows, {k} classes and "
                f"--test-size {spec.test_size} leave fewer test or training rows than classes."
            )
    try:
        train_idx, test_idx = train_test_split(
            idx, test_size=spec.test_size, random_state=spec.seed, stratify=stratify
        )
    except ValueError as exc:
        raise DataError(f"Cannot split {n} rows with --test-size {spec.test_size}: {exc}") from None
    if len(train_idx) < 2 or len(test_idx) < 1:
        raise DataError(f"Too few rows ({n}) for --test-size {spec.test_size}.")
    # Training rows stay in the split's seeded random order, not file order:
    # files are often sorted (by date, by class), and whatever depends on row
    # order downstream (kNN breaking distance ties, a learner's inner folds)
    # then saw one kind of row first (a titanic kNN scored 0.379 under a
    # 0.621 majority rate; 0.705 on shuffled rows).
    return np.asarray(train_idx), np.sort(test_idx)


def cv_folds(setup: Setup, spec: RunSpec, train_idx: np.ndarray):
    from sklearn.model_selection import KFold, StratifiedKFold

    if setup.y is None:
        raise SpecError("Cross-validation needs a target; a clustering run has none.")
    y = setup.y[train_idx]
    if setup.task == "classification":
        counts = np.bincount(y, minlength=len(setup.classes))
        smallest = int(counts.min())
        if smallest < spec.cv:
            cls = setup.classes[int(counts.argmin())]
            raise DataError(
                f"--cv {spec.cv} needs at least {spec.cv} rows of every class in the training part; "
                f"class {cls!r} has {smallest}. Use fewer folds."
            )
        splitter = StratifiedKFold(spec.cv, shuffle=True, random_state=spec.seed)
    else:
        if len(train_idx) < spec.cv * 2:
            raise DataError(f"Too few training rows ({len(train_idx)}) for --cv {spec.cv}.")
        splitter = KFold(spec.cv, shuffle=True, random_state=spec.seed)
    return list(splitter.split(np.zeros(len(train_idx)), y))
