"""Cold start: process start to the main window shown, and ``workbench --help``.

Each repeat is a fresh interpreter (``python -c``) that builds the
application and ``MainWindow`` exactly as ``workbench.gui.app.main`` does,
shows it, lets Qt process the show/paint events, and prints the time since
a timestamp taken by this script just before starting the process
(``time.time()`` passed in the environment, so interpreter start-up and all
imports are included).  ``workbench --help`` is timed externally.  Offscreen
(``QT_QPA_PLATFORM=offscreen``).

Targets: window < 1.0 s, ``--help`` < 0.5 s.  With ``--importtime`` the
heaviest imports of the window start (``python -X importtime``) are listed.

    timeout 10m .venv/bin/python bench/cold_start.py --repeats 10 --wait
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

WINDOW = r"""
import os, sys, time
t_parent = float(os.environ["BENCH_T0"])
from PySide6.QtCore import QEvent, QObject, QTimer
from workbench.gui.app import create_application
app = create_application([])
from workbench.gui import errors
errors.install()
from workbench.gui.main_window import MainWindow
marks = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "shown" not in marks:
            marks["shown"] = time.time() - t_parent
        return False

w = MainWindow(None)
spy = FirstPaint()
app.installEventFilter(spy)  # the first widget painted in the window
w.show()

def workspace_ready():
    if w.tabs is None:  # built by a zero-delay timer right after the first paint
        QTimer.singleShot(5, workspace_ready)
        return
    marks["workspace"] = time.time() - t_parent
    app.quit()

QTimer.singleShot(0, workspace_ready)
app.exec()
print(marks["shown"], marks["workspace"])
"""

def time_window(env: dict) -> tuple[float, float]:
    """(first paint of the main window, workspace tabs built), seconds from process start."""
    env = {**env, "BENCH_T0": repr(time.time())}
    out = subprocess.run([C.PYTHON, "-c", WINDOW], capture_output=True, text=True, env=env, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    shown, workspace = out.stdout.strip().splitlines()[-1].split()
    return float(shown), float(workspace)


def time_help(env: dict) -> float:
    exe = str(Path(C.PYTHON).with_name("workbench"))
    t0 = time.perf_counter()
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, env=env, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return time.perf_counter() - t0


def time_bare_python(env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run([C.PYTHON, "-c", "pass"], check=True, env=env, timeout=60)
    return time.perf_counter() - t0


def heaviest_imports(env: dict, top: int = 15) -> list[tuple[float, str]]:
    """Cumulative import times (s) of the window start, heaviest top-level first."""
    env = {**env, "BENCH_T0": repr(time.time())}
    # The thread executor setting keeps spawned workers (which would also
    # print their imports here) out of the listing.
    out = subprocess.run([C.PYTHON, "-X", "importtime", "-c", WINDOW], capture_output=True, text=True,
                         env=env, timeout=120)
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if cumulative.strip().isdigit():
            rows.append((int(cumulative) / 1e6, name.rstrip()))
    # Keep imports made directly by the main process's code (depth 0, i.e. one
    # space after the bar).  Spawned worker processes write here too; only the
    # first block (the main process) is read, up to the workbench.gui import.
    top_level = [(t, n.strip()) for t, n in rows if n.startswith(" ") and not n.startswith("  ")]
    return sorted(top_level, reverse=True)[:top]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--importtime", action="store_true")
    p.add_argument("--wait", action="store_true")
    args = p.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_LOG": "WARNING"}
    # Warm the OS file cache and the bytecode caches once, untimed.
    time_window(env)
    time_help(env)
    quiet = C.wait_for_quiet() if args.wait else None
    print(f"machine: {C.machine()}; quiet wait: {quiet}")
    with C.announce("cold_start"):
        start = C.loadavg()
        win, ws, hlp, bare = [], [], [], []
        for _ in range(args.repeats):
            shown, workspace = time_window(env)
            win.append(shown)
            ws.append(workspace)
            hlp.append(time_help(env))
            bare.append(time_bare_python(env))
        end = C.loadavg()
    sw, sws, sh, sb = C.summary(win), C.summary(ws), C.summary(hlp), C.summary(bare)
    C.print_table(
        f"Cold start (offscreen), median (min–max) of {args.repeats}; load {start} -> {end}",
        ["measure", "time", "target", "met?"],
        [["process start -> main window shown", C.fmt_s(sw), "< 1.0 s", "met" if sw["median"] < 1.0 else "missed"],
         ["process start -> workspace tabs built (after first paint)", C.fmt_s(sws), "", ""],
         ["workbench --help", C.fmt_s(sh), "< 0.5 s", "met" if sh["median"] < 0.5 else "missed"],
         ["(reference) python -c pass", C.fmt_s(sb), "", ""]],
    )
    if args.importtime:
        C.print_table("Heaviest top-level imports of the window start (python -X importtime, cumulative)",
                      ["seconds", "module"], [[f"{t:.3f}", n] for t, n in heaviest_imports(env)])


if __name__ == "__main__":
    main()
