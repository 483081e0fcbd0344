"""The report's pictures: matplotlib PNGs (no display, no pyplot) as ``data:`` URIs.

Each function takes what the engine already records (a run's typed
result parts, explain.json, the binary diagnostics) and returns a data URI, or None when
there is nothing to draw.  PNG metadata is stripped: matplotlib writes its
web address into the file otherwise, and the report must hold no URL.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from workbench.engine.project.run_result import (
        Confusion,
        Curve,
        Histogram,
        Iteration,
        LearningCurve,
        RegressionSample,
    )

WIDTH, HEIGHT, DPI = 6.4, 3.6, 100


def _subplots(*args: Any, figsize: tuple[float, float] = (WIDTH, HEIGHT), **kwargs: Any):
    """(figure, axes) without pyplot: no global figure list and no backend
    switch, so a report job may draw in a worker thread of the GUI process."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kwargs)


def _uri(fig) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(w: float = WIDTH, h: float = HEIGHT):
    return _subplots(figsize=(w, h))


def _array(values: list[float | None]) -> np.ndarray:
    """Floats for matplotlib; a missing value is a gap (NaN)."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def training_curves(iterations: list[Iteration]) -> str | None:
    names = sorted({k for it in iterations for side in (it.train, it.valid) for k in side})
    if not names:
        return None
    fig, axes = _subplots(1, len(names[:3]), figsize=(WIDTH * min(len(names), 3) / 1.6, HEIGHT), squeeze=False)
    steps = [it.step for it in iterations]
    for ax, name in zip(axes[0], names[:3]):
        for part, style in (("train", "--"), ("valid", "-")):
            ys = [getattr(it, part).get(name) for it in iterations]
            if any(y is not None for y in ys):
                ax.plot(steps, _array(ys), style, label=part)
        ax.set_title(name)
        ax.set_xlabel("iteration")
        ax.legend()
    return _uri(fig)


def learning_curve(data: LearningCurve | None) -> str | None:
    if data is None:
        return None
    fig, ax = _figure()
    sizes = _array(data.train_sizes)
    for values, label in ((data.train_mean, "training"), (data.valid_mean, "validation")):
        ax.plot(sizes, _array(values), marker="o", label=label)
    ax.set_xlabel("training rows")
    ax.set_ylabel(data.metric)
    ax.legend()
    return _uri(fig)


def confusion_matrix(cm: Confusion | None) -> str | None:
    if cm is None:
        return None
    counts = np.asarray(cm.counts, dtype=float)
    labels = [str(x) for x in cm.labels]
    size = min(8.0, 2.5 + 0.5 * len(labels))
    fig, ax = _figure(size, size * 0.85)
    ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = counts.max() if counts.size else 0
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center",
                    color="white" if counts[i, j] > top / 2 else "black")
    return _uri(fig)


def roc_pr(roc: list[Curve], pr: list[Curve]) -> str | None:
    if not roc and not pr:
        return None
    fig, (a, b) = _subplots(1, 2, figsize=(WIDTH * 1.6, HEIGHT))
    for c in roc:
        a.plot(_array(c.x), _array(c.y), label=f"{c.label} (AUC {c.score:.3f})" if c.score is not None else str(c.label))
    a.plot([0, 1], [0, 1], ":", color="grey")
    a.set(title="ROC", xlabel="false positive rate", ylabel="true positive rate")
    a.legend(fontsize=8)
    for c in pr:
        b.plot(_array(c.x), _array(c.y), label=f"{c.label} (AP {c.score:.3f})" if c.score is not None else str(c.label))
    b.set(title="Precision-recall", xlabel="recall", ylabel="precision")
    b.legend(fontsize=8)
    return _uri(fig)


def residuals(sample: RegressionSample | None, hist: Histogram | None) -> str | None:
    if sample is None or not sample.y_true:
        return None
    fig, (a, b) = _subplots(1, 2, figsize=(WIDTH * 1.6, HEIGHT))
    t, p = _array(sample.y_true), _array(sample.y_pred)
    a.scatter(t, p, s=6, alpha=0.6)
    lo, hi = float(np.nanmin([t.min(), p.min()])), float(np.nanmax([t.max(), p.max()]))
    a.plot([lo, hi], [lo, hi], ":", color="grey")
    a.set(title="Predicted vs true", xlabel="true", ylabel="predicted")
    if hist is not None:
        edges = _array(hist.edges)
        b.bar(edges[:-1], _array(hist.counts), width=np.diff(edges), align="edge")
    b.set(title="Residuals (true - predicted)", xlabel="residual", ylabel="rows")
    return _uri(fig)


def bars(values: dict[str, float], title: str, xlabel: str, limit: int = 20) -> str | None:
    items = [(k, v) for k, v in values.items() if v is not None][:limit]
    if not items:
        return None
    fig, ax = _figure(WIDTH, max(2.0, 0.3 * len(items) + 1))
    names = [k for k, _ in items][::-1]
    ax.barh(names, [v for _, v in items][::-1])
    ax.set(title=title, xlabel=xlabel)
    return _uri(fig)


def partial_dependence(curves: dict[str, Any]) -> list[tuple[str, str]]:
    """One picture per feature: the average curve over its ICE lines."""
    out = []
    for name, c in curves.items():
        fig, ax = _figure(WIDTH / 1.4, HEIGHT / 1.2)
        grid = c["grid"]
        avg = c["average"]
        categorical = c.get("kind") == "categorical"
        xs = np.arange(len(grid)) if categorical else np.asarray(grid, float)
        if avg and isinstance(avg[0], list):  # multiclass: a curve per class
            for label, curve in zip(c.get("classes", []), avg):
                ax.plot(xs, curve, marker="o" if categorical else None, label=str(label))
            ax.legend(fontsize=7)
        else:
            for line in c.get("ice") or []:
                ax.plot(xs, line, color="tab:blue", alpha=0.12, linewidth=0.8)
            ax.plot(xs, avg, color="black", linewidth=2, marker="o" if categorical else None, label="average")
        if categorical:
            ax.set_xticks(xs, grid, rotation=30, ha="right")
        ax.set(title=name, xlabel=name, ylabel=c.get("output", "output"))
        out.append((name, _uri(fig)))
    return out


def waterfall(row: dict[str, Any], limit: int = 12) -> str | None:
    """Base value, then each contribution (largest first), ending at the raw output."""
    items = sorted(row["contributions"].items(), key=lambda kv: -abs(kv[1]))
    if not items:
        return None
    head, tail = items[:limit], items[limit:]
    if tail:
        head.append((f"{len(tail)} other features", sum(v for _, v in tail)))
    fig, ax = _figure(WIDTH, max(2.4, 0.32 * len(head) + 1.2))
    start = row["base_value"]
    labels, lefts, widths, colors = [], [], [], []
    for name, v in head:
        value = row.get("values", {}).get(name)
        labels.append(f"{name} = {value}" if value not in (None, "") else name)
        lefts.append(start if v >= 0 else start + v)
        widths.append(abs(v))
        colors.append("tab:red" if v >= 0 else "tab:blue")
        start += v
    ys = np.arange(len(head))[::-1]
    ax.barh(ys, widths, left=lefts, color=colors)
    ax.set_yticks(ys, labels, fontsize=8)
    ax.axvline(row["base_value"], color="grey", linestyle=":", label=f"base {row['base_value']:.4g}")
    ax.axvline(row["raw_output"], color="black", linestyle="--", label=f"output {row['raw_output']:.4g}")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"Row {row.get('index')}: prediction {row.get('prediction')}")
    return _uri(fig)


def calibration(cal: dict[str, Any]) -> str | None:
    bins = [b for b in cal.get("bins", []) if b["count"]]
    if not bins:
        return None
    fig, (a, b) = _subplots(2, 1, figsize=(WIDTH / 1.3, HEIGHT * 1.5), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1]})
    a.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    a.plot([x["mean_predicted"] for x in bins], [x["fraction_positive"] for x in bins], marker="o", label="model")
    for x in bins:
        a.annotate(str(x["count"]), (x["mean_predicted"], x["fraction_positive"]), fontsize=7,
                   textcoords="offset points", xytext=(3, 3))
    a.set(title="Reliability diagram (numbers: rows per bin)", ylabel="observed positive rate")
    a.legend(fontsize=8)
    all_bins = cal["bins"]
    b.bar([x["lo"] for x in all_bins], [x["count"] for x in all_bins], width=0.1, align="edge")
    b.set(xlabel="predicted probability of the positive class", ylabel="rows")
    return _uri(fig)


def threshold(curve: dict[str, Any], chosen: float | None) -> str | None:
    ts = curve.get("thresholds")
    if not ts:
        return None
    fig, ax = _figure()
    for key in ("precision", "recall", "f1"):
        ax.plot(ts, [np.nan if v is None else v for v in curve[key]], label=key)
    if curve.get("cost"):
        twin = ax.twinx()
        twin.plot(ts, curve["cost"], color="tab:red", linestyle="--", label="cost")
        twin.set_ylabel("cost", color="tab:red")
    if chosen is not None:
        ax.axvline(chosen, color="black", linestyle=":", label=f"chosen {chosen:g}")
    ax.set(xlabel="threshold on P(positive)", ylim=(0, 1.02))
    ax.legend(fontsize=8, loc="lower left")
    return _uri(fig)
