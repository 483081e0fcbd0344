"""One self-contained HTML file describing a run, for a colleague who is offline.

Everything is inside the file: styles inline, pictures as ``data:`` URIs, no
script, no font, no link to anywhere (tests/engine/test_report.py checks the
text holds no ``http``/``https``/``//`` reference, and a headless Chromium
with every host unresolvable renders it).  Sections, each with an ``id``:
``dataset`` (summary, fingerprint, warnings), ``spec`` (the full RunSpec),
``metrics`` (held-out, CV folds, baseline), ``curves`` (training and learning
curves), ``evaluation`` (confusion/ROC/PR or residuals), ``importance``
(importances and contributions), ``dependence`` (partial dependence),
``calibration`` (binary classifiers: reliability and threshold), ``onnx``
(export and parity), ``environment`` (library versions, time, machine).
"""

from __future__ import annotations

import html
import json
import os
import platform
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.engine.errors import Cancelled, WorkbenchError
from workbench.engine.fsutil import atomic_write_text
from workbench.engine.project.run_result import RunResult
from workbench.engine.report import figures

if TYPE_CHECKING:  # pragma: no cover
    from workbench.engine.jobs.events import JobContext

SECTIONS = ("dataset", "spec", "metrics", "curves", "evaluation", "importance", "dependence",
            "calibration", "onnx", "environment")

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1000px;padding:1.5em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em} td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums}
.warn{background:#fff4e5;border-left:4px solid #e69500;padding:.4em .8em;margin:.4em 0}
.ok{background:#eef8ee;border-left:4px solid #3a9a3a;padding:.4em .8em;margin:.4em 0}
.muted{color:#666;font-size:.9em} img{max-width:100%;display:block;margin:.5em 0}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.85em} nav a{margin-right:.8em}
.grid{display:flex;flex-wrap:wrap;gap:.5em;align-items:flex-start} .grid img{max-width:48%}
"""


def _e(v: Any) -> str:
    return html.escape("-" if v is None else str(v))


def _num(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _e(v)
    return f"{v:.4g}" if isinstance(v, float) else f"{v:,}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td class='num'>{_num(c)}</td>" if isinstance(c, (int, float)) and not isinstance(c, bool)
                         else f"<td>{_e(c)}</td>" for c in r) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(uri: str | None, alt: str) -> str:
    return f"<img alt='{_e(alt)}' src='{uri}'>" if uri else ""


def _section(key: str, title: str, body: str) -> str:
    return f"<section id='{key}'><h2>{_e(title)}</h2>{body or '<p class=muted>Nothing recorded.</p>'}</section>"


class ReportJob:
    """Write the report of one run to ``output`` (a cancellable job; returns a summary)."""

    kind = "report"

    def __init__(self, project_root: str | os.PathLike, run_id: str, output: str | os.PathLike) -> None:
        self.project_root = str(project_root)
        self.run_id = run_id
        self.output = str(output)
        self.title = f"Report of {run_id}"

    def run(self, ctx: "JobContext | None" = None) -> dict[str, Any]:
        from workbench.engine.jobs.events import JobContext

        ctx = ctx or JobContext()
        started = time.perf_counter()
        text, notes = build_report(self.project_root, self.run_id, ctx)
        atomic_write_text(self.output, text)
        ctx.progress(1.0, "Report written")
        return {"path": self.output, "bytes": len(text.encode("utf-8")), "sections": list(SECTIONS),
                "notes": notes, "seconds": round(time.perf_counter() - started, 3)}


def build_report(project_root: str | os.PathLike, run_id: str, ctx: "JobContext") -> tuple[str, list[str]]:
    """(the HTML text, notes about parts that could not be made)."""
    from workbench.engine.project.folder import Project

    project = Project.open(project_root)
    record = project.run(run_id)
    result = record.result or RunResult()
    spec = record.spec
    task = result.task or spec.task
    notes: list[str] = []

    def part(name: str, fn, *args):
        try:
            return fn(*args)
        except Cancelled:
            raise
        except WorkbenchError as exc:
            notes.append(f"{name}: {exc}")
        except Exception as exc:  # one broken picture must not lose the whole report
            notes.append(f"{name}: {type(exc).__name__}: {exc}")
        return None

    ctx.progress(0.02, "Dataset summary")
    dataset_html = part("dataset", _dataset_section, project, spec, record)
    ctx.check()
    ctx.progress(0.2, "Metrics and curves")
    metrics_html = part("metrics", _metrics_section, result, task) or ""
    curves_html = part("curves", _curves_section, result) or ""
    evaluation_html = part("evaluation", _evaluation_section, result, task) or ""
    ctx.check()
    explanation = None
    if record.has_model and task in ("classification", "regression"):
        ctx.progress(0.35, "Explanations")
        from workbench.engine.explain.job import ExplainJob

        explanation = part("explanations", lambda: ExplainJob(project.root, run_id, rows=3).run(ctx.sub(0.35, 0.75)))
    importance_html = part("importance", _importance_section, result, explanation) or ""
    dependence_html = part("dependence", _dependence_section, explanation) or ""
    ctx.check()
    calibration_html = ""
    if record.has_model and task == "classification" and len(result.classes) == 2:
        ctx.progress(0.8, "Calibration")
        from workbench.engine.explain.threshold import BinaryDiagnosticsJob

        diag = part("calibration", lambda: BinaryDiagnosticsJob(project.root, run_id).run())
        calibration_html = part("calibration", _calibration_section, diag) or ""
    elif task == "classification":
        calibration_html = "<p class=muted>Calibration and threshold apply to binary classifiers.</p>"
    else:
        calibration_html = "<p class=muted>A regression model has no probability to calibrate.</p>"
    ctx.progress(0.9, "Assembling")
    onnx_html = _onnx_section(result)
    env_html = _environment_section(result)
    title = f"{record.label} — {result.algorithm or spec.algorithm} on {spec.dataset}"
    status = record.status
    nav = "".join(f"<a href='#{k}'>{k}</a>" for k in SECTIONS)
    body = "".join([
        _section("dataset", "Dataset", dataset_html or ""),
        _section("spec", "Run specification", f"<pre>{_e(json.dumps(spec.to_dict(), indent=2, default=str))}</pre>"),
        _section("metrics", "Metrics", metrics_html),
        _section("curves", "Training and learning curves", curves_html),
        _section("evaluation", "Evaluation on held-out rows", evaluation_html),
        _section("importance", "Feature importance and contributions", importance_html),
        _section("dependence", "Partial dependence", dependence_html),
        _section("calibration", "Calibration and decision threshold", calibration_html),
        _section("onnx", "ONNX export", onnx_html),
        _section("environment", "Environment", env_html),
    ])
    note_html = "".join(f"<div class='warn'>{_e(n)}</div>" for n in notes)
    text = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class=muted>Run {_e(record.run_id)} · {_e(status)} · task {_e(task)} · "
        f"report written {_e(datetime.now().isoformat(timespec='seconds'))}</p><nav>{nav}</nav>{note_html}{body}"
        "</body></html>"
    )
    return text, notes


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------
def _dataset_section(project: Any, spec: Any, record: Any) -> str:
    from workbench.engine.data.profile import profile_dataset

    entry = project.dataset(spec.dataset)
    frame = project.load_dataset(spec.dataset)
    profile = profile_dataset(frame, target=spec.target if spec.target in frame.columns else None).to_dict()
    fp_then = spec.fingerprint or ""
    fp_now = project.current_fingerprint(spec.dataset)
    same = "<div class='ok'>The dataset file is unchanged since training.</div>" if fp_then == fp_now else (
        "<div class='warn'>The dataset file has changed since this run was trained.</div>" if fp_then else "")
    rows = [[name, c.get("kind"), c.get("missing") or 0, c.get("n_unique")]
            for name, c in (profile.get("columns") or {}).items()]
    warnings = profile.get("warnings") or []
    warn_html = "".join(f"<div class='warn'>[{_e(w.get('code'))}] {_e(w.get('column') or '')} {_e(w.get('message'))}</div>"
                        for w in warnings) or "<div class='ok'>No data warnings.</div>"
    balance = profile.get("class_balance")
    balance_html = ""
    if isinstance(balance, dict) and balance:
        counts = balance.get("counts")
        items = counts if isinstance(counts, dict) else balance
        balance_html = "<h3>Target classes</h3>" + _table(["class", "rows"], [[k, v] for k, v in items.items()
                                                                             if isinstance(v, (int, float))])
    return (
        f"<p><b>{_e(spec.dataset)}</b> ({_e(entry.path)}): {_num(profile.get('rows'))} rows × "
        f"{_num(profile.get('n_columns'))} columns, {_num(profile.get('duplicate_rows'))} duplicate rows; "
        f"target <b>{_e(spec.target)}</b>.</p>"
        f"<p>SHA-256 fingerprint: <code>{_e(fp_then or fp_now)}</code></p>{same}"
        + _table(["column", "kind", "missing", "unique"], rows) + "<h3>Warnings</h3>" + warn_html + balance_html
    )


def _metrics_section(result: RunResult, task: str) -> str:
    metrics = result.numeric_metrics()
    baseline = result.baseline_metrics()
    rows = [[k, v, baseline.get(k)] for k, v in metrics.items()]
    out = _table(["metric (held-out rows)", "model", "baseline"], rows) if rows else ""
    if baseline and task in ("classification", "regression"):
        from workbench.engine.training.baseline import beats_baseline

        good, sentence = beats_baseline(task, metrics, baseline)
        out = f"<div class='{'ok' if good else 'warn'}'>{_e(sentence)}</div>" + out
    cv = result.cv_scores
    if cv:
        n = max((len(v.folds) for v in cv.values()), default=0)
        cv_rows = []
        base_cv = result.baseline_cv_scores
        for k, v in cv.items():
            if v.mean is not None:
                folds = v.folds + [None] * (n - len(v.folds))
                base = base_cv.get(k)
                cv_rows.append([k, v.mean, v.std] + folds + [base.mean if base else None])
        out += f"<h3>Cross-validation ({n} folds)</h3>" + _table(
            ["metric", "mean", "std"] + [f"fold {i + 1}" for i in range(n)] + ["baseline mean"], cv_rows)
    if result.rows:
        out += (f"<p class=muted>Training rows {_num(result.train_rows)}, "
                f"held-out rows {_num(result.test_rows)}.</p>")
    threshold = result.threshold_value
    if threshold is not None:
        out += f"<p>Decision threshold saved with the run: P(positive) ≥ {_num(threshold)}.</p>"
    return out


def _curves_section(result: RunResult) -> str:
    parts = [_img(figures.training_curves(result.iterations), "training curves")]
    if result.best_iteration:
        parts.append(f"<p>Best iteration: {_num(result.best_iteration)}</p>")
    lc = figures.learning_curve(result.evaluation.learning_curve)
    if lc:
        parts.append("<h3>Learning curve</h3>" + _img(lc, "learning curve"))
    return "".join(p for p in parts if p)


def _evaluation_section(result: RunResult, task: str) -> str:
    ev = result.evaluation
    if task == "classification":
        per_class = ev.per_class
        table = _table(["class", "precision", "recall", "f1", "support"],
                       [[c.label, c.precision, c.recall, c.f1, c.support] for c in per_class]) if per_class else ""
        return ("<div class='grid'>" + _img(figures.confusion_matrix(ev.confusion), "confusion matrix")
                + "</div>" + _img(figures.roc_pr(ev.roc, ev.pr), "ROC and precision-recall") + table)
    if task == "regression":
        return _img(figures.residuals(ev.sample, ev.histogram), "residuals") + _table(
            ["residual statistic", "value"], [[k, v] for k, v in ev.residuals.items()])
    return "<p class=muted>Clustering: see the metrics.</p>"


def _importance_section(result: RunResult, explanation: dict[str, Any] | None) -> str:
    out = ""
    imp = result.evaluation.importances
    if imp is not None:
        out += f"<h3>Importances ({_e(imp.method)})</h3>" + _img(
            figures.bars(imp.values, "Feature importance", imp.method), "importances")
    if explanation:
        sample = explanation.get("sample") or {}
        out += (f"<h3>Contributions</h3><p>Method: <b>{_e(explanation['method_text'])}</b>. Output explained: "
                f"{_e(explanation['output'])}. Global importance = mean |contribution| over "
                f"{_num(sample.get('global_rows'))} held-out rows.</p>")
        out += _img(figures.bars({g["feature"]: g["mean_abs"] for g in explanation["global"]},
                                 "Mean |contribution|", explanation["output"]), "mean absolute contribution")
        for row in explanation["rows"][:2]:
            out += _img(figures.waterfall(row), f"waterfall of row {row.get('index')}")
        for note in explanation.get("notes") or []:
            out += f"<div class='warn'>{_e(note)}</div>"
    return out


def _dependence_section(explanation: dict[str, Any] | None) -> str:
    if not explanation or not explanation.get("partial_dependence"):
        return ""
    sample = explanation.get("sample") or {}
    pics = figures.partial_dependence(explanation["partial_dependence"])
    return (f"<p>Partial dependence (black) and individual conditional expectation (blue) curves of the top "
            f"features, on {_num(sample.get('pdp_rows'))} sampled held-out rows.</p><div class='grid'>"
            + "".join(_img(uri, f"partial dependence of {name}") for name, uri in pics) + "</div>")


def _calibration_section(diag: dict[str, Any] | None) -> str:
    if not diag:
        return ""
    cal, curve = diag["calibration"], diag["threshold"]
    chosen = diag.get("chosen_threshold")
    rows = [[f"{b['lo']:.1f}–{b['hi']:.1f}", b["count"], b["mean_predicted"], b["fraction_positive"]] for b in cal["bins"]]
    return (
        f"<p>Positive class <b>{_e(diag['positive_class'])}</b>; {_num(cal['rows'])} held-out rows; Brier score "
        f"{_num(cal['brier'])}, expected calibration error {_num(cal['ece'])}.</p>"
        + "<div class='grid'>" + _img(figures.calibration(cal), "reliability diagram")
        + _img(figures.threshold(curve, chosen), "threshold curves") + "</div>"
        + _table(["P bin", "rows", "mean predicted", "observed rate"], rows)
        + f"<p>Best F1 at threshold {_num(curve.get('best_f1_threshold'))}. Chosen threshold: "
        + (f"<b>{_num(chosen)}</b>" if chosen is not None else "none (the model's own rule, 0.5)") + ".</p>"
    )


def _onnx_section(result: RunResult) -> str:
    o = result.onnx
    if not o:
        return "<p class=muted>Not exported to ONNX (run <code>workbench export</code>).</p>"
    parity = o.get("parity") or {}
    rows = [[k, v] for k, v in parity.items() if isinstance(v, (int, float, str)) and k != "message"]
    return (f"<p>File: <code>{_e(Path(str(o.get('path'))).name)}</code> ({_num((o.get('bytes') or 0) / 1e6)} MB)</p>"
            f"<div class='{'ok' if parity.get('ok', True) else 'warn'}'>Parity: {_e(parity.get('message'))}</div>"
            + _table(["parity", "value"], rows))


def _environment_section(result: RunResult) -> str:
    versions = result.versions
    timings = result.timings
    finished = result.finished
    when = datetime.fromtimestamp(float(finished)).isoformat(timespec="seconds") if finished else None
    machine: list[list[Any]] = [["host", platform.node()], ["system", platform.platform()], ["processor", platform.machine()],
               ["CPU cores", os.cpu_count()], ["device used", result.device], ["trained (finished)", when]]
    return ("<div class='grid'>" + _table(["library", "version"], [[k, v] for k, v in versions.items()])
            + _table(["timing", "seconds"], [[k, v] for k, v in timings.items()])
            + _table(["machine", ""], machine) + "</div>")
