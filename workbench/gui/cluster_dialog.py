"""Run ▸ Train on a Dask cluster…: a scheduler address, and what the cluster has.

Connecting is a network round-trip (seconds when the scheduler is far or
missing), so it happens on a plain thread; the result comes back to the GUI
thread through a queued signal.  The dialog shows the workers, threads and
memory it found, or the one-line reason it could not connect, and only then
lets the user accept.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

__all__ = ["ClusterChoice", "ClusterDialog", "ClusterConnector", "describe_cluster"]


def describe_cluster(summary: dict[str, Any]) -> str:
    """"2 workers, 4 threads, 3.0 GiB" for a :func:`cluster_summary` dict."""
    gib = summary.get("memory_bytes", 0) / 2**30
    return f"{summary['workers']} workers, {summary['cores']} threads, {gib:.1f} GiB"


class ClusterConnector(QObject):
    """Connects to a scheduler off the GUI thread; ``done(client, summary, error)``.

    Made without a Qt parent on purpose: the thread that emits ``done`` holds
    a Python reference to it, so closing a dialog mid-connect cannot delete
    the sender under the emitting thread (PySide aborts on that).
    """

    done = Signal(object, object, str)

    def connect_to(self, address: str, timeout: float = 5.0) -> None:
        def work() -> None:
            from workbench.engine import WorkbenchError, cluster_summary, connect_cluster

            try:
                client = connect_cluster(address, timeout=timeout)
                summary = cluster_summary(client)
            except WorkbenchError as exc:
                self.done.emit(None, None, str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - shown to the user, app stays up
                self.done.emit(None, None, f"Could not connect to {address}: {type(exc).__name__}: {exc}")
                return
            self.done.emit(client, summary, "")

        threading.Thread(target=work, name="workbench-dask-connect", daemon=True).start()


class ClusterDialog(QDialog):
    """Asks for a scheduler address and checks it before the user can accept.

    After ``accept()``: ``client`` (a connected ``distributed.Client``),
    ``summary`` (workers, cores, memory) and ``address``.
    """

    def __init__(self, address: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train on a Dask cluster")
        self.client: Any = None
        self.summary: dict[str, Any] | None = None
        self.address = address
        self.address_edit = QLineEdit(address)
        self.address_edit.setPlaceholderText("tcp://host:8786")
        self.address_edit.setMinimumWidth(280)
        self.connect_button = QPushButton("Connect")
        self.status = QLabel("Start one on this machine with: workbench cluster local")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this cluster")
        self.ok_button.setEnabled(False)

        row = QHBoxLayout()
        row.addWidget(self.address_edit, 1)
        row.addWidget(self.connect_button)
        form = QFormLayout()
        form.addRow("Scheduler", row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self._connector = ClusterConnector()
        self._connector.done.connect(self._connected)
        self.connect_button.clicked.connect(self._connect)
        self.address_edit.returnPressed.connect(self._connect)
        self.address_edit.textEdited.connect(self._address_edited)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _address_edited(self) -> None:
        self.ok_button.setEnabled(False)  # what was checked is no longer what is typed
        self._drop_client()

    def _connect(self) -> None:
        address = self.address_edit.text().strip()
        if not address:
            self._show_error("Type the scheduler's address, e.g. tcp://10.0.0.5:8786.")
            return
        self._drop_client()
        self.connect_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(f"Connecting to {address}…")
        self.address = address
        self._connector.connect_to(address)

    def _connected(self, client: Any, summary: Any, error: str) -> None:
        self.connect_button.setEnabled(True)
        if error:
            self._show_error(error)
            return
        self.client, self.summary = client, summary
        self.status.setStyleSheet("")
        self.status.setText(f"Connected: {describe_cluster(summary)}.")
        self.ok_button.setEnabled(True)

    def _show_error(self, message: str) -> None:
        self.status.setStyleSheet("color: #c0392b;")
        self.status.setText(message)
        self.ok_button.setEnabled(False)
        self.adjustSize()  # a wrapped message needs more lines than the dialog had

    def _drop_client(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            threading.Thread(target=client.close, daemon=True).start()

    def reject(self) -> None:
        self._drop_client()
        super().reject()


class ClusterChoice(QObject):
    """The "Train on a Dask cluster…" choice: its action, connection and executor.

    Kept out of the main window, which only asks :attr:`executor` and
    :attr:`lanes` when it applies the executor setting (on :attr:`changed`).
    The scheduler address and the choice itself are remembered in QSettings;
    at start-up a remembered cluster is reconnected in the background, and
    until then (or if it is gone) training stays on this machine.
    """

    changed = Signal()
    message = Signal(str)

    def __init__(self, parent: Any, fallback_kind: Any = lambda: "process") -> None:
        from PySide6.QtGui import QAction

        super().__init__(parent)
        self._window = parent
        self._fallback_kind = fallback_kind  # the executor kind to go back to when the cluster is left
        self.executor: Any = None
        self.summary: dict[str, Any] | None = None
        self._client: Any = None
        self._dialog: ClusterDialog | None = None
        self.action = QAction("Train on a &Dask cluster…", parent, checkable=True)
        self.action.setToolTip("Send training jobs to a Dask cluster's workers "
                               "('workbench cluster local' starts one on this machine)")
        self.action.toggled.connect(self._toggled)
        self._connector = ClusterConnector()
        self._connector.done.connect(self._reconnected)

    @property
    def lanes(self) -> int:
        """Training jobs to run at once on the cluster: one per worker thread."""
        return max(1, int((self.summary or {}).get("cores", 1)))

    def restore(self) -> None:
        """Reconnect to the remembered cluster in the background (start-up)."""
        from workbench.gui import settings as ui_settings

        address = ui_settings.dask_scheduler()
        if ui_settings.executor_kind() == "dask" and address:
            self.message.emit(f"Connecting to the Dask cluster at {address}…")
            self._connector.connect_to(address)

    def deactivate(self) -> None:
        """Another executor was chosen: drop the cluster (no dialog)."""
        if self.action.isChecked():
            self._set_checked(False)
        self._drop()

    def shutdown(self) -> None:
        self._drop()

    # -- internals ------------------------------------------------------------
    def _set_checked(self, on: bool) -> None:
        self.action.blockSignals(True)
        self.action.setChecked(on)
        self.action.blockSignals(False)

    def _toggled(self, on: bool) -> None:
        from workbench.gui import settings as ui_settings

        if not on:
            if ui_settings.executor_kind() == "dask":
                ui_settings.set_executor_kind(self._fallback_kind())
            self._drop()
            self.changed.emit()
            return
        dialog = ClusterDialog(ui_settings.dask_scheduler(), self._window)
        dialog.finished.connect(lambda result: self._dialog_finished(dialog, result))
        self._dialog = dialog
        dialog.open()

    def _dialog_finished(self, dialog: ClusterDialog, result: int) -> None:
        self._dialog = None
        if result == QDialog.DialogCode.Accepted and dialog.client is not None:
            self._use(dialog.client, dialog.summary or {}, dialog.address)
        else:
            self._set_checked(self.executor is not None)

    def _reconnected(self, client: Any, summary: Any, error: str) -> None:
        from workbench.gui import settings as ui_settings

        if error or client is None:
            self.message.emit(f"{error} Training runs on this machine until you choose a cluster again.")
            return
        if ui_settings.executor_kind() != "dask":  # the user chose otherwise meanwhile
            threading.Thread(target=client.close, daemon=True).start()
            return
        self._use(client, summary, ui_settings.dask_scheduler())

    def _use(self, client: Any, summary: dict[str, Any], address: str) -> None:
        from workbench.engine import DaskExecutor
        from workbench.gui import settings as ui_settings

        self._drop()
        ui_settings.set_dask_scheduler(address)
        ui_settings.set_executor_kind("dask")
        self._client, self.summary = client, summary
        self.executor = DaskExecutor(client)
        self._set_checked(True)
        self.message.emit(f"Training on the Dask cluster at {address}: {describe_cluster(summary)}.")
        self.changed.emit()

    def _drop(self) -> None:
        executor, client = self.executor, self._client
        self.executor, self._client, self.summary = None, None, None
        if executor is not None:
            executor.shutdown(cancel_jobs=True)
        if client is not None:
            threading.Thread(target=client.close, daemon=True).start()
