"""Refuse IP networking inside a Python process, and record who tried.

Used by the "nothing reaches the network" tests (tests/engine/test_offline.py,
tests/gui/test_offline_gui.py) and by packaging/offline_install_check.sh.
Standard library only; it is loaded by file path, so it is not part of the
installed package.

How it blocks
-------------
A :func:`sys.addaudithook` hook sees every socket the interpreter creates,
including ``from socket import socket`` aliases and ``_socket`` used directly
(monkeypatching ``socket.socket`` would miss those).  It refuses

* creating an ``AF_INET`` / ``AF_INET6`` socket (``socket.__new__``),
* name lookups (``getaddrinfo``, ``gethostbyname``, ...): a DNS query is
  network traffic even before any connection,
* ``urllib.request`` requests (``urllib.Request``).

``AF_UNIX`` sockets stay allowed: ``multiprocessing`` talks to its spawned
workers over ``socketpair()`` (AF_UNIX, a local pipe), which is not network.

Each refused attempt raises ``OSError(ENETUNREACH)`` — what an air-gapped
machine answers — *and* is recorded, so code that catches the error and
carries on still fails the test.  Audit hooks cannot see native code that
calls the C library's ``socket()`` directly; ``unshare -n`` (an empty network
namespace) covers that in the subprocess checks.

Two ways to use it::

    guard = <this file, loaded by path>  # see _offline_guard() in the tests
    with guard.blocked_network() as attempts:
        ...                              # refused attempts land in ``attempts``
    assert not attempts

    # a whole process tree: sitecustomize calls install_from_env()
    WORKBENCH_OFFLINE_LOG=/tmp/attempts.log python ...
    (see write_sitecustomize(): spawned multiprocessing workers inherit it)
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import traceback
from collections.abc import Iterator

BLOCKED_FAMILIES = frozenset({socket.AF_INET, socket.AF_INET6})
LOOKUP_EVENTS = frozenset({
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyname_ex",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
})
LOG_ENV = "WORKBENCH_OFFLINE_LOG"

_installed = False
_active = 0                 # >0 while blocking (nested contexts allowed)
_attempts: list[str] = []   # descriptions of refused attempts, this process
_log_path: str | None = None


def _describe(event: str, args: tuple) -> str | None:
    """A description of the attempt if ``event`` is network access, else None."""
    if event == "socket.__new__":
        family = args[1]
        if family in BLOCKED_FAMILIES:
            return f"socket({socket.AddressFamily(family).name}, type {args[2]})"
        return None
    if event in LOOKUP_EVENTS:
        return f"{event.split('.', 1)[1]}{args[:2]!r}"
    if event == "urllib.Request":
        return f"urllib request {args[0]!r}"
    return None


def _hook(event: str, args: tuple) -> None:
    # Called for every audited event in the process (open, import, ...):
    # return at once unless blocking and it is about the network.
    if not _active or not (event.startswith("socket.") or event == "urllib.Request"):
        return
    what = _describe(event, args)
    if what is None:
        return
    stack = "".join(traceback.format_stack(limit=10)[:-2])
    record = f"[pid {os.getpid()}] {what}\n{stack}"
    _attempts.append(record)
    if _log_path:
        with open(_log_path, "a", encoding="utf-8") as log:
            log.write(record + "\n---\n")
    raise OSError(errno.ENETUNREACH, f"Network access refused by the offline guard: {what}")


def install() -> None:
    """Add the audit hook (once per process; audit hooks cannot be removed)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


@contextlib.contextmanager
def blocked_network() -> Iterator[list[str]]:
    """Refuse IP networking inside the block; yields the list of refused attempts."""
    global _active
    install()
    start = len(_attempts)
    found: list[str] = []
    _active += 1
    try:
        yield found
    finally:
        _active -= 1
        found.extend(_attempts[start:])


def install_from_env() -> None:
    """Block for the rest of this process if ``$WORKBENCH_OFFLINE_LOG`` is set.

    Every refused attempt is appended to that file (from every process that
    inherits the variable), so a parent can check its children too.
    """
    global _active, _log_path
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    _log_path = path
    install()
    _active += 1


def write_sitecustomize(folder: str | os.PathLike) -> str:
    """Write ``folder/sitecustomize.py`` that loads this file and calls install_from_env().

    Put ``folder`` first on ``PYTHONPATH`` and set ``$WORKBENCH_OFFLINE_LOG``:
    the interpreter, and every worker it spawns, blocks networking before the
    first line of the program runs.  Returns the folder.
    """
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    here = os.path.abspath(__file__)
    with open(os.path.join(folder, "sitecustomize.py"), "w", encoding="utf-8") as out:
        out.write(
            "import importlib.util, sys\n"
            f"_spec = importlib.util.spec_from_file_location('workbench_offline_guard', {here!r})\n"
            "_guard = importlib.util.module_from_spec(_spec)\n"
            "sys.modules['workbench_offline_guard'] = _guard\n"
            "_spec.loader.exec_module(_guard)\n"
            "_guard.install_from_env()\n"
        )
    return folder


if __name__ == "__main__":  # a quick self-check: python packaging/offline_guard.py
    with blocked_network() as tried:
        try:
            socket.create_connection(("example.org", 80), timeout=1)
        except OSError as exc:
            print("refused:", exc)
        left, right = socket.socketpair()  # AF_UNIX: allowed
        left.close(), right.close()
    assert len(tried) == 1, tried
    print("offline guard works: IP refused, AF_UNIX allowed")
