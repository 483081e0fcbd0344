"""Where the workbench keeps files of its own, per user, on every platform.

Writable data never goes next to the installation: an installed or frozen
app may live in a read-only folder (``/opt``, ``Program Files``, a mounted
``.app``).  The per-user folders come from :mod:`platformdirs`, e.g. on
Linux ``~/.local/share/workbench``, ``~/.config/workbench`` and
``~/.cache/workbench`` (honouring ``XDG_*``); on Windows under
``%LOCALAPPDATA%\\workbench\\workbench``; on macOS under
``~/Library/Application Support/workbench``.

Each folder can be overridden with an environment variable
(``WORKBENCH_DATA_DIR``, ``WORKBENCH_CONFIG_DIR``, ``WORKBENCH_CACHE_DIR``),
which tests and locked-down desktops use.  The functions do not create the
folders; pass ``create=True`` when you are about to write.

Only the standard library and platformdirs are imported here, so the GUI's
start-up path stays light.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "workbench"
APP_AUTHOR = "workbench"

__all__ = [
    "APP_NAME",
    "APP_AUTHOR",
    "user_data_dir",
    "user_config_dir",
    "user_cache_dir",
    "samples_dir",
    "is_frozen",
    "bundle_dir",
]


def _resolve(env_var: str, default: str, create: bool) -> Path:
    override = os.environ.get(env_var)
    path = Path(override).expanduser() if override else Path(default)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def user_data_dir(create: bool = False) -> Path:
    """Per-user folder for data the app keeps (e.g. copies of sample projects).

    Overridden by ``$WORKBENCH_DATA_DIR``.
    """
    return _resolve("WORKBENCH_DATA_DIR", platformdirs.user_data_dir(APP_NAME, APP_AUTHOR), create)


def user_config_dir(create: bool = False) -> Path:
    """Per-user folder for settings files.  Overridden by ``$WORKBENCH_CONFIG_DIR``."""
    return _resolve("WORKBENCH_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, APP_AUTHOR), create)


def user_cache_dir(create: bool = False) -> Path:
    """Per-user folder for things that can be rebuilt (device probe results, ...).

    Overridden by ``$WORKBENCH_CACHE_DIR``.  Deleting it must never lose work.
    """
    return _resolve("WORKBENCH_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR), create)


def is_frozen() -> bool:
    """True inside a PyInstaller (or similar) bundle."""
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path | None:
    """The folder a frozen app unpacked its data files to (``sys._MEIPASS``), else None."""
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass) if is_frozen() and meipass else None


def samples_dir() -> Path | None:
    """The folder of bundled sample projects (read-only: copy before training).

    ``$WORKBENCH_SAMPLES``, when set, is the only place looked at (a path
    that does not exist means "no samples"; tests rely on that).  Otherwise:
    a frozen bundle's ``sample_projects`` folder, then ``sample_projects``
    next to the ``workbench`` package (a source checkout).  Returns None when
    none exists (an installed wheel carries no samples).
    """
    env = os.environ.get("WORKBENCH_SAMPLES")
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    candidates: list[Path] = []
    bundled = bundle_dir()
    if bundled is not None:
        candidates.append(bundled / "sample_projects")
    package_root = Path(__file__).resolve().parent
    candidates += [package_root.parent / "sample_projects", package_root / "sample_projects"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None
