"""Values made safe for JSON: one rule for every file the engine writes.

numpy scalars and arrays become Python numbers and lists, NaN and infinities
become ``null``, dates become ISO strings, missing markers (``pd.NA``,
``pd.NaT``) become ``null``, dict keys become strings and anything else its
``str``.  Used by results, profiles, tuning records and ONNX metadata.
"""

from __future__ import annotations

import datetime
import math
import sys
from typing import Any

import numpy as np

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` (nested dicts, lists, tuples, arrays) as plain JSON values."""
    if isinstance(value, dict):
        return {str(json_safe(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    pd = sys.modules.get("pandas")  # only a frame's values can be pandas markers
    if pd is not None and (value is pd.NaT or value is pd.NA):
        return None
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
