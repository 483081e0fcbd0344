"""Small shared widgets: inline error label, copy-as-TSV for item views."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QLabel, QScrollArea, QTableView, QWidget

ERROR_COLOR = "#d64545"


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area: a tall form scrolls instead of
    forcing the window taller than a 700-pixel screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


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
