"""How long profile_dataset takes on a 1M x 50 frame, against df.describe().

The frame: 40 float columns (continuous, some with missing values, one
low-cardinality, one constant), 6 integer columns (small codes, counts, a
wide range, a row counter) and 4 string columns (2 low-cardinality, one of
1 000 values, one near-unique).  ``df.describe()`` is the obvious
alternative a user has (numeric columns only, no histograms, distinct
counts, correlations or warnings); the ratio says what the richer profile
costs on top of it.

Run (keep the machine otherwise idle; timings vary +-15%)::

    OMP_NUM_THREADS=2 .venv/bin/python bench/profile_speed.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(38):
        v = rng.normal(100.0 * i, 1.0 + i, rows)
        if i % 5 == 0:
            v[rng.random(rows) < 0.05] = np.nan
        cols[f"f{i:02d}"] = v
    cols["f38"] = rng.integers(0, 12, rows).astype("float64")  # low-cardinality float
    cols["f39"] = np.full(rows, 3.5)  # constant
    cols["i_code"] = rng.integers(0, 10, rows)
    cols["i_count"] = rng.poisson(3.0, rows)
    cols["i_age"] = rng.integers(18, 90, rows)
    cols["i_wide"] = rng.integers(0, 10**9, rows)
    cols["i_year"] = rng.integers(1990, 2025, rows)
    cols["row_id"] = np.arange(rows)
    cols["s_city"] = pd.Series(rng.choice([f"city{i}" for i in range(8)], rows), dtype="str")
    cols["s_flag"] = pd.Series(rng.choice(["red", "green", "blue"], rows), dtype="str")
    cols["s_product"] = pd.Series(rng.choice([f"p{i:04d}" for i in range(1000)], rows), dtype="str")
    cols["s_user"] = pd.Series(np.char.add("u", rng.integers(0, 10 * rows, rows).astype(str)), dtype="str")
    return pd.DataFrame(cols)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from workbench.engine.data.profile import profile_dataset

    t0 = time.perf_counter()
    df = make_frame(args.rows)
    print(f"frame {df.shape[0]:,} x {df.shape[1]} built in {time.perf_counter() - t0:.1f} s")
    profile_dataset(df.iloc[:1000])  # warm imports
    t_profile = best_of(lambda: profile_dataset(df), args.repeat)
    t_describe = best_of(lambda: df.describe(), args.repeat)
    print(f"profile_dataset: {t_profile:.2f} s (best of {args.repeat})")
    print(f"df.describe():   {t_describe:.2f} s (best of {args.repeat})")
    print(f"ratio profile / describe: {t_profile / t_describe:.2f}")


if __name__ == "__main__":
    main()
