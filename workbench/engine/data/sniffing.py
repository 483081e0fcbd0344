"""What a file really is, before it is parsed: format, encoding, delimiter.

Leading bytes name formats saved under the wrong extension (a PNG renamed
``.csv``); byte-order marks, UTF-8 validity and a few Western letters pick the
text encoding (charset-normalizer only for the rest); the delimiter is the
one that splits the first lines into equal, plural field counts; the header is
checked against the first rows so that a ragged file fails with the line
number.  Every problem raises :class:`~workbench.engine.errors.DataError`.
"""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from pathlib import Path

from workbench.engine.errors import DataError

DELIMITERS = (",", ";", "\t", "|")
# Wider tables are refused up front: a 1M-column header used to hang `data
# add`, and no step after loading (profile, preparation, a fit) is usable at
# that width on a desktop.  50,000 columns x 1,000 rows still loads in seconds.
MAX_COLUMNS = 50_000
DELIMITER_NAMES = {",": "comma ','", ";": "semicolon ';'", "\t": "tab", "|": "pipe '|'"}
_CHARSET_SAMPLE = 64 << 10  # charset-normalizer is slow on big samples

# Leading bytes of formats people save under the wrong extension.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ", "an xz-compressed file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (e.g. Excel .xls)"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x7fELF", "a program (ELF executable)"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# ------------------------------------------------------------- format sniffing
def looks_like(head: bytes) -> str | None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    return None


def is_probably_text(head: bytes) -> bool:
    return b"\x00" not in head[:8192] or any(head.startswith(bom) for bom, _ in _BOMS[1:])


def reject_binary_text(path: Path, head: bytes) -> None:
    """A text format whose bytes are an image, archive or other binary."""
    what = looks_like(head)
    if what:
        raise DataError(
            f"{path.name} is not a text table: its content is {what}, not "
            f"{path.suffix.lower()} text. Choose the right file or fix its extension."
        )
    if not is_probably_text(head):
        raise DataError(
            f"{path.name} holds binary data, not delimited text. "
            "Choose a CSV/TSV file, or give the file its real extension."
        )


# ------------------------------------------------------------- delimited text
def detect_encoding(path: Path, head: bytes, complete: bool) -> str:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _looks_western(head):
        return "cp1252"
    from charset_normalizer import from_bytes  # imported only for non-UTF-8 files

    best = from_bytes(head[:_CHARSET_SAMPLE]).best()
    if best is None:
        raise DataError(
            f"{path.name}: cannot tell which text encoding the file uses (it is not "
            "UTF-8). Save it as UTF-8, or choose its encoding (e.g. latin-1, cp1252)."
        )
    return best.encoding


_WESTERN_LETTERS = set("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝ€£°µ«»’‘“”–—")


def _looks_western(head: bytes) -> bool:
    """Windows-1252 text (Excel's "CSV" on Western systems), which charset
    detectors often take for a Baltic or Mac code page on short samples:
    accept it when it decodes and its non-ASCII characters are nearly all
    Western European letters and signs."""
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError:
        return False
    non_ascii = [ch for ch in text if ord(ch) > 127]
    return bool(non_ascii) and sum(ch in _WESTERN_LETTERS for ch in non_ascii) >= 0.9 * len(non_ascii)


def decode_head(path: Path, head: bytes, encoding: str, complete: bool) -> str:
    try:
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=complete)
    except LookupError:
        raise DataError(f"{path.name}: unknown text encoding {encoding!r}.") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path.name}: bytes at offset {exc.start} are not valid {encoding} text. "
            "Choose the file's real encoding (e.g. utf-8, latin-1, cp1252)."
        ) from None
    text = text.lstrip("\ufeff")
    if not complete:  # drop the last, probably cut, line
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut > 0 else text
    return text


def _field_counts(lines: list[str], delim: str) -> list[int]:
    reader = csv.reader(lines, delimiter=delim)
    try:
        return [len(row) for row in reader if row]
    except csv.Error:
        return []


def detect_delimiter(path: Path, sample_lines: list[str]) -> str:
    """The delimiter that splits the head lines into a consistent number (>1)
    of fields. csv.Sniffer proposes, the consistency check decides: the
    sniffer alone is easily fooled by commas inside text."""
    if path.suffix.lower() == ".tsv":
        candidates = ["\t"]
    else:
        candidates = []
        try:
            sniffed = csv.Sniffer().sniff("".join(sample_lines[:50]), delimiters="".join(DELIMITERS))
            candidates.append(sniffed.delimiter)
        except csv.Error:
            pass
        candidates += [d for d in DELIMITERS if d not in candidates]
    best, best_score = None, (0.5, 1)
    for delim in candidates:
        counts = _field_counts(sample_lines, delim)
        if not counts or counts[0] <= 1:
            continue
        data = counts[1:]
        # share of data lines with as many fields as the header; a few
        # ragged lines must not hide the delimiter (they are reported later)
        agree = sum(c == counts[0] for c in data) / len(data) if data else 1.0
        score = (agree, counts[0])
        if score > best_score or (best is None and score >= best_score):
            best, best_score = delim, score
    if best is not None:
        return best
    header = sample_lines[0] if sample_lines else ""
    present = [d for d in DELIMITERS if d in header]
    if present:
        names = ", ".join(DELIMITER_NAMES[d] for d in present)
        raise DataError(
            f"{path.name}: cannot tell which character separates the columns (the "
            f"header holds {names} but the rows do not split consistently). Choose "
            "the delimiter explicitly, or check the file for broken quoting."
        )
    return ","  # a single-column file


def check_width(path: Path, columns: int, at_least: bool = False) -> None:
    """Refuse a table wider than :data:`MAX_COLUMNS`, saying what to do."""
    if columns > MAX_COLUMNS:
        count = f"at least {columns:,}" if at_least else f"{columns:,}"
        raise DataError(
            f"{path.name} has {count} columns; the workbench takes at most {MAX_COLUMNS:,}. "
            "Keep the columns you need (e.g. select them in pandas or a spreadsheet) and save a narrower file."
        )


def duplicate_names(names: list[str]) -> list[str]:
    """Names that occur more than once, sorted (linear: a 40k-column header took 82 s with list.count)."""
    return sorted(name for name, n in Counter(names).items() if n > 1)


def check_header(path: Path, header: list[str], sample_lines: list[str], delim: str) -> None:
    check_width(path, len(header))
    dupes = [h for h in duplicate_names(header) if h.strip()]
    if dupes:
        raise DataError(
            f"{path.name}: duplicate column name(s) {', '.join(repr(d) for d in dupes)}. "
            "Give every column a unique name in the header line."
        )
    # Rows longer than the header would be silently shifted by pandas when
    # it happens on the first data line, so check the head ourselves.
    reader = csv.reader(sample_lines, delimiter=delim)
    try:
        for row in reader:
            if len(row) > len(header) and reader.line_num > 1:
                raise_ragged(path, reader.line_num, len(header), len(row))
    except csv.Error:
        pass  # pandas' parser reports quoting problems with a line number


def raise_ragged(path: Path, line: int, expected: int, saw: int) -> None:
    raise DataError(
        f"{path.name}: line {line} has {saw} fields but the header has {expected}. "
        "Fix that line (often an unquoted delimiter inside a value) or check the delimiter."
    )
