"""Device choice: CUDA when XGBoost can really use it, else the CPU with a notice."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from workbench.engine.training import device
from workbench.engine.errors import SpecError


@pytest.fixture(autouse=True)
def fresh_device_cache(monkeypatch, tmp_path):
    """No override, no in-process answer, and a cache folder of the test's own."""
    monkeypatch.delenv(device.ENV_OVERRIDE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(device, "_cached", None)


@pytest.mark.parametrize(
    "requested, available, expected",
    [
        ("auto", True, ("cuda", None)),
        ("auto", False, ("cpu", None)),
        ("cuda", True, ("cuda", None)),
        ("cuda", False, ("cpu", device.CUDA_FALLBACK_NOTICE)),
        ("cpu", True, ("cpu", None)),
        ("CPU", False, ("cpu", None)),
    ],
)
def test_resolve_device(monkeypatch, requested, available, expected):
    monkeypatch.setattr(device, "cuda_available", lambda refresh=False: available)
    assert device.resolve_device(requested) == expected


def test_resolve_device_rejects_unknown_devices():
    with pytest.raises(SpecError, match="choose one of auto, cpu, cuda"):
        device.resolve_device("tpu")


def test_the_environment_override_decides(monkeypatch):
    monkeypatch.setenv(device.ENV_OVERRIDE, "cuda")
    assert device.cuda_available() is True
    assert device.resolve_device("auto") == ("cuda", None)
    monkeypatch.setenv(device.ENV_OVERRIDE, "cpu")
    assert device.resolve_device("cuda") == ("cpu", device.CUDA_FALLBACK_NOTICE)


def test_without_a_gpu_the_answer_is_quick_and_cached(monkeypatch):
    monkeypatch.setattr(device, "_has_nvidia_device", lambda: False)
    start = time.monotonic()
    assert device.cuda_available() is False
    assert time.monotonic() - start < 3.0

    def no_probe(*args, **kwargs):
        raise AssertionError("the cached answer should have been used")

    monkeypatch.setattr(device, "_xgboost_version", no_probe)
    assert device.cuda_available() is False


def test_the_probe_runs_once_and_its_answer_is_kept_on_disk(monkeypatch):
    # Pretend the machine shows an NVIDIA device so the real probe runs: this
    # CPU-only XGBoost must report that it did not train on CUDA.
    monkeypatch.setattr(device, "_has_nvidia_device", lambda: True)
    calls = []
    real_run = subprocess.run

    def counting_run(*args, **kwargs):
        calls.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(device.subprocess, "run", counting_run)
    assert device.cuda_available() is False
    assert len(calls) == 1
    cached = json.loads(device._cache_path().read_text())
    assert cached["cuda"] is False and cached["xgboost"] == device._xgboost_version()

    assert device.cuda_available() is False  # in-process cache
    monkeypatch.setattr(device, "_cached", None)
    assert device.cuda_available() is False  # disk cache
    assert len(calls) == 1
    assert device.cuda_available(refresh=True) is False
    assert len(calls) == 2


def test_a_probe_that_hangs_or_fails_means_no_cuda(monkeypatch):
    def hanging(*args, **kwargs):
        raise subprocess.TimeoutExpired(cmd="probe", timeout=kwargs.get("timeout"))

    monkeypatch.setattr(device.subprocess, "run", hanging)
    assert device._probe_cuda() is False


def test_the_probe_reads_the_device_xgboost_really_used(monkeypatch):
    def fake_run(*args, **kwargs):
        return subprocess.CompletedProcess(args, 0, stdout="DEVICE=cuda:0\n", stderr="")

    monkeypatch.setattr(device.subprocess, "run", fake_run)
    assert device._probe_cuda() is True
