"""Help: keyboard shortcuts, the bundled user guide (offline), About with library versions."""

from __future__ import annotations

from importlib import metadata

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMainWindow, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

# Libraries whose versions decide a run's numbers (shown in About, asked for in bug reports).
LIBRARIES = ("PySide6", "pyqtgraph", "numpy", "pandas", "scikit-learn", "xgboost", "onnx", "onnxruntime",
             "skl2onnx", "optuna")
# Keys handled by widgets rather than actions (actions list their own shortcuts).
EXTRA_SHORTCUTS = (
    ("Ctrl+Return", "Train with the Model tab's settings"),
    ("Esc", "Cancel the newest running job — in the Training view or the Jobs panel only"),
)


def library_versions() -> dict[str, str]:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def guide_text() -> str:
    """The user guide (Markdown) shipped with the app."""
    from workbench.gui.icons import icons_dir

    from pathlib import Path

    # Installed package data, else the checkout's resources/ beside workbench/.
    for folder in (icons_dir().parent, Path(__file__).resolve().parents[2] / "resources"):
        try:
            return (folder / "guide" / "guide.md").read_text(encoding="utf-8")
        except OSError:
            continue
    return "# User guide\n\nThe guide is missing from this installation."


def _text_dialog(parent: QWidget, title: str, markdown: str, size: tuple[int, int]) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    browser = QTextBrowser()
    browser.setOpenExternalLinks(False)
    browser.setMarkdown(markdown)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    dialog.resize(*size)
    dialog.browser = browser  # tests read what is shown
    dialog.setModal(False)
    dialog.show()
    return dialog


def shortcuts_markdown(window: QMainWindow) -> str:
    from PySide6.QtGui import QAction, QKeySequence

    rows = [(a.shortcut().toString(QKeySequence.SequenceFormat.NativeText), a.text().replace("&", ""))
            for a in window.findChildren(QAction) if not a.shortcut().isEmpty() and a.text()]
    rows += list(EXTRA_SHORTCUTS)
    seen, lines = set(), ["| Keys | Does |", "|---|---|"]
    for keys, text in rows:
        if (keys, text) not in seen:
            seen.add((keys, text))
            lines.append(f"| {keys} | {text.rstrip('…')} |")
    return "# Keyboard shortcuts\n\n" + "\n".join(lines)


def show_shortcuts(window: QMainWindow) -> QDialog:
    return _text_dialog(window, "Keyboard shortcuts", shortcuts_markdown(window), (520, 420))


def show_guide(window: QMainWindow) -> QDialog:
    return _text_dialog(window, "User guide", guide_text(), (680, 640))


def show_about(window: QMainWindow) -> None:
    import workbench

    versions = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in library_versions().items())
    QMessageBox.about(window, "About Training Workbench",
                      f"<b>Training Workbench</b> {workbench.__version__}<br>"
                      "Train, evaluate and export models on tabular data — offline.<br><br>"
                      f"<table>{versions}</table>")


def add_help_menu(window: QMainWindow) -> None:
    """The Help menu: shortcuts, guide, About."""
    menu = window.menuBar().addMenu("&Help")
    menu.addAction("&Keyboard shortcuts", lambda: show_shortcuts(window))
    menu.addAction("&User guide", lambda: show_guide(window)).setShortcut("F1")
    menu.addAction("&About", lambda: show_about(window))
