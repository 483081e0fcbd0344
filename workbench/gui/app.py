"""Application entry point: ``python -m workbench`` / ``workbench gui [PROJECT]``.

Imports only Qt and the window here; scikit-learn, XGBoost and skl2onnx load
when a job first needs them, so the window shows fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QStyleFactory

from workbench.gui import errors
from workbench.gui.settings import APPLICATION, ORGANIZATION


def stylesheet() -> str:
    """The optional theme (resources/themes/workbench.qss); palette-based, light or dark."""
    from workbench.gui.icons import icons_dir

    path = icons_dir().parent / "themes" / "workbench.qss"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists, as under pytest-qt)."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0], *(argv or [])])
    from workbench.gui.icons import app_icon

    if "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")  # the same look on every platform, follows the palette
    app.setWindowIcon(app_icon())
    app.setStyleSheet(stylesheet())
    return app


def main(argv: list[str] | None = None) -> int:
    """Open the workbench window, optionally on the project at ``argv[0]``."""
    import multiprocessing

    multiprocessing.freeze_support()  # the process executor in a frozen app
    parser = argparse.ArgumentParser(prog="workbench-gui", description="Open the Training Workbench window.")
    parser.add_argument("project", nargs="?", help="project folder to open")
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=os.environ.get("WORKBENCH_LOG", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_application(qt_args)
    errors.install()
    from workbench.gui.main_window import MainWindow

    window = MainWindow(Path(args.project) if args.project else None)
    window.show()
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
