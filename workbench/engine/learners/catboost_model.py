"""A CatBoost classifier that predicts like every scikit-learn classifier.

``CatBoostClassifier.predict`` returns an (n, 1) column for multiclass
problems; scikit-learn code (metrics, permutation importances, our parity
check) expects a flat (n,) vector of labels.  The subclass flattens it and
changes nothing else.  It imports CatBoost: import it inside factories only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from catboost import CatBoostClassifier


class FlatCatBoostClassifier(CatBoostClassifier):
    """``CatBoostClassifier`` whose ``predict`` returns a 1-D array of labels."""

    def predict(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        out = super().predict(data, *args, **kwargs)
        prediction_type = kwargs.get("prediction_type", args[0] if args else "Class")
        if prediction_type == "Class":
            out = np.asarray(out).reshape(-1)
        return out
