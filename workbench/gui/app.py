"""Application entry point: ``python -m workbench`` / ``workbench-gui`` / ``workbench gui [PROJECT]``.

Imports nothing of Qt until :func:`gui_unavailable_reason` has said the GUI
can start here: without a display, or without Qt's system libraries, Qt
aborts the process (exit 134) with a misleading plugin message, so all three
entry points print the same one line instead.  scikit-learn, XGBoost and
skl2onnx load when a job first needs them, so the window shows fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from typing import Any

QT_SYSTEM_LIBS = "libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3"
QT_X11_LIBS = ("libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
               "libxcb-render-util0 libxcb-shape0")
# Shared library (as ctypes.util.find_library names it) -> Debian package, for the X11 platform plugin.
X11_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0", "xkbcommon-x11": "libxkbcommon-x11-0", "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1", "xcb-image": "libxcb-image0", "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
}
NO_DISPLAY = ("no display found for the GUI. Run it on a desktop, under 'xvfb-run workbench gui', "
              "or use the headless commands (workbench --help).")


def gui_unavailable_reason() -> str | None:
    """Why the window cannot open here (one line for a person), or None."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not platform and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return NO_DISPLAY
    if platform in ("", "xcb") and os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        import ctypes.util

        missing = [pkg for lib, pkg in X11_LIBRARIES.items() if ctypes.util.find_library(lib) is None]
        if missing:
            return (f"the GUI cannot start on this X display: Qt's X11 libraries are missing. "
                    f"On Debian/Ubuntu: apt-get install {' '.join(missing)}")
    return None


def qt_import_error_message(exc: ImportError) -> str:
    return (f"the GUI cannot start: {exc}. On Debian/Ubuntu install Qt's system libraries: "
            f"apt-get install {QT_SYSTEM_LIBS} (for X11 also {QT_X11_LIBS}).")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def stylesheet() -> str:
    """The optional theme (resources/themes/workbench.qss); palette-based, light or dark."""
    from workbench.gui.icons import icons_dir

    path = icons_dir().parent / "themes" / "workbench.qss"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def create_application(argv: list[str] | None = None) -> Any:
    """The QApplication (reused if one exists, as under pytest-qt)."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QStyleFactory

    from workbench.engine import keep_numpy_off_huge_pages

    # Before the window loads a dataset: huge-page faults, here or in a
    # worker, made the GUI thread's turns 10-40x slower during a big fit.
    keep_numpy_off_huge_pages()

    from workbench.gui.settings import APPLICATION, ORGANIZATION

    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0], *(argv or [])])
    from workbench.gui.icons import app_icon

    if "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")  # the same look on every platform, follows the palette
    app.setWindowIcon(app_icon())
    from workbench.gui.theme import apply_theme

    apply_theme()  # View ▸ Theme, as the person left it
    app.setStyleSheet(stylesheet())
    collect_garbage_on_gui_thread(app)
    return app


def collect_garbage_on_gui_thread(app: Any) -> None:
    """Python's cyclic GC only on the GUI thread, from a timer (once per app).

    A collection triggered in a worker thread (a job's allocations) frees Qt
    wrappers there; ``QObject::~QObject`` then takes a Qt lock and waits for
    the GIL while the GUI thread holds the GIL and waits for that lock: the
    window froze for good (seen in the test suite: a profile job's thread
    collecting a QMenu's children).  pyqtgraph's GarbageCollector disables
    automatic collection and collects from a QTimer, i.e. on the GUI thread.
    """
    if getattr(app, "_workbench_gc", None) is not None:
        return
    from pyqtgraph.util.garbage_collector import GarbageCollector

    app._workbench_gc = GarbageCollector(interval=1.0)



def main(argv: list[str] | None = None) -> int:
    """Open the workbench window, optionally on the project at ``argv[0]``."""
    import multiprocessing

    multiprocessing.freeze_support()  # the process executor in a frozen app
    parser = argparse.ArgumentParser(prog="workbench-gui", description="Open the Training Workbench window.")
    parser.add_argument("project", nargs="?", help="project folder to open")
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    reason = gui_unavailable_reason()
    if reason:
        return _fail(reason)
    try:
        import PySide6.QtWidgets  # noqa: F401 - loads Qt's shared libraries
    except ImportError as exc:
        if ".so" in str(exc):
            return _fail(qt_import_error_message(exc))
        raise
    from workbench.gui import errors

    logging.basicConfig(level=os.environ.get("WORKBENCH_LOG", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_application(qt_args)
    errors.install()
    from workbench.gui.main_window import MainWindow

    window = MainWindow(Path(args.project) if args.project else None)
    window.show()
    code = app.exec()
    from workbench.gui.workers import worker_pool

    worker_pool().shutdown()  # the windows' worker processes, after the last window closed
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
