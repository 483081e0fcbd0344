"""One column's profile (statistics, warnings, distribution), and what profile views say before there is one.

Everything comes from the session's profile (made in a worker): nothing here
computes on the data, because this runs on the GUI thread.
"""

from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.gui import profile_data
from workbench.gui.distribution_chart import DistributionChart
from workbench.gui.session import Session
from workbench.gui.widgets import shown_once


class ColumnProfilePanel(QWidget):
    """Statistics, warnings and a histogram/bar chart for one column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setObjectName("warningText")
        self.warnings.hide()
        column.addWidget(self.title)
        column.addLayout(self.form)
        column.addWidget(self.warnings)
        column.addStretch(1)
        left.setMinimumWidth(220)
        left.setMaximumWidth(320)
        layout.addWidget(left)
        self.plot = DistributionChart()
        layout.addWidget(self.plot, 1)
        self._row_labels: list[str] = []
        self._values: list[QLabel] = []

    def _set_rows(self, rows: list[tuple[str, str]]) -> None:
        """The statistics as "label: value" rows; the same labels (another numeric
        column) only change their values, without new widgets to lay out."""
        labels = [label for label, _text in rows]
        if labels != self._row_labels:
            while self.form.rowCount():
                self.form.removeRow(0)
            self._values = []
            for label in labels:
                value = QLabel()
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.form.addRow(label + ":", value)
                self._values.append(value)
            self._row_labels = labels
        for value, (_label, text) in zip(self._values, rows):
            value.setText(text)

    def show_column(self, session: Session, column: str | None) -> None:
        profile = session.profile
        if shown_once(self, "_shown", column, session.frame, profile, session.column_kind(column) if column else "",
                      profile_placeholder(session) if profile is None else ""):
            return
        self.warnings.hide()
        if not column or session.frame is None:
            self._set_rows([])
            self.title.setText("Select a column")
            self.plot.show_message("Select a column to see its distribution")
            return
        kind = session.column_kind(column)
        self.title.setText(column)
        rows = profile_data.column_stats(profile, column, kind) if profile is not None else []
        if not rows and kind:
            rows = [("Type", kind)]
        self._set_rows(rows)
        if profile is None:
            self.plot.show_message(profile_placeholder(session))
            return
        warns = profile_data.column_warnings(profile, column)
        if warns:
            self.warnings.setText("⚠ " + "\n⚠ ".join(w["message"] for w in warns))
            self.warnings.show()
        hist = None if kind in ("categorical", "boolean", "text", "id") else profile_data.histogram(profile, column)
        if hist is not None:
            edges, counts = hist
            self.plot.show_histogram(edges, counts, column)
            return
        top = profile_data.top_values(profile, column)
        if top:
            self.plot.show_bars([t[0] for t in top], [t[1] for t in top])
        else:
            self.plot.show_message("No values to plot")


def profile_placeholder(session: Session) -> str:
    """What the profile views say while there is no profile."""
    if session.profiling:
        rows = len(session.frame) if session.frame is not None else 0
        return f"Profiling {rows:,} rows…"
    if session.profile_error:
        return f"No profile: {session.profile_error}"
    return "No profile"
