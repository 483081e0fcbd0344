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
    """"process" (default) or "dask" (train on the Dask cluster) for training jobs.

    Fits always run in a worker process otherwise: one can be stopped within
    seconds even inside one long library call, and a crash or memory blow-up
    there cannot take the window down.  The "thread" an older version could
    store reads as "process": a fit in a thread could not really be stopped.
    """
    kind = str(settings().value("executor", "process"))
    return "process" if kind == "thread" else kind


def set_executor_kind(kind: str) -> None:
    settings().setValue("executor", kind)


def dask_scheduler() -> str:
    """The Dask scheduler address last used (Run ▸ Train on a Dask cluster…)."""
    return str(settings().value("daskScheduler", "") or "")


def set_dask_scheduler(address: str) -> None:
    settings().setValue("daskScheduler", address)


def default_jobs_at_once() -> int:
    """Half the cores: two all-core fits side by side are slower than one after
    the other (docs/findings.md), but a few capped jobs share a big machine well."""
    from workbench.engine import cpu_count

    return max(1, cpu_count() // 2)


def jobs_at_once() -> int:
    """Training jobs run at the same time (1 .. cores); see :func:`default_jobs_at_once`."""
    from workbench.engine import cpu_count

    try:
        value = int(settings().value("jobsAtOnce", default_jobs_at_once()))
    except (TypeError, ValueError):
        value = default_jobs_at_once()
    return min(max(1, value), cpu_count())


def set_jobs_at_once(n: int) -> None:
    settings().setValue("jobsAtOnce", int(n))


def sample_projects_dir() -> Path | None:
    """Folder of bundled sample projects (see :func:`workbench.paths.samples_dir`)."""
    from workbench.paths import samples_dir

    return samples_dir()


def working_copy_of_sample(sample: str | os.PathLike) -> Path:
    """The user's own copy of a bundled sample project, made on first open.

    Samples ship inside the installation, which may be read-only (and in a
    checkout they are tracked files): runs must land in a copy under the
    per-user data folder.  An existing copy is reused, so earlier runs stay.
    """
    import shutil

    from workbench.paths import user_data_dir

    src = Path(sample)
    dest = user_data_dir(create=True) / "samples" / src.name
    if not (dest / "workbench.toml").exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.copying")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("runs", "tunes", ".workbench-cache"))
        os.replace(tmp, dest)
    return dest


def sample_projects() -> list[Path]:
    root = sample_projects_dir()
    if root is None:
        return []
    return sorted(p for p in root.iterdir() if (p / "workbench.toml").exists())
