"""Compare new rows with a run's reference profile: per-feature drift and a verdict.

Per feature:

* **PSI** (population stability index) over the training deciles (numbers)
  or the categories: reported with the usual bands (< 0.1 stable, 0.1-0.25
  moderate, > 0.25 major);
* a **two-sample test**: Kolmogorov-Smirnov (numbers) or chi-square on the
  category counts, for up to :data:`LARGE_SAMPLE_ROWS` new values.  On more
  values than that a test finds any tiny difference "significant", so the
  verdict comes from a distance instead: Wasserstein distance in units of
  the training standard deviation (numbers) or Jensen-Shannon distance
  (categories), each against :data:`DISTANCE_THRESHOLD`;
* **unseen categories**, the **share out of the training range** (numbers:
  outside [min, max]; categories: rows with an unseen category) and the
  **change in missing rate**.

A feature drifts when (see :data:`THRESHOLDS`, also written into every
report): its test's p-value is below ``ALPHA / number of features``
(Bonferroni: a random sample of the training data then flags no feature in
19 of 20 checks), or its distance is over the threshold (large samples), or
PSI > 0.25 on at least :data:`PSI_MIN_ROWS` values, or more than 5% of the
values fall outside the training range / are unseen categories (and a
binomial test says that is beyond chance), or the missing rate moved by 10
points or more (and Fisher's exact test agrees).
Overall: drifted when any feature drifted.  numpy and scipy only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError
from workbench.engine.monitoring.reference import bin_shares, category_values, numeric_values

ALPHA = 0.05
LARGE_SAMPLE_ROWS = 1000
DISTANCE_THRESHOLD = 0.1
PSI_MAJOR = 0.25
PSI_MIN_ROWS = 500
OUT_OF_RANGE_SHARE = 0.05
MISSING_RATE_CHANGE = 0.10
HISTOGRAM_BINS = 20
_EPS = 1e-4  # floor for empty bins in PSI / JS (the usual smoothing)

THRESHOLDS = {
    "alpha": ALPHA,
    "p_value": "alpha / number of features (Bonferroni)",
    "large_sample_rows": LARGE_SAMPLE_ROWS,
    "distance": DISTANCE_THRESHOLD,
    "distance_note": "Wasserstein / training std (numbers), Jensen-Shannon base 2 (categories), "
                     "used instead of the test above large_sample_rows values",
    "psi_major": PSI_MAJOR,
    "psi_min_rows": PSI_MIN_ROWS,
    "out_of_range_share": OUT_OF_RANGE_SHARE,
    "missing_rate_change": MISSING_RATE_CHANGE,
}


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    e = np.maximum(np.asarray(expected, dtype=float), _EPS)
    a = np.maximum(np.asarray(actual, dtype=float), _EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def _features_of(profile: dict[str, Any]) -> list[Any]:
    from workbench.engine.model import FeatureInfo

    return [FeatureInfo(f["name"], f["model_kind"], from_text=bool(f.get("from_text", False)))
            for f in profile["features"]]


def coerce_for_profile(data: pd.DataFrame, profile: dict[str, Any]) -> pd.DataFrame:
    """Raw rows -> the values the model sees (DataError naming a missing column)."""
    from workbench.engine.model import coerce_features

    return coerce_features(data, _features_of(profile))


def drift_report(profile: dict[str, Any], data: pd.DataFrame, *, coerced: bool = False) -> dict[str, Any]:
    """Compare ``data`` (raw rows, or coerced with ``coerced=True``) with ``profile``.

    Returns ``{"drifted", "rows", "thresholds", "features": [{"name", "kind",
    "test", "statistic", "p_value", "psi", "drifted", "reasons",
    "unseen_categories", "out_of_range_share", "missing_rate_change",
    "histogram"}, ...]}`` (features in the profile's order).
    """
    if not len(data):
        raise DataError("There are no rows to compare with the training data.")
    frame = data if coerced else coerce_for_profile(data, profile)
    n_features = max(1, len(profile["features"]))
    alpha = ALPHA / n_features
    features = []
    for ref in profile["features"]:
        if ref["kind"] == "numeric":
            entry = _numeric_drift(ref, numeric_values(frame[ref["name"]], bool(ref.get("from_text"))), alpha)
        else:
            entry = _categorical_drift(ref, *category_values(frame[ref["name"]], ref["model_kind"]), alpha)
        features.append(entry)
    return {
        "drifted": any(f["drifted"] for f in features),
        "rows": int(len(frame)),
        "reference_rows": int(profile.get("rows", 0)),
        "thresholds": dict(THRESHOLDS, p_value=alpha),
        "features": features,
    }


def _missing_change(ref: dict[str, Any], missing: np.ndarray, alpha: float) -> tuple[float, bool]:
    """Change in missing rate, and whether it counts: >= 10 points and Fisher's exact
    test on the two samples' counts agrees (the training rate is an estimate too)."""
    from scipy.stats import fisher_exact

    n = len(missing)
    change = float(missing.mean() - ref["missing_rate"]) if n else 0.0
    if abs(change) < MISSING_RATE_CHANGE or n == 0:
        return change, False
    present = int(ref.get("count", 0))
    rate = float(ref["missing_rate"])
    ref_missing = int(round(present * rate / (1.0 - rate))) if rate < 1 else n
    new_missing = int(missing.sum())
    table = [[ref_missing, present], [new_missing, n - new_missing]]
    return change, bool(fisher_exact(table).pvalue < alpha)


def _range_flag(share: float, outside: int, n: int, reference_count: int, alpha: float) -> bool:
    """More than 5% outside the range (or unseen), beyond chance.

    A new value from the training distribution falls outside the range of
    ``m`` training values with probability 2 / (m + 1); a binomial test
    against that keeps small samples from flagging on a few extreme rows.
    """
    from scipy.stats import binomtest

    if share <= OUT_OF_RANGE_SHARE or n == 0:
        return False
    expected = min(1.0, 2.0 / (max(reference_count, 1) + 1))
    return bool(binomtest(outside, n, expected, alternative="greater").pvalue < alpha)


def _verdict(entry: dict[str, Any], n_values: int, alpha: float, large: bool, missing_flag: bool) -> None:
    reasons = []
    if large:
        if entry["statistic"] is not None and entry["statistic"] > DISTANCE_THRESHOLD:
            reasons.append(f"{entry['test']} distance {entry['statistic']:.3g} > {DISTANCE_THRESHOLD}")
    elif entry["p_value"] is not None and entry["p_value"] < alpha:
        reasons.append(f"{entry['test']} p-value {entry['p_value']:.3g} < {alpha:.3g}")
    if entry["psi"] is not None and entry["psi"] > PSI_MAJOR and n_values >= PSI_MIN_ROWS:
        reasons.append(f"PSI {entry['psi']:.3g} > {PSI_MAJOR}")
    if entry.pop("_range_flag", False):
        what = "unseen categories" if entry["kind"] == "categorical" else "values outside the training range"
        reasons.append(f"{entry['out_of_range_share']:.1%} {what} > {OUT_OF_RANGE_SHARE:.0%}")
    if missing_flag:
        reasons.append(f"missing rate changed by {entry['missing_rate_change']:+.1%}")
    entry["reasons"] = reasons
    entry["drifted"] = bool(reasons)


def _numeric_drift(ref: dict[str, Any], values: np.ndarray, alpha: float) -> dict[str, Any]:
    from scipy.stats import ks_2samp, wasserstein_distance

    missing = np.isnan(values)
    present = values[~missing]
    sample = np.asarray(ref.get("sample") or [], dtype=np.float64)
    change, missing_flag = _missing_change(ref, missing, alpha)
    entry: dict[str, Any] = {
        "name": ref["name"], "kind": "numeric", "test": None, "statistic": None, "p_value": None,
        "psi": None, "drifted": False, "unseen_categories": [], "out_of_range_share": 0.0,
        "missing_rate_change": change, "values": int(len(present)),
    }
    large = len(present) > LARGE_SAMPLE_ROWS
    if len(present) and len(sample):
        ks = ks_2samp(sample, present)
        if large:
            std = ref.get("std") or 0.0
            distance = wasserstein_distance(sample, present)
            entry.update(test="wasserstein", statistic=float(distance / std) if std > 0 else
                         (0.0 if distance == 0 else math.inf), p_value=float(ks.pvalue))
        else:
            entry.update(test="ks", statistic=float(ks.statistic), p_value=float(ks.pvalue))
        entry["psi"] = psi(ref["shares"], bin_shares(present, ref["edges"]))
        outside = (present < ref["min"]) | (present > ref["max"])
        entry["out_of_range_share"] = float(outside.mean())
        entry["_range_flag"] = _range_flag(entry["out_of_range_share"], int(outside.sum()), len(present),
                                           int(ref.get("count", 0)), alpha)
        entry["histogram"] = _numeric_histogram(sample, present)
    _verdict(entry, len(present), alpha, large, missing_flag)
    return entry


def _numeric_histogram(reference: np.ndarray, new: np.ndarray) -> dict[str, Any]:
    lo = float(min(reference.min(), new.min()))
    hi = float(max(reference.max(), new.max()))
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
    ref_counts, _ = np.histogram(reference, edges)
    new_counts, _ = np.histogram(new, edges)
    return {
        "edges": [float(e) for e in edges],
        "reference": [float(c) for c in ref_counts / max(1, ref_counts.sum())],
        "new": [float(c) for c in new_counts / max(1, new_counts.sum())],
    }


def _categorical_drift(ref: dict[str, Any], strings: np.ndarray, missing: np.ndarray,
                       alpha: float) -> dict[str, Any]:
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import chi2_contingency

    present = strings[~missing]
    change, missing_flag = _missing_change(ref, missing, alpha)
    known: dict[str, int] = ref.get("categories") or {}
    other = int(ref.get("other_count") or 0)
    new_counts = pd.Series(present, dtype=object).value_counts()
    unseen = [str(k) for k in new_counts.index if str(k) not in known] if other == 0 else []
    names = list(known) + [k for k in unseen]
    ref_row = np.array([known.get(k, 0) for k in names] + [other], dtype=float)
    pooled_new = int(new_counts[[k for k in new_counts.index if str(k) not in known]].sum()) if other else 0
    new_row = np.array([int(new_counts.get(k, 0)) for k in names] + [pooled_new], dtype=float)
    entry: dict[str, Any] = {
        "name": ref["name"], "kind": "categorical", "test": None, "statistic": None, "p_value": None,
        "psi": None, "drifted": False, "unseen_categories": unseen[:20],
        "out_of_range_share": float(sum(int(new_counts[k]) for k in unseen) / len(present)) if len(present) else 0.0,
        "missing_rate_change": change, "values": int(len(present)),
    }
    unseen_rows = sum(int(new_counts[k]) for k in unseen)
    entry["_range_flag"] = _range_flag(entry["out_of_range_share"], unseen_rows, len(present),
                                       int(ref.get("count", 0)), alpha)
    large = len(present) > LARGE_SAMPLE_ROWS
    if len(present) and ref_row.sum() > 0:
        keep = (ref_row + new_row) > 0
        table = np.vstack([ref_row[keep], new_row[keep]])
        p_ref, p_new = table[0] / table[0].sum(), table[1] / table[1].sum()
        entry["psi"] = psi(p_ref, p_new)
        if large:
            entry.update(test="jensen_shannon",
                         statistic=float(jensenshannon(np.maximum(p_ref, _EPS), np.maximum(p_new, _EPS), base=2)))
        if table.shape[1] >= 2:
            chi = chi2_contingency(table)
            if not large:
                entry.update(test="chi_square", statistic=float(chi.statistic))
            entry["p_value"] = float(chi.pvalue)
        elif not large:
            entry.update(test="chi_square", statistic=0.0, p_value=1.0)
        entry["histogram"] = {
            "categories": [str(c) for c, k in zip(names + ["(other)"], keep) if k],
            "reference": [float(v) for v in p_ref],
            "new": [float(v) for v in p_new],
        }
    _verdict(entry, len(present), alpha, large, missing_flag)
    return entry


def drift_summary_lines(report: dict[str, Any]) -> list[str]:
    """A plain-text table of the report (CLI and logs)."""
    lines = [
        f"{'feature':<24} {'kind':<11} {'test':<14} {'statistic':>9} {'p-value':>9} {'PSI':>7}  verdict",
    ]
    for f in report["features"]:
        def num(v: Any) -> str:
            return "-" if v is None else f"{v:.3g}"

        verdict = "DRIFT: " + "; ".join(f["reasons"]) if f["drifted"] else "ok"
        lines.append(f"{str(f['name'])[:24]:<24} {f['kind']:<11} {str(f['test'] or '-'):<14} "
                     f"{num(f['statistic']):>9} {num(f['p_value']):>9} {num(f['psi']):>7}  {verdict}")
    drifted = [f["name"] for f in report["features"] if f["drifted"]]
    t = report["thresholds"]
    lines.append(
        f"Overall: {'DRIFT in ' + ', '.join(map(str, drifted)) if drifted else 'no drift'} "
        f"({report['rows']:,} new rows vs {report.get('reference_rows', 0):,} training rows)."
    )
    lines.append(
        f"Thresholds: p < {t['p_value']:.3g} (alpha {t['alpha']} / features); above {t['large_sample_rows']} "
        f"values distance > {t['distance']} (Wasserstein/std, Jensen-Shannon); PSI > {t['psi_major']} "
        f"(>= {t['psi_min_rows']} values); > {t['out_of_range_share']:.0%} out of range or unseen; "
        f"missing rate change >= {t['missing_rate_change']:.0%}."
    )
    return lines

