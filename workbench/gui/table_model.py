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

    def __init__(self, frame: Any = None, parent=None) -> None:
        super().__init__(parent)
        self._frame = frame
        self._order: np.ndarray | None = None
        self._arrays: dict[int, np.ndarray | None] = {}
        self._kinds: dict[str, str] = {}

    # -- content ------------------------------------------------------------------
    def set_frame(self, frame: Any, kinds: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self._frame = frame
        self._order = None
        self._arrays = {}
        self._kinds = dict(kinds or {})
        self.endResetModel()

    def frame(self) -> Any:
        return self._frame

    def set_order(self, order: np.ndarray | None) -> None:
        """Show rows in ``order`` (positions into the frame); ``None`` = file order."""
        self.beginResetModel()
        self._order = order
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
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(self.value(index.row(), index.column()))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if self._array(index.column()) is not None:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if format_value(self.value(index.row(), index.column())) == "":
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
