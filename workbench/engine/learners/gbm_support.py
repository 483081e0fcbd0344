"""Pieces shared by the LightGBM and CatBoost entries (optional libraries).

Both are installed with ``pip install 'workbench[boosting]'``; the entries
always show in the catalog and the factory says how to install a missing one.
"""

from __future__ import annotations

import importlib
from typing import Any

from workbench.engine.errors import TrainingError


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
