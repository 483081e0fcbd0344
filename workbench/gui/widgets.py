"""Small shared widgets: inline error label, a progress bar that paints with the frame,
copy-as-TSV for item views, tables of numbers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QObject, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QProgressBar,
    QScrollArea,
    QStyle,
    QStyleOptionHeader,
    QTableView,
    QWidget,
)

ERROR_COLOR = "#d64545"


def shown_once(holder: Any, slot: str, *state: Any) -> bool:
    """True when ``state`` is what ``holder`` last drew into ``slot`` (then the view skips its redraw).

    Opening a dataset asks the same views to draw several times in one turn
    (frame loaded, form restored, profile started); each redraw of a
    pyqtgraph plot is milliseconds of the GUI thread for an identical
    picture.  Objects (frame, profile) are compared by identity, and kept
    referenced so that a new object can never reuse an old one's id.
    """
    key = tuple(id(v) if not isinstance(v, (str, int, float, bool, type(None), tuple, frozenset)) else v
                for v in state)
    if getattr(holder, slot, (None, None))[0] == key:
        return True
    setattr(holder, slot, (key, state))
    return False


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area: a tall form scrolls instead of
    forcing the window taller than a 700-pixel screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


class ProgressBar(QProgressBar):
    """A QProgressBar whose ``setValue`` marks it for the next paint instead of painting now.

    ``QProgressBar.setValue`` calls ``repaint()``, which paints every dirty
    widget of the window at once: a plot that had just changed was painted in
    the same event-loop turn as the code that changed it (one long frame
    instead of two short ones).  With updates off, ``repaint()`` does nothing,
    and turning them back on schedules an ordinary ``update()``.
    """

    def setValue(self, value: int) -> None:  # noqa: N802 - Qt API
        if value == self.value():
            return
        self.setUpdatesEnabled(False)
        try:
            super().setValue(value)
        finally:
            self.setUpdatesEnabled(True)


class ErrorLabel(QLabel):
    """A red, word-wrapped message shown where the user acted; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("errorLabel")
        self.setStyleSheet(f"color: {ERROR_COLOR};")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.setText("")
        self.hide()


def selection_tsv(view: QAbstractItemView) -> str:
    """The selected cells of ``view`` as tab-separated text (with a header row
    when whole columns of a table are involved)."""
    model: QAbstractItemModel = view.model()
    indexes = view.selectionModel().selectedIndexes() if view.selectionModel() else []
    if not indexes:
        return ""
    rows = sorted({i.row() for i in indexes})
    cols = sorted({i.column() for i in indexes})
    selected = {(i.row(), i.column()) for i in indexes}
    lines = []
    if len(rows) > 1:
        lines.append("\t".join(str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in cols))
    for r in rows:
        cells = []
        for c in cols:
            value = model.data(model.index(r, c)) if (r, c) in selected else ""
            cells.append("" if value is None else str(value))
        lines.append("\t".join(cells))
    return "\n".join(lines)


def copy_selection(view: QAbstractItemView) -> str:
    text = selection_tsv(view)
    if text:
        QGuiApplication.clipboard().setText(text)
    return text


class CopyableTableView(QTableView):
    """A table view whose Ctrl+C copies the whole selection as TSV.

    (QTableView's own Ctrl+C copies only the current cell.)
    """

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.matches(QKeySequence.StandardKey.Copy):
            copy_selection(self)
            event.accept()
            return
        super().keyPressEvent(event)


class RowNumberHeader(QHeaderView):
    """A vertical header of row numbers whose width comes from the row count.

    QHeaderView sizes itself by asking the model for the header data of its
    first and last 100 sections, eight roles each: ~1,600 calls into a
    Python ``headerData`` every time a table is reset or grows, 10-15 ms of
    the GUI thread at each dataset opened.  The widest row number is the
    row count's, so one label measured by the style gives the same width.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setSectionsClickable(True)  # a click selects the row, as the default header's

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        if self.model() is None or self.count() == 0:
            return super().sizeHint()  # no sections: no header data asked
        # What QHeaderView.sectionSizeFromContents does for one section.
        option = QStyleOptionHeader()
        self.initStyleOption(option)
        option.section = self.count() - 1
        font = QFont(self.font())
        font.setBold(True)
        option.fontMetrics = QFontMetrics(font)
        option.text = str(self.count())
        return self.style().sizeFromContents(QStyle.ContentsType.CT_HeaderSection, option, QSize(), self)


def number_rows(view: QTableView) -> QTableView:
    """Give ``view`` a ``RowNumberHeader`` (tables over big frames)."""
    view.setVerticalHeader(RowNumberHeader(view))
    return view


def lay_out_at_once(view: QTableView) -> None:
    """Lay ``view`` out as soon as its model is reset, grows or is sorted (call after ``setModel``).

    Qt lays a view out from a timer after such a change, so the first paint
    came first, with the old geometry (the row numbers' old width), and the
    layout then repainted the whole viewport: two paints of a big table in
    one turn, ~8-15 ms each here.  The headers are views with layouts of
    their own (new rows, new header texts).  Connected after the
    views' own slots, these run the posted layouts before anything is painted.
    """
    model = view.model()
    laying = _LayOutNow(view)  # a child of the view: Qt drops the connections with it
    for signal in (model.modelReset, model.rowsInserted, model.layoutChanged, model.headerDataChanged):
        signal.connect(laying.now)


class _LayOutNow(QObject):
    """The receiver of :func:`lay_out_at_once`'s connections (it dies with its view)."""

    def now(self, *_args: Any) -> None:
        view = self.parent()
        view.verticalHeader().executeDelayedItemsLayout()
        view.horizontalHeader().executeDelayedItemsLayout()
        view.executeDelayedItemsLayout()


# -- read-only tables of numbers (Results, the runs table) --------------------------
def fmt_number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def make_table(headers: list[str]) -> tuple[CopyableTableView, QStandardItemModel]:
    """A read-only, sortable, copyable table over a QStandardItemModel."""
    model = QStandardItemModel(0, len(headers))
    model.setHorizontalHeaderLabels(headers)
    model.setSortRole(SORT_ROLE)
    view = CopyableTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setEditTriggers(CopyableTableView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.horizontalHeader().setStretchLastSection(False)
    view.horizontalHeader().setMinimumSectionSize(90)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view, model


SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def text_item(text: Any) -> QStandardItem:
    item = QStandardItem(str(text))
    item.setData(str(text).lower(), SORT_ROLE)
    return item


def number_item(value: Any) -> QStandardItem:
    """A cell that shows a formatted number and sorts numerically (missing last)."""
    item = QStandardItem(fmt_number(value))
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    item.setData(float(value) if numeric else float("-inf"), SORT_ROLE)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
