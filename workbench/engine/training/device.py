"""Which device XGBoost should train on: a usable CUDA GPU or the CPU.

Asking XGBoost is the only reliable test (docs/findings.md): ``build_info()``
says what the wheel *could* do, and ``device="cuda"`` without a GPU silently
trains on the CPU.  So :func:`cuda_available` trains one round on tiny data
with ``device="cuda"`` and reads the device the booster really used.  The
probe runs once, in a subprocess with a timeout (a broken driver must not
hang or crash the app), and its answer is cached in memory and on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from importlib import metadata, util
from pathlib import Path

from workbench.engine.errors import SpecError

__all__ = ["DEVICES", "cuda_available", "resolve_device", "CUDA_FALLBACK_NOTICE"]

DEVICES = ("auto", "cpu", "cuda")
CUDA_FALLBACK_NOTICE = "CUDA was requested but no usable GPU was found; training on the CPU."

#: Environment override for tests and users: "cpu" or "cuda" skips the probe.
ENV_OVERRIDE = "WORKBENCH_DEVICE"
PROBE_TIMEOUT_S = 60.0
# A driver update or a new GPU should be noticed without a manual refresh.
CACHE_MAX_AGE_S = 7 * 24 * 3600.0

_PROBE_SCRIPT = """
import json, numpy as np, xgboost as xgb
x = np.arange(64, dtype=np.float32).reshape(32, 2)
y = (x[:, 0] > 30).astype(np.float32)
booster = xgb.train({"device": "cuda", "tree_method": "hist", "verbosity": 0},
                    xgb.DMatrix(x, label=y), num_boost_round=1)
config = json.loads(booster.save_config())
print("DEVICE=" + config["learner"]["generic_param"]["device"])
"""

_lock = threading.Lock()
_cached: bool | None = None


def _xgboost_version() -> str | None:
    """Installed XGBoost version without importing it (1.7 s), or None."""
    if util.find_spec("xgboost") is None:
        return None
    for dist in ("xgboost", "xgboost-cpu"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def _has_nvidia_device() -> bool:
    """Cheap hint that an NVIDIA GPU and driver exist on this machine."""
    return os.path.exists("/dev/nvidia0") or shutil.which("nvidia-smi") is not None


def _cache_path() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("workbench", appauthor=False)) / "device.json"


def _read_disk_cache(xgb_version: str) -> bool | None:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
        fresh = time.time() - float(data["checked"]) < CACHE_MAX_AGE_S
        if data["xgboost"] == xgb_version and fresh:
            return bool(data["cuda"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _write_disk_cache(xgb_version: str, available: bool) -> None:
    from workbench.engine.fsutil import atomic_write_text

    try:
        atomic_write_text(
            _cache_path(),
            json.dumps({"cuda": available, "xgboost": xgb_version, "checked": time.time()}),
        )
    except OSError:
        pass  # a read-only cache folder only costs a probe next time


def _probe_cuda(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Train one round with device="cuda" in a subprocess; True if it stayed on CUDA."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE_SCRIPT],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
    except (OSError, subprocess.SubprocessError):
        return False
    if done.returncode != 0:
        return False
    for line in done.stdout.splitlines():
        if line.startswith("DEVICE="):
            return line.removeprefix("DEVICE=").strip().startswith("cuda")
    return False


def cuda_available(refresh: bool = False) -> bool:
    """Whether XGBoost can train on a CUDA GPU on this machine.

    Parameters
    ----------
    refresh : bool
        Ignore the in-memory and on-disk caches and probe again.

    Returns
    -------
    bool
        ``WORKBENCH_DEVICE=cpu|cuda`` in the environment decides outright.
        Otherwise False at once when XGBoost is not installed or the machine
        shows no NVIDIA device node / ``nvidia-smi``; else the cached answer
        of the probe (a subprocess training one round with ``device="cuda"``).
    """
    global _cached
    override = os.environ.get(ENV_OVERRIDE, "").strip().lower()
    if override in ("cpu", "cuda"):
        return override == "cuda"
    with _lock:
        if _cached is not None and not refresh:
            return _cached
        xgb_version = _xgboost_version()
        if xgb_version is None or not _has_nvidia_device():
            _cached = False
            return False
        on_disk = None if refresh else _read_disk_cache(xgb_version)
        if on_disk is None:
            on_disk = _probe_cuda()
            _write_disk_cache(xgb_version, on_disk)
        _cached = on_disk
        return on_disk


def resolve_device(requested: str = "auto") -> tuple[str, str | None]:
    """The device to train on, and a notice for the run log when it differs.

    Parameters
    ----------
    requested : {"auto", "cpu", "cuda"}
        The user's choice.

    Returns
    -------
    (device, notice)
        ``device`` is "cuda" or "cpu"; ``notice`` is None, or a sentence saying
        that CUDA was requested but the CPU is used.

    Raises
    ------
    SpecError
        For any other value of ``requested``.
    """
    choice = (requested or "auto").strip().lower()
    if choice not in DEVICES:
        raise SpecError(
            f"Unknown device {requested!r}: choose one of {', '.join(DEVICES)}."
        )
    if choice == "cpu":
        return "cpu", None
    if cuda_available():
        return "cuda", None
    if choice == "cuda":
        return "cpu", CUDA_FALLBACK_NOTICE
    return "cpu", None
