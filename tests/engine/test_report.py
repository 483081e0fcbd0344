"""The HTML report: one file, every section, nothing fetched from anywhere."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.engine import Project, ReportJob, RunSpec, TrainJob, set_threshold

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"
SECTIONS = ("dataset", "spec", "metrics", "curves", "evaluation", "importance", "dependence",
            "calibration", "onnx", "environment")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    dest = tmp_path_factory.mktemp("report") / "penguins"
    shutil.copytree(SAMPLES / "penguins_sex", dest, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    job = TrainJob(dest, RunSpec(dataset="penguins", algorithm="xgboost", target="sex", cv=3,
                                 params={"n_estimators": 20}, n_threads=1, learning_curve=False))
    job.run()
    set_threshold(dest, job.run_id, 0.7)
    out = dest / "report.html"
    summary = ReportJob(dest, job.run_id, out).run()
    return Project.open(dest).run(job.run_id), out, summary


def test_report_is_one_self_contained_file_with_every_section(report):
    record, path, summary = report
    text = path.read_text(encoding="utf-8")
    assert summary["notes"] == [], summary["notes"]
    for key in SECTIONS:
        assert f"<section id='{key}'>" in text
    # No reference to anything outside the file: every picture is inline.
    assert not re.search(r"(?i)(https?:|ftp:|src=['\"]?//|href=['\"]?//|url\()", text)
    images = re.findall(r"<img [^>]*src='([^']*)'", text)
    assert len(images) >= 8 and all(src.startswith("data:image/png;base64,") for src in images)
    assert record.spec.to_dict()["fingerprint"] in text  # the dataset's fingerprint
    assert "Baseline (always predicting the most frequent class)" in text
    assert "fold 3" in text  # CV folds
    assert "exact TreeSHAP" in text and "P(positive) ≥ 0.7" in text
    assert "scikit-learn" in text and "CPU cores" in text


def test_report_renders_offline_in_headless_chromium(report, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    _, path, _ = report
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              # Every host name fails to resolve: a report that needs the network shows it.
              "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1100,3000"]
    shot = tmp_path / "report.png"
    subprocess.run(common + [f"--screenshot={shot}", path.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    dom = subprocess.run(common + ["--dump-dom", path.as_uri()], capture_output=True, timeout=120, check=True,
                         text=True).stdout
    for key in SECTIONS:
        assert f'id="{key}"' in dom
