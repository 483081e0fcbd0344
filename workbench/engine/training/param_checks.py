"""Parameters checked against the data before a run starts, and fit failures
said so that a person can act on them.

A parameter combination that cannot fit the data (more neighbours than
training rows, a solver without the chosen penalty) is refused before the
run folder exists, so it leaves no ``failed`` run behind.  The catalog
declares what to check: ``ParamSpec.at_most`` names a :class:`DataFacts`
field, ``Algorithm.check`` covers combinations.  Whatever still fails inside
a library is turned into one line by :func:`describe_fit_error`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.engine.errors import SpecError
from workbench.engine.learners.base import Algorithm, DataFacts


def data_facts(algorithm: Algorithm, setup: Any, spec: Any, train_idx: np.ndarray, folds: list) -> DataFacts:
    """What the run's fits will see (see :class:`DataFacts`)."""
    rows = len(train_idx)
    if folds:
        rows = min(rows, min(len(a) for a, _ in folds))
    if algorithm.capabilities.iterative and setup.task != "clustering":
        rows -= math.ceil(rows * spec.validation_fraction)  # carved off for live validation
    y_min = None
    if setup.task == "regression" and setup.y is not None and len(train_idx):
        y_min = float(np.nanmin(np.asarray(setup.y, dtype=float)[train_idx]))
    return DataFacts(
        task=setup.task,
        fit_rows=rows,
        n_features=len(setup.features),
        n_classes=len(setup.classes),
        y_min=y_min,
    )


_LIMIT_WORDS = {"fit_rows": "rows each fit sees", "n_features": "feature columns", "n_classes": "classes"}


def check_params_against_data(
    algorithm: Algorithm, setup: Any, spec: Any, train_idx: np.ndarray, folds: list
) -> DataFacts:
    """Raise SpecError for parameters this data cannot take; return the facts."""
    facts = data_facts(algorithm, setup, spec, train_idx, folds)
    for param in algorithm.params_for(setup.task):
        value = setup.params.get(param.name)
        if param.at_most is None or value is None:
            continue
        limit = getattr(facts, param.at_most)
        if value > limit:
            where = " (one cross-validation fold's training part)" if folds and param.at_most == "fit_rows" else ""
            raise SpecError(
                f"{algorithm.key}: {param.name}={value} is more than the {limit} "
                f"{_LIMIT_WORDS.get(param.at_most, param.at_most)}{where}; "
                f"use {param.name}={limit} or less, or more data."
            )
    if algorithm.check is not None:
        algorithm.check(setup.params, facts)
    return facts


def describe_fit_error(algorithm: Algorithm, exc: BaseException, rows: int, n_features: int) -> str:
    """One line for an exception a library raised while fitting or evaluating."""
    text = " ".join(str(exc).split())  # library messages may span lines
    if isinstance(exc, MemoryError):
        return (
            f"{algorithm.name} ran out of memory on {rows:,} rows x {n_features} features. "
            "Use fewer rows or features, a lighter model, or fewer threads."
        )
    if isinstance(exc, ValueError):
        return (
            f"{algorithm.name} cannot fit this data with these settings: {text} "
            f"Change the parameters ('workbench algorithms -v' lists them) or the preparation."
        )
    return f"{algorithm.name} failed: {type(exc).__name__}: {text}"
