"""A table model over a pandas DataFrame that never materialises all cells.

Qt asks ``data()`` only for visible cells, so opening 5 million rows costs the
same as opening fifty.  Numeric columns are read from cached numpy arrays
(a view, no copy); other columns through ``DataFrame.iat``.  Sorting is done
by pandas (``sort_order``) and applied as a row permutation — never through a
``QSortFilterProxyModel``, which calls Python ``data()`` per comparison and
takes minutes on big frames (docs/findings.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication, QPalette

_NUMERIC_KINDS = "biuf"
# Roles as ints: a painted cell asks for several, and enum comparisons add up.
DISPLAY, ALIGNMENT, BACKGROUND, TOOLTIP = (int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.TextAlignmentRole),
                                           int(Qt.ItemDataRole.BackgroundRole), int(Qt.ItemDataRole.ToolTipRole))
_TEXT_ROLES = (DISPLAY, BACKGROUND)
# Cell texts are made a block of rows of one column at a time: a painted
# screen asks for ~30 rows of each column, and one vectorised read of 64 rows
# costs about what two single-cell reads (``iat`` on an Arrow column) do.
TEXT_BLOCK = 64
TEXT_BLOCKS_KEPT = 4096  # ~260,000 cell texts; the cache starts over beyond
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def format_value(value: Any) -> str:
    """Cell text: compact floats, empty for missing."""
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        return f"{value:.6g}"
    if isinstance(value, (np.datetime64, np.timedelta64)) and np.isnat(value):
        return ""
    if value.__class__.__name__ in ("NAType", "NaTType"):
        return ""
    return str(value)


def sort_order(frame: Any, column: int, ascending: bool = True) -> np.ndarray:
    """Row permutation sorting ``frame`` by column position ``column`` (missing last)."""
    series = frame.iloc[:, column].reset_index(drop=True)
    try:
        ordered = series.sort_values(ascending=ascending, kind="stable", na_position="last")
    except TypeError:
        # Mixed types (numbers and strings in one object column): sort as text.
        ordered = series.astype(str).sort_values(ascending=ascending, kind="stable")
    return ordered.index.to_numpy(dtype=np.int64)


class DataFrameModel(QAbstractTableModel):
    """Read-only view of a DataFrame with an optional row permutation."""

    # The roles ``cell_data`` answers (a subclass that answers more adds them).
    CELL_ROLES = frozenset({DISPLAY, ALIGNMENT, BACKGROUND})

    def __init__(self, frame: Any = None, parent=None) -> None:
        super().__init__(parent)
        self._frame = frame
        self._order: np.ndarray | None = None
        self._arrays: dict[int, np.ndarray | None] = {}
        self._kinds: dict[str, str] = {}
        self._texts: dict[tuple[int, int], list[str]] = {}  # (column, block) -> cell texts

    # -- content ------------------------------------------------------------------
    def set_frame(self, frame: Any, kinds: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self._frame = frame
        self._order = None
        self._arrays = {}
        self._texts = {}
        self._kinds = dict(kinds or {})
        self.endResetModel()

    def extend_frame(self, frame: Any, kinds: dict[str, str] | None = None) -> None:
        """Show ``frame``, whose first rows are the rows shown now (a dataset's preview).

        The rows beyond are inserted rather than the model reset: a reset
        makes the view lay out its headers and every visible cell again
        (~40 ms of the GUI thread on a 20-column table here, against ~15 ms
        for the insert), and the rows a person is looking at do not change.
        Anything else (other columns or types, a sorted preview) is a reset.
        """
        old = self._frame
        same = (old is not None and frame is not None and self._order is None
                and len(frame) >= len(old) and list(frame.columns) == list(old.columns)
                and list(frame.dtypes) == list(old.dtypes))
        if not same:
            self.set_frame(frame, kinds)
            return
        first, last = len(old), len(frame) - 1
        if last >= first:
            self.beginInsertRows(QModelIndex(), first, last)
        self._frame = frame
        self._arrays = {}  # views of the preview's columns
        self._texts = {}  # the last block of the preview's rows grows
        self._kinds = dict(kinds or {})
        if last >= first:
            self.endInsertRows()
        if frame.shape[1]:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, frame.shape[1] - 1)  # kinds in tooltips

    def frame(self) -> Any:
        return self._frame

    def set_order(self, order: np.ndarray | None) -> None:
        """Show rows in ``order`` (positions into the frame); ``None`` = file order."""
        self.beginResetModel()
        self._order = order
        self._texts = {}
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._frame is None or not 0 <= column < self._frame.shape[1]:
            return
        self.set_order(sort_order(self._frame, column, order == Qt.SortOrder.AscendingOrder))

    def frame_row(self, row: int) -> int:
        return int(self._order[row]) if self._order is not None else row

    def _array(self, column: int) -> np.ndarray | None:
        # Cache a numpy view of numeric columns; None means "use iat".
        if column not in self._arrays:
            series = self._frame.iloc[:, column]
            dtype = getattr(series, "dtype", None)
            arr = None
            if isinstance(dtype, np.dtype) and dtype.kind in _NUMERIC_KINDS:
                arr = series.to_numpy(copy=False)
            self._arrays[column] = arr
        return self._arrays[column]

    def value(self, row: int, column: int) -> Any:
        r = self.frame_row(row)
        arr = self._array(column)
        if arr is not None:
            return arr[r]
        return self._frame.iat[r, column]

    def text(self, row: int, column: int) -> str:
        """The display text of a cell (made with its block of rows; see TEXT_BLOCK)."""
        block, at = divmod(row, TEXT_BLOCK)
        texts = self._texts.get((column, block))
        if texts is None:
            if len(self._texts) >= TEXT_BLOCKS_KEPT:
                self._texts = {}
            texts = self._texts[(column, block)] = self._block_texts(column, block)
        return texts[at]

    def _block_texts(self, column: int, block: int) -> list[str]:
        start = block * TEXT_BLOCK
        stop = min(start + TEXT_BLOCK, int(self._frame.shape[0]))
        rows = self._order[start:stop] if self._order is not None else slice(start, stop)
        arr = self._array(column)
        values = arr[rows].tolist() if arr is not None else self._frame.iloc[rows, column].tolist()
        return [format_value(v) for v in values]

    # -- QAbstractTableModel ------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid() or self._frame is None:
            return 0
        return int(self._frame.shape[0])

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid() or self._frame is None:
            return 0
        return int(self._frame.shape[1])

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._frame is None:
            return None
        return self.cell_data(index.row(), index.column(), role)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roleDataSpan: Any) -> None:  # noqa: N802, N803 - Qt API
        """Every role a painted cell asks for, in one call.

        Qt's item delegate asks for seven roles per cell through
        ``multiData``; the default calls ``data()`` once per role, i.e. seven
        Python calls per cell.  One call per cell is about a third less GUI
        thread per table repaint (bench/RESULTS.md).
        """
        if not index.isValid() or self._frame is None:
            return
        row, column = index.row(), index.column()
        text = None
        for slot in roleDataSpan:
            role = slot.role()
            if role not in self.CELL_ROLES:
                # Slots are reused from cell to cell: a role left alone would
                # keep the previous cell's value (its tint, say).
                slot.clearData()
                continue
            if role in _TEXT_ROLES and text is None:
                text = self.text(row, column)
            slot.setData(self.cell_data(row, column, role, text))

    def cell_data(self, row: int, column: int, role: int, text: str | None = None) -> Any:
        """The value of one role of one cell (``text``: its display text, when already made)."""
        role = int(role)
        if role == DISPLAY:
            return self.text(row, column) if text is None else text
        if role == ALIGNMENT:
            return _RIGHT if self._array(column) is not None else _LEFT
        if role == BACKGROUND:
            if text is None:
                text = self.text(row, column)
            if text == "":
                # Missing cells: a faint tint from the palette, readable in dark themes.
                c = QGuiApplication.palette().color(QPalette.ColorRole.Highlight)
                c.setAlpha(28)
                return c
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if self._frame is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return str(self._frame.columns[section])
            return str(self.frame_row(section) + 1)
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            name = str(self._frame.columns[section])
            kind = self._kinds.get(name)
            return f"{name} ({kind}) — click to sort" if kind else f"{name} — click to sort"
        return None

    def copy_text(self, rows: list[int], columns: list[int]) -> str:
        """Tab-separated text of the given cells (Ctrl+C)."""
        lines = []
        for r in rows:
            lines.append("\t".join(format_value(self.value(r, c)) for c in columns))
        return "\n".join(lines)
