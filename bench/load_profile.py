"""Loading and profiling: the workbench against pandas on the same files.

A 1M x 50 table of mixed types (floats, a nullable integer, a nullable
boolean, an ISO date, three string categories, 2% missing everywhere, target
``y``) written once as CSV and as Parquet.  Measured, interleaved per repeat:

* ``load_table(csv)`` vs ``pandas.read_csv(csv)`` (defaults, C engine) and
  ``read_csv(engine="pyarrow")`` — ratio = pandas / workbench (>= 1 means the
  workbench is at least as fast).  Target: >= 1.
* ``Project.load_dataset`` second load (Parquet cache, fingerprint from the
  size/mtime index) vs ``load_table(csv)`` — ratio = CSV / cached.  Target >= 5.
* ``infer_schema`` and ``profile_dataset(df, schema, target="y")``.
  Target: profile < 2 s.

File pages are warm in the OS cache for every reader alike (each file is read
once before timing).

Full size::

    timeout 1h .venv/bin/python bench/load_profile.py --repeats 5 --wait

Smoke test::

    .venv/bin/python bench/load_profile.py --rows 20000 --repeats 2
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--wait", action="store_true")
    args = p.parse_args()

    import pandas as pd

    from workbench.engine import Project, infer_schema, load_table, profile_dataset

    csv = C.dataset_file(args.rows, 50, fmt="csv", mixed=True)
    parquet = C.dataset_file(args.rows, 50, fmt="parquet", mixed=True)
    root = C.DATA / f"proj_load_{args.rows}"
    shutil.rmtree(root, ignore_errors=True)
    project = Project.init(root)
    project.add_dataset(csv, name="data", copy=False)  # writes the Parquet cache
    project.load_dataset("data")  # warms the fingerprint index
    for f in (csv, parquet):
        f.read_bytes()  # warm the page cache for everyone alike
    quiet = C.wait_for_quiet() if args.wait else None
    size_mb = csv.stat().st_size / 2**20
    print(f"machine: {C.machine()}; quiet wait: {quiet}; CSV {size_mb:.0f} MB, "
          f"Parquet {parquet.stat().st_size / 2**20:.0f} MB")

    measures = {
        "workbench load_table(csv)": lambda: load_table(csv),
        "pandas read_csv(csv)": lambda: pd.read_csv(csv),
        "pandas read_csv(csv, engine=pyarrow)": lambda: pd.read_csv(csv, engine="pyarrow"),
        "Project.load_dataset (cached, 2nd load)": lambda: Project.open(root).load_dataset("data"),
        "workbench load_table(parquet)": lambda: load_table(parquet),
        "pandas read_parquet": lambda: pd.read_parquet(parquet),
    }
    times: dict[str, list[float]] = {k: [] for k in measures}
    times["infer_schema"] = []
    times["profile_dataset(target=y)"] = []
    with C.announce("load_profile") as _:
        start = C.loadavg()
        for r in range(args.repeats):
            for name, fn in measures.items():
                gc.collect()
                t, df = C.timed(fn)
                times[name].append(t)
                df = None  # free it before the next measure
            df = load_table(csv)
            gc.collect()
            t, schema = C.timed(lambda: infer_schema(df))
            times["infer_schema"].append(t)
            t, _ = C.timed(lambda: profile_dataset(df, schema, target="y"))
            times["profile_dataset(target=y)"].append(t)
            df = None
            print(f"  repeat {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in times.items()),
                  file=sys.stderr, flush=True)
        end = C.loadavg()

    S = {k: C.summary(v) for k, v in times.items()}
    wb = S["workbench load_table(csv)"]
    rows = []
    for name, s in S.items():
        ratio, target, met = "", "", ""
        if name.startswith("pandas read_csv"):
            x = C.ratio(s, wb)
            ratio, target, met = f"{x:.2f} (pandas / workbench)", ">= 1", "met" if x >= 1 else "missed"
        elif name.startswith("Project.load_dataset"):
            x = C.ratio(wb, s)
            ratio, target, met = f"{x:.1f}x faster than load_table(csv)", ">= 5x", "met" if x >= 5 else "missed"
        elif name.startswith("profile"):
            target, met = "< 2 s", "met" if s["median"] < 2 else "missed"
        rows.append([name, C.fmt_s(s), ratio, target, met])
    C.print_table(
        f"Loading/profiling {args.rows:,} x 50 (mixed types), median (min–max) of {args.repeats}; "
        f"load {start} -> {end}",
        ["measure", "time", "ratio", "target", "met?"], rows,
    )


if __name__ == "__main__":
    main()
