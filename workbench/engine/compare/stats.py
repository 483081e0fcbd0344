"""The corrected resampled t-test (Nadeau & Bengio, 2003) and the ranking of rows.

Fold scores of two learners trained on the same k folds are not independent:
the training sets overlap, so a plain paired t-test over the folds finds
"significant" differences far too often.  Nadeau & Bengio correct the
variance of the mean difference by the ratio of test to training rows; Weka's
Experimenter uses the same correction ("corrected paired t-tester").
For k-fold cross-validation that ratio is 1 / (k - 1).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

__all__ = ["ALPHA", "corrected_resampled_ttest", "rank_rows", "score_key"]

# Two-sided significance level below which a row counts as worse than the best.
ALPHA = 0.05


def corrected_resampled_ttest(a: Sequence[float], b: Sequence[float], test_train_ratio: float) -> float | None:
    """Two-sided p-value that the mean of ``a - b`` over paired folds is zero.

    ``t = mean(d) / sqrt((1/J + n_test/n_train) * var(d))`` with ``J`` folds
    and ``var`` the sample variance (ddof=1), compared with Student's t on
    ``J - 1`` degrees of freedom.  ``None`` when there are fewer than two
    paired folds (no variance to estimate).
    """
    from scipy.stats import t as student_t

    if len(a) != len(b):
        raise ValueError(f"paired fold scores differ in length: {len(a)} and {len(b)}")
    pairs = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    if len(pairs) < 2:
        return None
    d = [x - y for x, y in pairs]
    j = len(d)
    mean = sum(d) / j
    var = sum((v - mean) ** 2 for v in d) / (j - 1)
    if var <= 1e-24:
        # Identical differences on every fold: no spread to test against.
        return 1.0 if abs(mean) <= 1e-12 else 0.0
    t = mean / math.sqrt((1.0 / j + test_train_ratio) * var)
    return float(min(1.0, max(0.0, 2.0 * student_t.sf(abs(t), j - 1))))


def score_key(direction: str):
    """Sort key putting the best score first and rows without a score last."""
    sign = -1.0 if direction == "max" else 1.0
    return lambda row: (row.get("score") is None, sign * row["score"] if row.get("score") is not None else 0.0)


def rank_rows(rows: list[dict[str, Any]], direction: str, cv: int, alpha: float = ALPHA) -> list[dict[str, Any]]:
    """Rows best first, each with ``p_value_vs_best`` and ``not_worse_than_best``.

    A row is compared with the best row on their paired fold scores; on a
    single holdout split (``cv`` < 2) there are no folds and the p-value is
    ``None`` (only the best row is then marked not worse).  Rows without a
    score (failed, cancelled) come last, marked worse.
    """
    ranked = sorted((dict(r) for r in rows), key=score_key(direction))
    if not ranked or ranked[0].get("score") is None:
        for row in ranked:
            row["p_value_vs_best"], row["not_worse_than_best"] = None, False
        return ranked
    best = ranked[0]
    ratio = 1.0 / (cv - 1) if cv >= 2 else 0.0
    for i, row in enumerate(ranked):
        if row.get("score") is None:
            row["p_value_vs_best"], row["not_worse_than_best"] = None, False
            continue
        if i == 0 or row["score"] == best["score"]:
            row["p_value_vs_best"], row["not_worse_than_best"] = 1.0, True
            continue
        a, b = row.get("fold_scores") or [], best.get("fold_scores") or []
        p = corrected_resampled_ttest(a, b, ratio) if cv >= 2 and len(a) == len(b) else None
        row["p_value_vs_best"] = p
        row["not_worse_than_best"] = p is not None and p >= alpha
    return ranked
