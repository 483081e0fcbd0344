"""The start screen shown when no project is open: new, open, samples, recent."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.gui import settings as ui_settings
from workbench.gui.icons import app_icon, icon

# Marks list items that are bundled samples (opened as a per-user copy).
SAMPLE_ROLE = Qt.ItemDataRole.UserRole + 1


def _describe(path: Path) -> str:
    """The project's name from workbench.toml, else the first line of its README."""
    import tomllib

    try:
        name = tomllib.loads((path / "workbench.toml").read_text(encoding="utf-8")).get("name")
        if name:
            return str(name)
    except (OSError, tomllib.TOMLDecodeError):
        pass
    for name in ("README.md", "README.txt", "README"):
        readme = path / name
        if readme.exists():
            for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
                line = line.strip().lstrip("#").strip()
                if line:
                    return line
    return path.name


class StartPage(QWidget):
    """Signals ``openRequested(path)``, ``newRequested()``, ``openDialogRequested()``."""

    openRequested = Signal(str)
    newRequested = Signal()
    openDialogRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel("Training Workbench")
        title.setStyleSheet("font-size: 20pt; font-weight: 600;")
        subtitle = QLabel("Load a table, train a model, watch it learn, compare runs, export to ONNX.")
        subtitle.setObjectName("hint")
        head = QHBoxLayout()
        head.addWidget(logo)
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(subtitle)
        head.addLayout(text, 1)

        self.new_button = QPushButton(icon("new"), "New project…")
        self.open_button = QPushButton(icon("open"), "Open project…")
        for b in (self.new_button, self.open_button):
            b.setIconSize(QSize(20, 20))
            b.setMinimumHeight(34)
        self.new_button.clicked.connect(self.newRequested)
        self.open_button.clicked.connect(self.openDialogRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)

        self.samples = QListWidget()
        self.samples.setIconSize(QSize(22, 22))
        self.samples.itemActivated.connect(self._open_item)
        self.samples.itemClicked.connect(self._open_item)
        self.recent = QListWidget()
        self.recent.setIconSize(QSize(22, 22))
        self.recent.itemActivated.connect(self._open_item)
        self.recent.itemClicked.connect(self._open_item)

        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Sample projects</b> — one click opens one"), 0, 0)
        grid.addWidget(QLabel("<b>Recent projects</b>"), 0, 1)
        grid.addWidget(self.samples, 1, 0)
        grid.addWidget(self.recent, 1, 1)

        box = QWidget()
        box.setMaximumWidth(980)
        inner = QVBoxLayout(box)
        inner.addLayout(head)
        inner.addSpacing(12)
        inner.addLayout(buttons)
        inner.addSpacing(12)
        inner.addLayout(grid, 1)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 6)
        outer.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        self.samples.clear()
        for path in ui_settings.sample_projects():
            item = QListWidgetItem(icon("sample"), f"{path.name} — {_describe(path)}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setData(SAMPLE_ROLE, True)
            item.setToolTip(f"Opens your own copy of {path}")
            self.samples.addItem(item)
        if not self.samples.count():
            placeholder = QListWidgetItem("No sample projects found")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.samples.addItem(placeholder)
        self.recent.clear()
        for path in ui_settings.recent_projects():
            item = QListWidgetItem(icon("folder"), f"{Path(path).name} — {path}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.recent.addItem(item)

    def _open_item(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if not path:
            return
        if item.data(SAMPLE_ROLE):
            try:
                path = str(ui_settings.working_copy_of_sample(path))
            except OSError as exc:
                QMessageBox.warning(self, "Sample project", f"Could not copy the sample project: {exc}")
                return
        self.openRequested.emit(path)
