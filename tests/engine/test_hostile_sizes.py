"""Hostile sizes are refused quickly with a message, not hung on."""

import time
from types import SimpleNamespace

import pytest

from workbench.engine import DataError, load_table
from workbench.engine.data.sniffing import MAX_COLUMNS, check_header


def test_a_million_column_header_is_refused_at_once(tmp_path):
    path = tmp_path / "wide.csv"
    n = 1_000_000
    path.write_text(",".join(f"c{i}" for i in range(n)) + "\n" + ",".join("1" for _ in range(n)) + "\n")
    t0 = time.perf_counter()
    with pytest.raises(DataError, match=r"wide.csv has at least [\d,]+ columns; the workbench takes at most"):
        load_table(path)
    assert time.perf_counter() - t0 < 2.0


def test_a_header_just_over_the_cap_is_refused_with_its_count(tmp_path):
    path = tmp_path / "wide.csv"
    n = MAX_COLUMNS + 1
    # long names: the header line is longer than the first MiB read for sniffing
    path.write_text(",".join(f"a_rather_long_column_name_{i}" for i in range(n)) + "\n" + "1," * (n - 1) + "1\n")
    with pytest.raises(DataError, match=f"has {n:,} columns"):
        load_table(path)


def test_duplicate_name_check_is_linear():
    """45,000 names: list.count made this ~2e9 comparisons (82 s for 40k columns)."""
    header = [f"c{i}" for i in range(45_000)] + ["c7"]
    t0 = time.perf_counter()
    with pytest.raises(DataError, match="duplicate column name.*'c7'"):
        check_header(SimpleNamespace(name="x.csv"), header, [], ",")
    assert time.perf_counter() - t0 < 2.0


def test_a_parquet_that_expands_past_free_memory_is_refused_up_front(tmp_path, monkeypatch):
    import pandas as pd
    import psutil

    path = tmp_path / "bomb.parquet"
    pd.DataFrame({"x": [0] * 200_000, "y": ["same value"] * 200_000}).to_parquet(path, compression="zstd")
    assert path.stat().st_size < 20_000  # 3.2 MB once decoded
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=1_000_000))
    with pytest.raises(DataError, match=r"bomb.parquet expands to at least 3.2 MB in memory, more than the .*"):
        load_table(path)
    monkeypatch.undo()
    assert len(load_table(path)) == 200_000


def test_json_records_with_too_many_keys_are_refused(tmp_path):
    import json

    path = tmp_path / "wide.jsonl"
    path.write_text(json.dumps({f"k{i}": i for i in range(MAX_COLUMNS + 1)}) + "\n")
    with pytest.raises(DataError, match=f"wide.jsonl has {MAX_COLUMNS + 1:,} columns"):
        load_table(path)
