"""Read a tabular file into a pandas DataFrame, with progress and cancel.

Formats (by extension): delimited text ``.csv .tsv .txt``, ``.parquet``,
Excel ``.xlsx``, JSON lines ``.jsonl .ndjson`` and ``.json`` holding an array
of records.  Every problem a person can fix (missing or empty file, a PNG
renamed ``.csv``, ragged rows, duplicate or blank column names, undecodable
bytes, a wrong delimiter...) raises :class:`~workbench.engine.errors.DataError`
whose message names the file and says what to do.

Delimited text is read by one ``pd.read_csv(path)``: given a path, pandas 3
parses byte ranges of a memory-mapped file on all cores itself, which beats
anything done around it (our own threads over byte ranges were 1.6x slower,
a Python file object 2x slower: both lose pandas' parallel reader).  The read
runs in a helper thread that the calling thread polls, so a cancel returns at
once (the abandoned read finishes in the background and is dropped) and
progress keeps moving (an estimate from the elapsed time: pandas reports
none).  A column holding numbers in some parts of the file and text in others
is re-read as text in a second pass (rare), so values keep their exact
spelling ("007" stays "007").

Loading never writes anything.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from workbench.engine.errors import DataError
from workbench.engine.jobs.events import JobContext
from workbench.engine.data.sniffing import (
    DELIMITER_NAMES,
    DELIMITERS,
    MAX_COLUMNS,
    check_header,
    check_width,
    decode_head,
    detect_delimiter,
    detect_encoding,
    duplicate_names,
    is_probably_text,
    looks_like,
    raise_ragged,
    reject_binary_text,
)

__all__ = ["SUPPORTED_EXTENSIONS", "fingerprint", "load_table"]

TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
SUPPORTED_EXTENSIONS: tuple[str, ...] = TEXT_EXTENSIONS + (
    ".parquet",
    ".xlsx",
    ".jsonl",
    ".ndjson",
    ".json",
)


_HASH_BLOCK = 1 << 20
_HEAD_BYTES = 1 << 20  # text head used for encoding/delimiter/header checks
_MAX_HEADER_BYTES = 64 << 20  # MAX_COLUMNS names of ~1 KB each: longer is not a header
_SNIFF_LINES = 200
# For the progress estimate only: pandas' parallel reader on 2 cores parses
# ~400 MB/s of mixed CSV (bench/load_profile.py); a slower disk or machine
# just makes the bar approach its end more slowly.
_EXPECTED_BYTES_PER_S = 300e6
_POLL_S = 0.1

# ---------------------------------------------------------------- public API
def fingerprint(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks.

    Parameters
    ----------
    path : str or PathLike
        The file to hash.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(_HASH_BLOCK):
                digest.update(block)
    except FileNotFoundError:
        raise DataError(f"File not found: {path}. Check the path.") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not a data file.") from None
    return digest.hexdigest()


def load_table(
    path: str | os.PathLike,
    ctx: JobContext | None = None,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a tabular file into a DataFrame with string column names.

    Parameters
    ----------
    path : str or PathLike
        A file with one of :data:`SUPPORTED_EXTENSIONS`.
    ctx : JobContext, optional
        Receives ``progress(fraction_of_bytes, "Reading X MB of Y MB")`` for
        delimited text (per row group for Parquet; start and end only for
        Excel and JSON); ``ctx.check()`` is called between pieces, so a
        cancel stops the read (raising
        :class:`~workbench.engine.errors.Cancelled`).
    delimiter : str, optional
        Delimited text only. Detected from the head of the file when omitted
        (among ``, ; TAB |``).
    encoding : str, optional
        Delimited text only. Detected when omitted: a BOM, else UTF-8, else
        the best guess of charset-normalizer.
    sheet : str or int, optional
        Excel only: sheet name or 0-based index (default: the first sheet).

    Returns
    -------
    pandas.DataFrame
        At least one row and one column that is not entirely empty.

    Raises
    ------
    DataError
        With a message that names the file and says what is wrong.
    """
    ctx = ctx or JobContext()
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise DataError(
            f"{path.name}: files of type '{ext or '(no extension)'}' are not supported. "
            f"Supported: {', '.join(SUPPORTED_EXTENSIONS)}."
        )
    if not path.exists():
        raise DataError(f"File not found: {path}. Check the path or re-add the dataset.")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a data file.")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path.name} is empty (0 bytes). Choose a file that holds data.")

    ctx.check()
    ctx.progress(0.0, f"Reading {path.name}")
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)

    if ext in TEXT_EXTENSIONS:
        df = _read_delimited(path, head, size, ctx, delimiter, encoding)
    elif ext == ".parquet":
        df = _read_parquet(path, head, ctx)
    elif ext == ".xlsx":
        df = _read_excel(path, head, sheet)
    else:
        df = _read_json(path, head, ext)
    _check_frame(df, path)
    ctx.progress(1.0, f"Read {path.name}: {len(df):,} rows x {df.shape[1]} columns")
    return df


def _read_delimited(
    path: Path,
    head: bytes,
    size: int,
    ctx: JobContext,
    delimiter: str | None,
    encoding: str | None,
) -> pd.DataFrame:
    reject_binary_text(path, head)
    head = _head_with_header_line(path, head, size, delimiter)
    complete = len(head) >= size
    auto_encoding = encoding is None
    enc = encoding or detect_encoding(path, head, complete)
    text = decode_head(path, head, enc, complete)
    sample_lines = text.splitlines(keepends=True)[:_SNIFF_LINES]
    if not any(line.strip() for line in sample_lines):
        raise DataError(f"{path.name} holds no data (only blank lines).")
    delim = delimiter if delimiter is not None else detect_delimiter(path, sample_lines)
    header = next(csv.reader(sample_lines[:1], delimiter=delim), [])
    check_header(path, header, sample_lines, delim)

    options: dict[str, Any] = dict(sep=delim, encoding=enc, engine="c", index_col=False)
    try:
        df, mixed = _read_text(path, size, ctx, options)
        if mixed:
            # A column numeric in some chunks and text in others: re-read it
            # as text so values keep their exact spelling ("007" stays "007").
            ctx.log(f"Re-reading {len(mixed)} column(s) with mixed types as text: {', '.join(mixed[:5])}")
            text_opts = {**options, "usecols": mixed, "dtype": {c: "str" for c in mixed}}
            # silent: progress already reached 1.0 and must not run backwards
            quiet = JobContext(cancel=ctx.cancel_token)
            fixed, _ = _read_text(path, size, quiet, text_opts)
            for col in mixed:
                df[col] = fixed[col].astype("str").array
    except UnicodeDecodeError as exc:
        hint = "Save it as UTF-8, or choose its encoding (e.g. latin-1, cp1252)."
        where = "after the first MB " if auto_encoding else ""
        raise DataError(
            f"{path.name}: bytes {where}are not valid {enc} text ({exc.reason}). {hint}"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name} holds no data (no header line).") from None
    except pd.errors.ParserError as exc:
        msg = str(exc)
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        if m:
            raise_ragged(path, int(m.group(2)), int(m.group(1)), int(m.group(3)))
        raise DataError(f"{path.name} could not be parsed: {msg.strip()}") from None
    except pd.errors.ParserWarning as exc:  # turned into an error while reading
        raise DataError(f"{path.name}: rows do not match the header ({exc}).") from None

    df = _drop_trailing_blank_columns(df, header, path, ctx)
    _check_blank_header(path, [str(c) for c in df.columns], header)
    if df.shape[1] == 1 and len(header) == 1:
        other = [d for d in DELIMITERS if d != delim and d in header[0]]
        if other:
            raise DataError(
                f"{path.name}: only one column was found using the "
                f"{DELIMITER_NAMES.get(delim, repr(delim))} delimiter, but the header "
                f"holds {DELIMITER_NAMES[other[0]]}. Choose that delimiter instead."
            )
    return df


def _head_with_header_line(path: Path, head: bytes, size: int, delimiter: str | None) -> bytes:
    """The head of the file, long enough to hold the whole header line.

    A header too wide for the workbench is refused from its first bytes
    (a 1M-column header is ~7 MB of names): counting delimiters is
    instant, parsing them all is not.
    """
    while True:
        line_end = head.find(b"\n")
        first = head if line_end < 0 else head[:line_end]
        marks = [delimiter.encode()] if delimiter and len(delimiter.encode()) == 1 else [d.encode() for d in DELIMITERS]
        widest = max(first.count(m) for m in marks) + 1
        if widest > MAX_COLUMNS:
            check_width(path, widest, at_least=line_end < 0)
        if line_end >= 0 or len(head) >= size or len(head) >= _MAX_HEADER_BYTES:
            return head
        with open(path, "rb") as fh:  # a header longer than the head: read more of it
            head = fh.read(min(len(head) * 4, _MAX_HEADER_BYTES))


def _read_text(
    path: Path, size: int, ctx: JobContext, options: dict[str, Any]
) -> tuple[pd.DataFrame, list[str]]:
    """``read_csv(path)`` with cancel and progress; also the mixed-type columns.

    pandas parses big files in blocks (``low_memory``, and its parallel
    reader); a column that is numeric in one block and text in another comes
    back as objects of both kinds (with a DtypeWarning, silenced here because
    the caller re-reads such columns as text).
    """

    def read() -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            return pd.read_csv(path, **options)

    df = _poll(read, ctx, size)
    mixed = [
        # Only object columns can be mixed; selecting them by dtype first keeps
        # a 40,000-column file from building 40,000 Series here.
        str(col) for col, dtype in df.dtypes.items() if pd.api.types.is_object_dtype(dtype)
        if pd.api.types.infer_dtype(df[col], skipna=True).startswith("mixed")
    ]
    return df, mixed


def _poll(read: Any, ctx: JobContext, size: int) -> pd.DataFrame:
    """Run ``read()`` in a helper thread; check cancel and report progress meanwhile.

    The estimate approaches 95% along ``1 - exp(-t / expected)``, so it never
    stops short or runs backwards however long the read really takes.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["df"] = read()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="read-csv", daemon=True)
    start = time.monotonic()
    worker.start()
    expected = max(size / _EXPECTED_BYTES_PER_S, 0.2)
    total_mb = size / 1e6
    while True:
        worker.join(_POLL_S)
        if not worker.is_alive():
            break
        ctx.check()  # a cancel leaves the read to finish in the background, unread
        elapsed = time.monotonic() - start
        ctx.progress(0.95 * (1.0 - math.exp(-elapsed / expected)), f"Reading {total_mb:.1f} MB ({elapsed:.0f} s)")
    if "error" in box:
        raise box["error"]
    return box["df"]


def _drop_trailing_blank_columns(
    df: pd.DataFrame, header: list[str], path: Path, ctx: JobContext
) -> pd.DataFrame:
    """A delimiter at the end of every line makes a nameless, empty last column."""
    while len(header) == df.shape[1] and header and not header[-1].strip() and df.shape[1] > 1:
        if not df.iloc[:, -1].isna().all():
            break
        df = df.iloc[:, :-1]
        header = header[:-1]
        ctx.log(f"{path.name}: ignored an empty, unnamed last column (trailing delimiter).")
    return df


def _check_blank_header(path: Path, columns: list[str], raw_header: Iterable[Any]) -> None:
    raw = list(raw_header)
    for i, name in enumerate(raw[: len(columns)]):
        if name is None or not str(name).strip() or (isinstance(name, float) and np.isnan(name)):
            position = "The first column" if i == 0 else f"Column {i + 1} (after {str(raw[i - 1])!r})"
            hint = " (it is probably a saved row index)" if i == 0 else ""
            raise DataError(
                f"{path.name}: {position} has no name in the header{hint}. "
                "Give every column a name, or remove the column."
            )


# ------------------------------------------------------------------ parquet
def _read_parquet(path: Path, head: bytes, ctx: JobContext) -> pd.DataFrame:
    if not head.startswith(b"PAR1"):
        _raise_not_format(path, head, "a Parquet file")
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        check_width(path, pf.metadata.num_columns)
        _check_expanded_size(path, pf.metadata)
        names = pf.schema_arrow.names
        _check_names(path, names)
        tables = []
        n = pf.num_row_groups
        for i in range(n):
            tables.append(pf.read_row_group(i))
            ctx.progress((i + 1) / max(n, 1), f"Reading row group {i + 1} of {n}")
            ctx.check()
        table = pa.concat_tables(tables) if tables else pf.schema_arrow.empty_table()
        return table.to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path.name} is not a readable Parquet file ({exc}).") from None


def _check_expanded_size(path: Path, metadata: Any) -> None:
    """Refuse a Parquet file whose data would not fit in memory once decompressed.

    Compression ratios of 100-1000x are easy to make (a column of one
    repeated value), so a small file can expand past the machine's memory;
    the footer states the uncompressed size of every row group, so this is
    known before a byte of data is read.  That size is still dictionary- and
    run-length-encoded, so the estimate is also at least 8 bytes per cell
    (a number, or a pointer to a string, in the DataFrame).
    """
    encoded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    expanded = max(encoded, 8 * metadata.num_rows * metadata.num_columns)
    try:
        import psutil

        available = psutil.virtual_memory().available
    except Exception:  # no psutil or no /proc: nothing to compare with
        return
    if expanded > available:
        raise DataError(
            f"{path.name} expands to at least {_size_text(expanded)} in memory, more than the "
            f"{_size_text(available)} of memory available. Use a machine with more memory, "
            "or save a subset of its rows or columns."
        )


def _size_text(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def _raise_not_format(path: Path, head: bytes, expected: str) -> None:
    what = looks_like(head)
    if what is None and is_probably_text(head):
        what = "text (perhaps CSV; if so, give it a .csv extension)"
    raise DataError(
        f"{path.name} is not {expected}: its content is {what or 'something else'}. "
        "Choose the right file or fix its extension."
    )


def _check_names(path: Path, names: list[Any]) -> None:
    names = [str(n) for n in names]
    check_width(path, len(names))
    dupes = duplicate_names(names)
    if dupes:
        raise DataError(
            f"{path.name}: duplicate column name(s) {', '.join(repr(d) for d in dupes)}. "
            "Give every column a unique name."
        )


# -------------------------------------------------------------------- excel
def _read_excel(path: Path, head: bytes, sheet: str | int | None) -> pd.DataFrame:
    if not head.startswith(b"PK\x03\x04"):
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise DataError(
                f"{path.name} is an old Excel (.xls) workbook. Save it as .xlsx or CSV."
            )
        _raise_not_format(path, head, "an Excel .xlsx workbook")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken zip
        raise DataError(f"{path.name} is not a readable .xlsx workbook ({exc}).") from None
    try:
        names = wb.sheetnames
        if sheet is None:
            sheet_name = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise DataError(f"{path.name} has {len(names)} sheet(s); there is no sheet {sheet}.")
            sheet_name = names[sheet]
        elif sheet in names:
            sheet_name = sheet
        else:
            raise DataError(
                f"{path.name} has no sheet {sheet!r}. Sheets: {', '.join(map(repr, names))}."
            )
        first_row = next(wb[sheet_name].iter_rows(min_row=1, max_row=1, values_only=True), None)
    finally:
        wb.close()
    if not first_row or all(v is None for v in first_row):
        raise DataError(f"{path.name}: sheet {sheet_name!r} is empty (no header row in row 1).")
    header = list(first_row)
    while header and header[-1] is None:  # openpyxl may report styled empty cells
        header.pop()
    _check_names(path, [h for h in header if h is not None and str(h).strip()])
    _check_blank_header(path, [str(h) for h in header], header)
    df = pd.read_excel(path, sheet_name=sheet_name, engine="openpyxl", header=0)
    df = df.iloc[:, : len(header)]
    df.columns = [str(h) for h in header]
    return df


# --------------------------------------------------------------------- json
def _read_json(path: Path, head: bytes, ext: str) -> pd.DataFrame:
    reject_binary_text(path, head)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: JSON must be UTF-8 text (bad byte at offset {exc.start}).") from None
    if not text.strip():
        raise DataError(f"{path.name} holds no data (only blank lines).")
    if ext == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":  # one object per line, saved as .json
                records = _parse_json_lines(path, text)
            else:
                raise DataError(f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
        else:
            records = _records_from_json(path, data)
    else:
        records = _parse_json_lines(path, text)
    if not records:
        raise DataError(f"{path.name} holds no records.")
    check_width(path, max(len(records[0]), len(records[-1])))  # before pandas builds a 1M-column frame
    df = pd.DataFrame.from_records(records)
    for col in df.columns[df.dtypes == object]:  # noqa: E721 (elementwise, pandas)
        # Nested objects cannot be compared or counted: keep them as JSON text.
        nested = df[col].map(lambda v: isinstance(v, (dict, list)))
        if nested.any():
            df[col] = df[col].map(lambda v: json.dumps(v) if isinstance(v, (dict, list)) else v)
    return df


def _records_from_json(path: Path, data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return data
    if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
        lengths = {len(v) for v in data.values()}
        if len(lengths) == 1:  # {"col": [values...], ...}
            keys = list(data)
            return [dict(zip(keys, row)) for row in zip(*data.values())]
    raise DataError(
        f"{path.name}: expected an array of records like [{{\"a\": 1, \"b\": \"x\"}}, ...] "
        "(or an object of equal-length column arrays)."
    )


def _parse_json_lines(path: Path, text: str) -> list[dict[str, Any]]:
    records = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path.name}: line {lineno} is not valid JSON ({exc.msg}).") from None
        if not isinstance(rec, dict):
            raise DataError(f"{path.name}: line {lineno} is not a JSON object {{...}}.")
        records.append(rec)
    return records


# ------------------------------------------------------------ common checks
def _check_frame(df: pd.DataFrame, path: Path) -> None:
    if df.shape[1] == 0:
        raise DataError(f"{path.name} holds no columns.")
    df.columns = [str(c) for c in df.columns]
    if len(df) == 0:
        raise DataError(f"{path.name} has a header but no data rows.")
    if not any(df[c].notna().any() for c in df.columns):
        raise DataError(f"{path.name}: every column is empty (all values missing).")
