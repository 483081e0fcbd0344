"""One writer at a time: a cross-process lock on a project folder.

Two ``workbench data add`` on one project used to both say "added" while one
dataset vanished from ``workbench.toml`` (each wrote back the file it had
read).  Every read-modify-write of a project file (workbench.toml, the
fingerprint index, a run's or a search's result.json) now happens inside
:func:`project_lock`, and re-reads the file inside it.

The lock is an OS advisory lock (``fcntl.flock``; ``msvcrt.locking`` on
Windows) on ``<project>/.workbench.lock``.  The OS drops it when its holder
dies, so a killed writer never leaves the project locked.  It is re-entrant
within a thread (a locked step may call another), and threads of one process
queue on a process-wide lock first, because two descriptors of one process
would not exclude each other on every OS.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from workbench.engine.errors import ProjectError

LOCK_FILE = ".workbench.lock"
# Locked steps are short (a TOML rewrite, a rename); a holder that keeps the
# lock this long is stuck, and the user is better told than left waiting.
LOCK_TIMEOUT_S = 60.0
_POLL_S = 0.01

_guard = threading.Lock()
_locks: dict[str, threading.RLock] = {}
_held = threading.local()


def _thread_lock(key: str) -> threading.RLock:
    with _guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = threading.RLock()
        return lock


def _try_os_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def project_lock(root: str | os.PathLike, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the project's write lock for the ``with`` block.

    A project on a read-only medium cannot be written anyway: there the
    block runs unlocked rather than failing.
    """
    root = Path(root)
    key = os.path.normcase(os.path.abspath(root))
    depth: dict[str, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    tlock = _thread_lock(key)
    deadline = time.monotonic() + timeout
    if not tlock.acquire(timeout=timeout):
        raise _busy(root, timeout)
    fd = None
    try:
        try:
            fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            fd = None  # read-only project: nothing to protect
        if fd is not None:
            while not _try_os_lock(fd):
                if time.monotonic() > deadline:
                    raise _busy(root, timeout)
                time.sleep(_POLL_S)
        depth[key] = 1
        try:
            yield
        finally:
            depth[key] = 0
    finally:
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the OS lock
        tlock.release()


def _busy(root: Path, timeout: float) -> ProjectError:
    return ProjectError(
        f"Another workbench has been writing to {root} for over {timeout:.0f} s; "
        "wait for it to finish, or close the other program, then try again."
    )
