"""Shared pieces of the benchmarks: synthetic data, timing, load average, tables.

Not a test module and not part of the package.  Every benchmark imports this
file by path (``sys.path`` gets the bench folder), so it also works when the
bench folder is copied elsewhere.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "_data"
PYTHON = sys.executable
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Categorical columns of the synthetic table (name, number of levels).
CATEGORICAL = (("cat_a", 4), ("cat_b", 8), ("cat_c", 20))
MISSING_SHARE = 0.02


def loadavg() -> str:
    """'1m/5m/15m' load averages, recorded beside every measurement."""
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def wait_for_quiet(max_load: float = 1.0, max_wait_s: float = 1800.0, poll_s: float = 60.0) -> bool:
    """Sleep until the 1-minute load average drops below ``max_load`` (or give up).

    Returns True when the machine became quiet, False when the wait ran out
    (the caller then labels its numbers as measured on a busy machine).
    """
    deadline = time.time() + max_wait_s
    while True:
        if os.getloadavg()[0] < max_load:
            return True
        if time.time() >= deadline:
            return False
        print(f"  waiting for a quiet machine (load {loadavg()})", file=sys.stderr, flush=True)
        time.sleep(poll_s)


def synthetic_frame(rows: int, columns: int = 50, *, seed: int = 0, mixed: bool = False):
    """A classification table: ``columns`` features + target ``y``.

    ``make_classification`` numbers, of which the last few are turned into
    string categories (quantile bins of an informative column, so they carry
    signal), and ``MISSING_SHARE`` of all feature cells set missing.  With
    ``mixed`` an integer column, a boolean column and an ISO date column are
    added in place of three numeric ones (for the CSV loading benchmark).
    """
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    n_cat = len(CATEGORICAL)
    n_num = columns - n_cat
    X, y = make_classification(
        n_samples=rows, n_features=columns, n_informative=min(20, columns // 2),
        n_redundant=min(10, columns // 5), random_state=seed,
    )
    X = X.astype(np.float64)
    rng = np.random.default_rng(seed)
    frame = {f"num_{i:02d}": X[:, i] for i in range(n_num)}
    for j, (name, levels) in enumerate(CATEGORICAL):
        src = X[:, n_num + j]
        edges = np.quantile(src, np.linspace(0, 1, levels + 1)[1:-1])
        codes = np.searchsorted(edges, src)
        labels = np.array([f"{name}_{k}" for k in range(levels)], dtype=object)
        frame[name] = labels[codes]
    df = pd.DataFrame(frame)
    if mixed:
        df["num_00"] = np.round(df["num_00"] * 100).astype("int64")
        df["num_01"] = df["num_01"] > 0
        days = (rng.integers(0, 3650, rows)).astype("timedelta64[D]")
        df["num_02"] = (np.datetime64("2015-01-01") + days).astype("datetime64[s]")
        df = df.rename(columns={"num_00": "int_00", "num_01": "flag_01", "num_02": "date_02"})
    for col in df.columns:
        mask = rng.random(rows) < MISSING_SHARE
        if df[col].dtype == bool:
            df[col] = df[col].astype("boolean")
        elif df[col].dtype == "int64":
            df[col] = df[col].astype("Int64")
        df.loc[mask, col] = None
    df["y"] = y
    return df


def dataset_file(rows: int, columns: int = 50, *, fmt: str = "parquet", mixed: bool = False) -> Path:
    """Path of a cached synthetic table, generated once into bench/_data/."""
    DATA.mkdir(exist_ok=True)
    tag = "mixed" if mixed else "cls"
    path = DATA / f"{tag}_{rows}x{columns}.{fmt}"
    if path.exists():
        return path
    t0 = time.perf_counter()
    df = synthetic_frame(rows, columns, mixed=mixed)
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "parquet":
        df.to_parquet(tmp, index=False)
    else:
        df.to_csv(tmp, index=False)
    os.replace(tmp, path)
    print(f"  generated {path.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def summary(values: Iterable[float]) -> dict[str, float]:
    """Median and min/max of the repeats."""
    v = sorted(values)
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "n": len(v)}


def fmt_s(s: dict[str, float], unit: str = "s", scale: float = 1.0, digits: int = 3) -> str:
    """'1.23 s (1.20–1.31)' — median (min–max)."""
    m, lo, hi = s["median"] * scale, s["min"] * scale, s["max"] * scale
    return f"{m:.{digits}g} {unit} ({lo:.{digits}g}–{hi:.{digits}g})"


def ratio(a: dict[str, float], b: dict[str, float]) -> float:
    """Median of ``a`` over median of ``b``."""
    return a["median"] / b["median"] if b["median"] else float("nan")


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    """A plain, aligned text table on stdout (Markdown-compatible)."""
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print(line(r))
    sys.stdout.flush()


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}), {mem} RAM, Python {platform.python_version()}"


@contextmanager
def announce(what: str):
    """Print what is measured with the load average before and after."""
    start = loadavg()
    print(f"# {what}: load at start {start}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        yield
    finally:
        print(f"# {what}: {time.perf_counter() - t0:.1f} s, load at end {loadavg()}", file=sys.stderr, flush=True)


def run_subprocess(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 1800) -> tuple[float, str]:
    """Wall time of a child process (raises if it fails) and its stdout."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return wall, out.stdout
