"""The desktop app works with the network refused: open a bundled sample from
the start page, train a small model, show the results, close.

IP sockets (AF_INET/AF_INET6), DNS lookups and urllib requests are refused by
packaging/offline_guard.py's audit hook for the whole test, in this process
and — through a sitecustomize on PYTHONPATH — in the worker process the GUI
trains in (its default executor); AF_UNIX stays allowed (multiprocessing
pipes).  tests/engine/test_offline.py covers the headless workflow and native
code (``unshare -n``).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from workbench.gui import settings as ui_settings
from workbench.gui.jobs import JobState
from workbench.gui.main_window import TAB_MODEL, MainWindow

from .conftest import click_item, copy_sample

REPO = Path(__file__).resolve().parents[2]


def _choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered"
    combo.setCurrentIndex(index)


def test_gui_opens_a_sample_and_trains_with_the_network_refused(qtbot, tmp_path, monkeypatch, offline_guard):
    samples = tmp_path / "samples"
    copy_sample("penguins_sex", samples)
    monkeypatch.setenv("WORKBENCH_SAMPLES", str(samples))
    guard = offline_guard
    # Worker processes (spawned fresh interpreters) install the guard at start-up.
    worker_log = tmp_path / "worker-network-attempts.log"
    site_dir = guard.write_sitecustomize(tmp_path / "site")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([site_dir, str(REPO), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv(guard.LOG_ENV, str(worker_log))
    ui_settings.set_executor_kind("process")  # what users get by default
    with guard.blocked_network() as attempts:
        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        try:
            samples = window.start_page.samples
            assert samples.count() == 1
            click_item(qtbot, samples, samples.item(0))
            qtbot.waitUntil(lambda: window.session.frame is not None, timeout=20000)

            window.tabs.setCurrentIndex(TAB_MODEL)
            _choose(window.roles.target_combo, "sex")
            form = window.model_form
            qtbot.waitUntil(lambda: form.algorithm_combo.findData("xgboost") >= 0, timeout=5000)
            _choose(form.algorithm_combo, "xgboost")
            form.param_form.fields["n_estimators"].editor.setValue(20)
            qtbot.mouseClick(form.train_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: not window.jobs.is_idle(), timeout=5000)
            qtbot.waitUntil(window.jobs.is_idle, timeout=60000)
            entry = [e for e in window.jobs.entries() if e.kind == "train"][-1]
            assert entry.state == JobState.COMPLETED, entry.error
            qtbot.wait(300)  # let the results paint with the network still refused
        finally:
            window.shutdown()
    assert not attempts, "the GUI tried to reach the network:\n" + "\n".join(attempts)
    assert not worker_log.exists(), "the training worker tried to reach the network:\n" + worker_log.read_text()
