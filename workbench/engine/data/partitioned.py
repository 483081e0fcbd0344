"""Datasets stored as a folder of Parquet files (partitioned Parquet).

Such a dataset is linked in place (``data add --link FOLDER``): it is meant to
be bigger than one machine's memory, so it is never copied into the project
nor cached whole.  Its rows and columns come from the Parquet footers, not
from reading the data; training it on a Dask cluster reads it per partition
(:mod:`workbench.engine.training.distributed`).  On one machine it still
loads whole with pandas, when it fits.

The fingerprint is the SHA-256 of the files' names and contents in name
order: any change of any part (or a part added or removed) changes it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from workbench.engine.errors import DataError

__all__ = ["is_partitioned", "parts", "fingerprint_folder", "describe", "read_folder"]

_HASH_BLOCK = 1 << 20


def parts(folder: str | os.PathLike) -> list[Path]:
    """The folder's Parquet files (recursively, for hive-style ``key=value/`` folders), sorted."""
    root = Path(folder)
    return sorted(p for p in root.rglob("*.parquet") if p.is_file() and not p.name.startswith((".", "_")))


def is_partitioned(path: str | os.PathLike) -> bool:
    """True for a folder that holds at least one Parquet file."""
    p = Path(path)
    return p.is_dir() and bool(parts(p))


def fingerprint_folder(folder: str | os.PathLike) -> str:
    """SHA-256 over every part's relative name and bytes, in name order."""
    root = Path(folder)
    files = parts(root)
    if not files:
        raise DataError(f"{folder} holds no Parquet files (*.parquet); a linked folder must be partitioned Parquet.")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with open(path, "rb") as fh:
            while block := fh.read(_HASH_BLOCK):
                digest.update(block)
    return digest.hexdigest()


def describe(folder: str | os.PathLike) -> dict[str, Any]:
    """Rows, columns and sizes from the Parquet footers (no data read).

    Raises
    ------
    DataError
        No parts, an unreadable part, or parts whose columns differ.
    """
    import pyarrow.parquet as pq

    files = parts(folder)
    if not files:
        raise DataError(f"{folder} holds no Parquet files (*.parquet); a linked folder must be partitioned Parquet.")
    rows = 0
    memory = 0
    columns: list[str] | None = None
    for path in files:
        try:
            meta = pq.ParquetFile(path).metadata
        except Exception as exc:  # pyarrow raises several types for a damaged footer
            raise DataError(f"{path.name} in {folder} is not a readable Parquet file ({exc}).") from None
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        if columns is None:
            columns = names
        elif names != columns:
            raise DataError(
                f"The parts of {folder} do not share one schema: {files[0].name} has {len(columns)} columns, "
                f"{path.name} has {len(names)}."
            )
        rows += meta.num_rows
        memory += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return {"rows": rows, "columns": columns or [], "parts": len(files), "uncompressed_bytes": memory}


def read_folder(folder: str | os.PathLike) -> Any:
    """The whole dataset as one pandas frame (for one machine, when it fits)."""
    import pandas as pd

    files = parts(folder)
    if not files:
        raise DataError(f"{folder} holds no Parquet files.")
    frame = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)
    frame.columns = [str(c) for c in frame.columns]
    return frame
