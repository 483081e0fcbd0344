"""Crash-safe file writes: a reader never sees a half-written file.

Temp files carry a recognisable name, ``.<name>.<pid>-<random>.wbtmp``, so a
write killed half-way (a 100 MB Parquet cache, a dataset copy) leaves a file
that :func:`sweep_stale_temps` can tell from the user's own files and remove
once its writer is gone.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

TEMP_SUFFIX = ".wbtmp"
# .<name>.<pid>-<hex>.wbtmp ; the pid says whether the writer may still be alive.
_TEMP_RE = re.compile(r"^\..+\.(\d+)-[0-9a-f]+\.wbtmp$")
# Temp names of older versions (mkstemp's ".x.ab12cd.tmp", ".x.tmp"): no pid,
# so only an old one is taken for a leftover.
_LEGACY_TEMP_RE = re.compile(r"^\..+\.tmp$")
LEGACY_TEMP_AGE_S = 6 * 3600


def temp_path_for(path: str | os.PathLike) -> Path:
    """A fresh, recognisable temp name beside ``path`` (same folder: rename is atomic)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")


def _create_like(tmp: Path, target: Path) -> int:
    """Open ``tmp`` exclusively with the mode a plain ``open(target, "w")`` would give.

    0o666 filtered by the umask for a new file (mkstemp's 0600 made results
    unreadable to the group a project is shared with); the existing file's
    mode when it is replaced.
    """
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        return fd
    try:
        os.fchmod(fd, mode)
    except (AttributeError, OSError):  # Windows has no fchmod; nothing to keep there
        pass
    return fd


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    fd = _create_like(tmp, path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (it may be another program's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # Windows: os.kill(pid, 0) is not a probe there
        try:
            import psutil

            return psutil.pid_exists(pid)
        except ImportError:
            return True
    return True


def is_stale_temp(path: Path, now: float | None = None) -> bool:
    """A temp file of ours whose writer is gone (or, for old names, an old one)."""
    m = _TEMP_RE.match(path.name)
    if m:
        pid = int(m.group(1))
        if pid == os.getpid():
            return False
        return not pid_alive(pid) or _age(path, now) > LEGACY_TEMP_AGE_S
    if _LEGACY_TEMP_RE.match(path.name):
        return _age(path, now) > LEGACY_TEMP_AGE_S
    return False


def _age(path: Path, now: float | None) -> float:
    try:
        return (now or time.time()) - path.stat().st_mtime
    except OSError:
        return 0.0


def sweep_stale_temps(folder: Path) -> list[Path]:
    """Remove the stale temp files directly inside ``folder``; returns what went."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if not entry.is_file(follow_symlinks=False) or not is_stale_temp(path, now):
                continue
            path.unlink()
            removed.append(path)
        except OSError:
            continue  # read-only or already gone: leave it
    return removed


def copy_and_hash(src: str | os.PathLike, dest: str | os.PathLike) -> str:
    """Copy ``src`` to ``dest`` and return the SHA-256 of the bytes copied.

    One read of the source does both, and the fingerprint is that of the
    copy the project keeps, even if the source changes meanwhile.
    """
    import hashlib

    digest = hashlib.sha256()
    fd = _create_like(Path(dest), Path(dest))
    with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
        while block := fin.read(1 << 20):
            digest.update(block)
            fout.write(block)
        fout.flush()
        os.fsync(fout.fileno())
    return digest.hexdigest()
