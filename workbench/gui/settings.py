"""UI settings in QSettings: recent projects, window state, executor choice.

Only things about the *UI* live here; everything about the work lives in the
project folder.  Tests point QSettings at a temporary folder (conftest).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "TrainingWorkbench"
APPLICATION = "Workbench"
MAX_RECENT = 8


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def recent_projects() -> list[str]:
    value = settings().value("recentProjects", [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if Path(p, "workbench.toml").exists()]


def add_recent_project(path: str | os.PathLike) -> None:
    path = str(Path(path).resolve())
    items = [p for p in recent_projects() if p != path]
    settings().setValue("recentProjects", [path] + items[: MAX_RECENT - 1])


def executor_kind() -> str:
    """"process" (default) or "thread" for training jobs.

    A worker process can be stopped within seconds even inside one long
    library call, and a crash or memory blow-up there cannot take the window
    down; the thread worker is kept for machines where spawning is a problem.
    """
    return str(settings().value("executor", "process"))


def set_executor_kind(kind: str) -> None:
    settings().setValue("executor", kind)


def sample_projects_dir() -> Path | None:
    """Folder of bundled sample projects: $WORKBENCH_SAMPLES or next to the package."""
    env = os.environ.get("WORKBENCH_SAMPLES")
    candidates = [Path(env)] if env else []
    import workbench

    candidates.append(Path(workbench.__file__).resolve().parents[1] / "sample_projects")
    candidates.append(Path(workbench.__file__).resolve().parent / "sample_projects")
    for c in candidates:
        if c.is_dir():
            return c
    return None


def sample_projects() -> list[Path]:
    root = sample_projects_dir()
    if root is None:
        return []
    return sorted(p for p in root.iterdir() if (p / "workbench.toml").exists())
