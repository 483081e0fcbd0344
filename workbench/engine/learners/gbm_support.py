"""Pieces shared by the gradient-boosting library entries (XGBoost, LightGBM, CatBoost).

LightGBM and CatBoost are installed with ``pip install 'workbench[boosting]'``;
the entries always show in the catalog and the factory says how to install a
missing one.  All three report per-round metrics under the library's names
(:func:`our_metrics` gives them ours), and LightGBM and CatBoost keep our
early-stopping rounds on the estimator and redo a failed GPU fit on the CPU
(:func:`fit_on_gpu_or_cpu`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from workbench.engine.errors import TrainingError
from workbench.engine.learners.base import FitInfo
from workbench.engine.learners.iterative import EarlyStopper

# The name to map a library's error rate to: it is reported as our accuracy
# (1 - error), so every learner's live curves show the same score.
ERROR_RATE = "error rate"
# Where a factory keeps early_stopping_rounds for the fitter (the library's
# own early stopping is off: ours decides, the same rule for every learner).
_ROUNDS = "_workbench_rounds"


def import_optional(module: str, what: str) -> Any:
    """``import module``, or a TrainingError telling the user how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TrainingError(
            f"{what} is not installed: pip install 'workbench[boosting]' (or pip install {module})."
        ) from None


def balanced_weights(y: Any) -> Any:
    """Per-row weights making every class weigh the same in total (scikit-learn's 'balanced')."""
    import numpy as np

    y = np.asarray(y).astype(np.int64)
    counts = np.bincount(y)
    weights = len(y) / (len(counts) * np.maximum(counts, 1))
    return weights[y]


def our_metrics(values: Iterable[tuple[str, float]], names: Mapping[str, str]) -> dict[str, float]:
    """``(library metric, value)`` pairs under our names; ``names`` maps each library
    name to ours (or to :data:`ERROR_RATE`); names it does not list are left out."""
    out: dict[str, float] = {}
    for name, value in values:
        ours = names.get(name)
        if ours == ERROR_RATE:
            out["accuracy"] = 1.0 - float(value)
        elif ours is not None:
            out[ours] = float(value)
    return out


def newest(history: Mapping[str, Sequence[float]]) -> list[tuple[str, float]]:
    """``(metric, its newest value)`` of a per-round history ``{metric: [round 1, round 2, ...]}``."""
    return [(name, values[-1]) for name, values in history.items() if len(values)]


def remember_rounds(estimator: Any, rounds: Any) -> Any:
    """Keep ``early_stopping_rounds`` on the estimator for the fitter; returns the estimator."""
    setattr(estimator, _ROUNDS, int(rounds or 0))
    return estimator


def remembered_rounds(estimator: Any) -> int:
    return int(getattr(estimator, _ROUNDS, 0) or 0)


def fit_on_gpu_or_cpu(fit: Callable[[bool], None], *, gpu: bool, errors: type[BaseException] | tuple[type[BaseException], ...],
                      library: str, info: FitInfo, stopper: EarlyStopper,
                      may_retry: Callable[[], bool] = lambda: True) -> None:
    """``fit(gpu)``; a GPU fit that fails with one of the library's ``errors`` is done again on the CPU.

    ``info.device`` says where it trained and a note says why it moved; the
    early stopper starts afresh for the second fit.  ``may_retry`` is asked
    first (False: the fit was stopped on purpose, e.g. a cancel the library
    wrapped into its own error).
    """
    info.device = "cuda" if gpu else "cpu"
    try:
        fit(gpu)
    except errors as exc:
        if not gpu or not may_retry():
            raise
        info.device = "cpu"
        info.notes.append(f"{library} could not use the GPU ({str(exc).splitlines()[0][:120]}); trained on the CPU.")
        stopper.reset()
        fit(False)
