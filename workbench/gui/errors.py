"""Last-resort error handling: log unexpected exceptions and show them.

Qt swallows nothing by default: an exception escaping a slot would otherwise
print and, under some PySide6 versions, abort.  The hook logs the traceback
and shows a message box, and the application keeps running.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger("workbench.gui")
_showing = False


def _show(title: str, text: str, details: str) -> None:
    global _showing
    if _showing or QApplication.instance() is None:
        return
    _showing = True
    try:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text)
        box.setDetailedText(details)
        box.exec()
    finally:
        _showing = False


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` for the GUI: log, then show; never abort."""
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    from workbench.engine import WorkbenchError

    if issubclass(exc_type, WorkbenchError):
        log.warning("%s", exc)
        text = str(exc)
    elif issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    else:
        log.error("Unexpected error:\n%s", details)
        text = f"Something went wrong: {exc_type.__name__}: {exc}\n\nThe window keeps running; details are in the log."
    # Show after the current event finishes: never open a modal box inside a paint/slot call.
    QTimer.singleShot(0, lambda: _show("Workbench", text, details))


def install() -> None:
    sys.excepthook = excepthook
