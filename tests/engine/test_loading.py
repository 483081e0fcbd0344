"""Loading tabular files: every format, detection, progress/cancel, and a
DataError a person can act on for every malformed input."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from workbench.engine.data.loading import SUPPORTED_EXTENSIONS, fingerprint, load_table
from workbench.engine.errors import Cancelled, DataError
from workbench.engine.jobs.events import CancelToken, JobContext, Progress

EXPECTED = pd.DataFrame(
    {
        "age": [31, 45, 27],
        "height": [1.72, 1.80, np.nan],
        "city": ["Zürich", "Oslo", "Lyon"],
    }
)


def _check_expected(df: pd.DataFrame) -> None:
    assert list(df.columns) == ["age", "height", "city"]
    assert df["age"].tolist() == [31, 45, 27]
    assert df["height"].iloc[:2].tolist() == [1.72, 1.80] and np.isnan(df["height"].iloc[2])
    assert df["city"].tolist() == ["Zürich", "Oslo", "Lyon"]
    assert df["age"].dtype.kind == "i" and df["height"].dtype.kind == "f"


def _write(tmp_path, name: str, content: bytes | str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


# ------------------------------------------------------------------ formats
def test_csv_loads(tmp_path):
    path = _write(tmp_path, "people.csv", "age,height,city\n31,1.72,Zürich\n45,1.80,Oslo\n27,,Lyon\n")
    _check_expected(load_table(path))


def test_parquet_loads(tmp_path):
    path = tmp_path / "people.parquet"
    EXPECTED.to_parquet(path)
    _check_expected(load_table(path))


def test_xlsx_loads_first_or_named_sheet(tmp_path):
    path = tmp_path / "people.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"other": [1, 2]}).to_excel(writer, sheet_name="notes", index=False)
        EXPECTED.to_excel(writer, sheet_name="people", index=False)
    assert list(load_table(path).columns) == ["other"]
    _check_expected(load_table(path, sheet="people"))
    _check_expected(load_table(path, sheet=1))
    with pytest.raises(DataError, match=r"no sheet 'missing'.*'notes', 'people'"):
        load_table(path, sheet="missing")


@pytest.mark.parametrize("ext", [".jsonl", ".ndjson"])
def test_json_lines_load(tmp_path, ext):
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in EXPECTED.to_dict("records"))
    path = _write(tmp_path, "people" + ext, lines.replace("NaN", "null") + "\n")
    _check_expected(load_table(path))


def test_json_records_array_loads(tmp_path):
    records = [{"age": 31, "height": 1.72, "city": "Zürich"}, {"age": 45, "height": 1.8, "city": "Oslo"},
               {"age": 27, "height": None, "city": "Lyon"}]
    path = _write(tmp_path, "people.json", json.dumps(records))
    _check_expected(load_table(path))


def test_supported_extensions_are_listed():
    assert {".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".jsonl", ".ndjson", ".json"} <= set(SUPPORTED_EXTENSIONS)


# ---------------------------------------------------------------- detection
@pytest.mark.parametrize("delim", [";", "|", "\t"])
def test_delimiter_is_detected(tmp_path, delim):
    text = "age,height,city\n31,1.72,Zürich\n45,1.80,Oslo\n27,,Lyon\n".replace(",", delim)
    _check_expected(load_table(_write(tmp_path, "people.txt", text)))


def test_semicolon_file_with_decimal_commas_in_text(tmp_path):
    text = "name;note\nA;hello, world\nB;a, b, c\n"
    df = load_table(_write(tmp_path, "notes.csv", text))
    assert df["note"].tolist() == ["hello, world", "a, b, c"]


def test_latin1_file_is_decoded(tmp_path):
    text = "age,height,city\n31,1.72,Zürich\n45,1.80,Oslo\n27,,Lyon\n" + "".join(
        f"{i},1.5,Málaga é à ü\n" for i in range(50)
    )
    df = load_table(_write(tmp_path, "people.csv", text, encoding="latin-1"))
    assert df["city"].iloc[0] == "Zürich" and df["city"].iloc[-1] == "Málaga é à ü"


def test_utf8_bom_is_not_part_of_first_column_name(tmp_path):
    path = _write(tmp_path, "people.csv", "\ufeffage,height,city\n31,1.72,Zürich\n45,1.80,Oslo\n27,,Lyon\n")
    _check_expected(load_table(path))


def test_explicit_encoding_and_delimiter_are_used(tmp_path):
    path = _write(tmp_path, "people.csv", "age|height|city\n31|1.72|Zürich\n45|1.80|Oslo\n27||Lyon\n", "cp1252")
    _check_expected(load_table(path, delimiter="|", encoding="cp1252"))


def test_trailing_delimiter_column_is_dropped(tmp_path):
    df = load_table(_write(tmp_path, "t.csv", "a,b,\n1,2,\n3,4,\n"))
    assert list(df.columns) == ["a", "b"]


def test_all_missing_column_is_not_a_load_error(tmp_path):
    df = load_table(_write(tmp_path, "t.csv", "a,b\n1,\n2,\n"))
    assert df["b"].isna().all()


def test_infinities_load_as_numbers(tmp_path):
    df = load_table(_write(tmp_path, "t.csv", "a,b\n1,inf\n2,-inf\n3,0.5\n"))
    assert np.isinf(df["b"].iloc[:2]).all()


def test_fingerprint_is_sha256_of_bytes(tmp_path):
    import hashlib

    data = b"a,b\n1,2\n" * 1000
    path = _write(tmp_path, "t.csv", data)
    assert fingerprint(path) == hashlib.sha256(data).hexdigest()


# --------------------------------------------------- big file: chunks, types
@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """~5 MB CSV whose 'code' column is numeric for most rows and text near the end."""
    n = 200_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "row": np.arange(n),
            "x": rng.normal(size=n).round(6),
            "code": rng.integers(0, 1000, n).astype(str),
            "label": np.where(rng.random(n) < 0.5, "yes", "no"),
        }
    )
    df.loc[n - 3, "code"] = "X-17"
    path = tmp_path_factory.mktemp("big") / "big.csv"
    df.to_csv(path, index=False)
    assert path.stat().st_size > 4_000_000
    return path


def test_big_file_matches_single_read_csv(big_csv):
    df = load_table(big_csv)
    expected = pd.read_csv(big_csv, low_memory=False)
    pd.testing.assert_frame_equal(df, expected)
    # one consistent type: the mixed column is text throughout, spelling kept
    assert df["code"].map(type).eq(str).all() and df["code"].iloc[-3] == "X-17"


def _slow_read_csv(monkeypatch, seconds):
    """pandas gives no progress inside one read_csv: make it take a while."""
    import time

    from workbench.engine.data import loading

    real = pd.read_csv

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(loading.pd, "read_csv", slow)


def test_a_long_read_reports_moving_progress(big_csv, monkeypatch):
    _slow_read_csv(monkeypatch, 0.6)
    events = []
    load_table(big_csv, JobContext(events.append, min_interval=0))
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert len(fractions) >= 4 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(e.message.startswith("Reading ") and " MB " in e.message for e in events if isinstance(e, Progress))


def test_cancel_during_load_returns_at_once(big_csv, monkeypatch):
    import time

    _slow_read_csv(monkeypatch, 5.0)
    token = CancelToken()
    seen = []

    def emit(event):
        if isinstance(event, Progress):
            seen.append(event.fraction)
            if 0 < event.fraction < 1:
                token.cancel()

    start = time.monotonic()
    with pytest.raises(Cancelled):
        load_table(big_csv, JobContext(emit, token, min_interval=0))
    assert time.monotonic() - start < 1.0  # not after the 5 s read
    assert max(seen) < 1.0


def test_ragged_row_far_into_the_file_names_the_line(big_csv, tmp_path):
    lines = big_csv.read_text().splitlines()
    lines[120_000] += ",surplus"
    path = _write(tmp_path, "ragged_deep.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 120001 has 5 fields but the header has 4"):
        load_table(path)


# --------------------------------------------------------------- malformed
MALFORMED = [
    pytest.param("empty.csv", b"", (r"empty", r"0 bytes"), id="empty"),
    pytest.param("blank.csv", b"\n\n  \n", (r"no data",), id="only-blank-lines"),
    pytest.param("header.csv", b"a,b,c\n", (r"header but no data rows",), id="header-only"),
    pytest.param("ragged.csv", b"a,b\n1,2\n3,4,5\n6,7\n", (r"line 3", r"3 fields", r"header has 2"), id="ragged"),
    pytest.param("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, (r"PNG image", r"\.csv"), id="png-as-csv"),
    pytest.param("noise.csv", bytes(range(256)) * 8, (r"binary data",), id="binary-garbage"),
    pytest.param("table.parquet", b"a,b\n1,2\n", (r"not a Parquet file", r"CSV"), id="csv-as-parquet"),
    pytest.param("table.xlsx", b"a,b\n1,2\n", (r"not an Excel", r"CSV"), id="csv-as-xlsx"),
    pytest.param("old.xlsx", b"\xd0\xcf\x11\xe0" + bytes(500), (r"old Excel",), id="xls-as-xlsx"),
    pytest.param("dupes.csv", b"a,b,a,c,c\n1,2,3,4,5\n", (r"duplicate column name", r"'a', 'c'"), id="duplicate-names"),
    pytest.param("blank_name.csv", b"a,,c\n1,2,3\n", (r"Column 2", r"after 'a'", r"no name"), id="blank-header"),
    pytest.param("index.csv", b",a,b\n0,1,2\n1,3,4\n", (r"first column has no name", r"row index"), id="saved-index"),
    pytest.param("undetectable.csv", b"a;b,c|d\n1;2\n3,4;5;6,7\n8\n|\n", (r"cannot tell", r"delimiter"), id="undetectable-delimiter"),
    pytest.param("all_empty.csv", b"a,b\n,\n,\n", (r"every column is empty",), id="all-columns-empty"),
    pytest.param("broken.jsonl", b'{"a": 1}\n{"a": 2\n', (r"line 2", r"not valid JSON"), id="bad-json-line"),
    pytest.param("scalar.json", b'{"a": 1}', (r"expected an array of records",), id="json-not-records"),
    pytest.param("data.xls", b"a,b\n1,2\n", (r"not supported", r"\.csv", r"\.parquet", r"\.xlsx"), id="unsupported-extension"),
]


@pytest.mark.parametrize("name,content,phrases", MALFORMED)
def test_malformed_input_raises_helpful_data_error(tmp_path, name, content, phrases):
    path = _write(tmp_path, name, content)
    with pytest.raises(DataError) as info:
        load_table(path)
    message = str(info.value)
    assert name in message  # the file is named
    for phrase in phrases:
        assert re.search(phrase, message, flags=re.IGNORECASE), (phrase, message)


def test_missing_file_raises(tmp_path):
    with pytest.raises(DataError, match=r"File not found: .*nope\.csv"):
        load_table(tmp_path / "nope.csv")


def test_wrong_explicit_delimiter_is_explained(tmp_path):
    path = _write(tmp_path, "semi.csv", "a;b;c\n1;2;3\n4;5;6\n")
    with pytest.raises(DataError, match=r"only one column.*semicolon"):
        load_table(path, delimiter=",")


def test_undecodable_bytes_with_declared_encoding(tmp_path):
    path = _write(tmp_path, "bytes.csv", b"a,b\n" + b"1,\xff\xfe\x81\n" * 3)
    with pytest.raises(DataError, match=r"not valid utf-8.*encoding"):
        load_table(path, encoding="utf-8")


def test_undecodable_bytes_after_the_sniffed_head(tmp_path):
    body = b"a,b\n" + b"1,plain ascii text\n" * 70_000  # > 1 MB head sample
    path = _write(tmp_path, "late.csv", body + b"2,\xff\xfe bad\n")
    with pytest.raises(DataError, match=r"not valid utf-8.*encoding"):
        load_table(path)


def test_parquet_with_duplicate_names_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"])
    path = tmp_path / "dupes.parquet"
    pq.write_table(table, path)
    with pytest.raises(DataError, match=r"duplicate column name.*'x'"):
        load_table(path)


def test_excel_blank_header_is_refused(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a", None, "c"])
    ws.append([1, 2, 3])
    path = tmp_path / "blank.xlsx"
    wb.save(path)
    with pytest.raises(DataError, match=r"Column 2.*no name"):
        load_table(path)


def test_quoted_line_breaks_survive_the_parallel_read(tmp_path):
    """Byte ranges are cut at line ends; a cut inside a quoted multi-line
    value must not corrupt rows (the reader falls back to a serial read)."""
    n = 40_000
    df = pd.DataFrame({"id": np.arange(n), "note": ["first line\nsecond, line \"quoted\""] * n, "v": 1.5})
    path = tmp_path / "notes.csv"
    df.to_csv(path, index=False)
    assert path.stat().st_size > 1_500_000  # several byte ranges
    pd.testing.assert_frame_equal(load_table(path), pd.read_csv(path))
