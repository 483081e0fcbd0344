"""One column's profile (statistics, warnings, distribution), and what profile views say before there is one.

Everything comes from the session's profile (made in a worker): nothing here
computes on the data, because this runs on the GUI thread.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.gui import profile_data
from workbench.gui.plots import SERIES_COLORS, bar_chart, empty_message, make_plot, reset_ticks
from workbench.gui.session import Session


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
        self.plot = make_plot()
        layout.addWidget(self.plot, 1)

    def show_column(self, session: Session, column: str | None) -> None:
        profile = session.profile
        if shown_once(self, "_shown", column, session.frame, profile, session.column_kind(column) if column else "",
                      profile_placeholder(session) if profile is None else ""):
            return
        while self.form.rowCount():
            self.form.removeRow(0)
        self.warnings.hide()
        if not column or session.frame is None:
            self.title.setText("Select a column")
            empty_message(self.plot, "Select a column to see its distribution")
            return
        kind = session.column_kind(column)
        self.title.setText(column)
        profile = session.profile
        rows = profile_data.column_stats(profile, column, kind) if profile is not None else []
        if not rows and kind:
            rows = [("Type", kind)]
        for label, text in rows:
            value = QLabel(text)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(label + ":", value)
        if profile is None:
            empty_message(self.plot, profile_placeholder(session))
            return
        warns = profile_data.column_warnings(profile, column)
        if warns:
            self.warnings.setText("⚠ " + "\n⚠ ".join(w["message"] for w in warns))
            self.warnings.show()
        hist = None if kind in ("categorical", "boolean", "text", "id") else profile_data.histogram(profile, column)
        item = self.plot.getPlotItem()
        reset_ticks(item)
        if hist is not None:
            edges, counts = hist
            item.clear()
            item.addItem(pg.PlotCurveItem(edges, counts, stepMode="center", fillLevel=0,
                                          brush=SERIES_COLORS[0] + "99", pen=pg.mkPen(SERIES_COLORS[0])))
            item.setLabel("bottom", column)
            item.setLabel("left", "rows")
            item.enableAutoRange()
        else:
            top = profile_data.top_values(profile, column)
            if top:
                bar_chart(self.plot, [t[0] for t in top][::-1], [t[1] for t in top][::-1], horizontal=True)
                item.setLabel("bottom", "rows")
                item.setLabel("left", "")
            else:
                empty_message(self.plot, "No values to plot")


def profile_placeholder(session: Session) -> str:
    """What the profile views say while there is no profile."""
    if session.profiling:
        rows = len(session.frame) if session.frame is not None else 0
        return f"Profiling {rows:,} rows…"
    if session.profile_error:
        return f"No profile: {session.profile_error}"
    return "No profile"
