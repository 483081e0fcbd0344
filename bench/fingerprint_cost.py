"""What "a fingerprint means these bytes" costs a training run, and what the project lock costs.

Issue 12.7: a training run (and a replay with ``train --spec``) used to take
the dataset's SHA-256 from a (size, mtime) index, so a same-size edit with the
mtime put back trained on stale cached data and recorded the old
fingerprint.  Now it always hashes the file, then reads the Parquet cache
keyed by that hash.  Measured, interleaved per repeat, on a CSV of mixed
types (file pages warm in the OS cache for every reader alike):

* ``old``: ``load_dataset(name)`` with the index hit (what a run did before);
* ``new``: ``load_verified(name)``: hash, then read the cache keyed by it;
* ``hash``: the SHA-256 alone (and its MB/s);
* ``csv``: ``load_table(csv)`` (what a cache miss costs), for scale.

The ratio new / old is the price of the guarantee for the data-loading part
of a run (the fit comes on top).  Also: ``Project.rename_dataset`` twice
(two locked read-modify-writes of workbench.toml) to show the lock's cost.

Run::

    .venv/bin/python bench/fingerprint_cost.py --rows 1000000 --repeats 5
    .venv/bin/python bench/fingerprint_cost.py --rows 20000 --repeats 2   # smoke
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--columns", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()

    from workbench.engine import Project, load_table
    from workbench.engine.data.loading import fingerprint

    csv = C.dataset_file(args.rows, args.columns, fmt="csv", mixed=True)
    size_mb = csv.stat().st_size / 1e6
    tmp = Path(tempfile.mkdtemp(prefix="wb-fp-"))
    try:
        project = Project.init(tmp / "p")
        project.add_dataset(csv, name="data", copy=True)
        data = project.dataset_path("data")
        fingerprint(data)  # pages warm
        project.load_dataset("data")  # cache and index warm
        times: dict[str, list[float]] = {"old": [], "new": [], "hash": [], "csv": [], "lock": []}
        print(f"load average before: {C.loadavg()}", file=sys.stderr)
        with C.announce(f"fingerprint cost, {args.rows:,} rows, {size_mb:.0f} MB"):
            for _ in range(args.repeats):
                times["old"].append(C.timed(lambda: project.load_dataset("data"))[0])
                times["new"].append(C.timed(lambda: project.load_verified("data"))[0])
                times["hash"].append(C.timed(lambda: fingerprint(data))[0])
                times["csv"].append(C.timed(lambda: load_table(data))[0])
                times["lock"].append(C.timed(lambda: (project.rename_dataset("data", "d2"),
                                                      project.rename_dataset("d2", "data")))[0] / 2)
        s = {k: C.summary(v) for k, v in times.items()}
        C.print_table(
            f"Data loading of a training run, {args.rows:,} x {args.columns} CSV ({size_mb:.0f} MB); {C.machine()}",
            ["what", "time (median, min-max)", "note"],
            [
                ["old: cache via (size, mtime) index", C.fmt_s(s["old"]), ""],
                ["new: hash, then the cache keyed by it", C.fmt_s(s["new"]),
                 f"new / old = {C.ratio(s['new'], s['old']):.2f}"],
                ["SHA-256 alone", C.fmt_s(s["hash"]), f"{size_mb / s['hash']['median']:.0f} MB/s"],
                ["parse the CSV (cache miss)", C.fmt_s(s["csv"]), f"csv / new = {C.ratio(s['csv'], s['new']):.1f}"],
                ["one locked rewrite of workbench.toml", C.fmt_s(s["lock"], "ms", 1e3), ""],
            ],
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
