"""Run the prediction service: bind, report the address, serve until stopped.

Used by ``workbench serve`` (in the main thread: Ctrl-C stops it) and by
the window's "Serve..." job (stopped through the job's cancel token).
Nothing here imports scikit-learn or XGBoost: a run without an exported
model is exported by a child process first (:func:`ensure_onnx`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from workbench.engine.errors import DataError, ExportError, WorkbenchError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


@dataclass
class ServeOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    log_path: str | None = None
    max_body_bytes: int | None = None


def ensure_onnx(project_dir: str | os.PathLike, run_id: str) -> Path:
    """The run's model.onnx, exported first (in a child process) when missing."""
    from workbench.engine.project.folder import Project

    record = Project.open(project_dir).run(run_id)
    if record.onnx_path is not None:
        return record.onnx_path
    if not record.has_model:
        raise ExportError(f"Run {record.run_id} has no trained model to serve (status: {record.status}).")
    if getattr(sys, "frozen", False):
        # A bundled app has no "python -m": export here (the training
        # libraries then stay loaded in this process).
        from workbench.engine.onnx.run_export import export_run

        export_run(project_dir, record.run_id)
        return record.folder / "model.onnx"
    # The export needs scikit-learn and skl2onnx; a child process keeps them
    # out of the serving process.
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "export", str(project_dir), record.run_id],
        capture_output=True, text=True,
    )
    if done.returncode != 0 or record.onnx_path is None:
        last = (done.stderr.strip().splitlines() or ["the export failed"])[-1]
        raise ExportError(f"Could not export run {record.run_id} to ONNX for serving: {last}")
    return record.onnx_path


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: any free port), with a plain error when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on
    # sockets whose proto says TCP, and accepted sockets inherit proto 0 from
    # a plain socket(); with Nagle on, every answer (headers, then body) waited
    # for the client's delayed ACK: 45 ms a request (bench/serving.py).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise DataError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}. "
                        "Pick another --port (or 0 for any free port).") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ModelServer:
    """One model served over HTTP; :meth:`run` blocks until :meth:`stop`."""

    def __init__(self, model_path: str | os.PathLike, options: ServeOptions | None = None) -> None:
        try:
            import uvicorn  # noqa: F401
            import starlette  # noqa: F401
        except ImportError:
            raise WorkbenchError(
                "Serving needs the optional 'serve' extra: pip install 'workbench[serve]' "
                "(starlette and uvicorn)."
            ) from None
        from workbench.engine.serving.backends import OnnxBackend
        from workbench.engine.serving.service import MAX_BODY_BYTES, PredictionService, build_app

        self.options = options or ServeOptions()
        self.backend = OnnxBackend(model_path)
        self.service = PredictionService(self.backend, log_path=self.options.log_path)
        self.app = build_app(self.service, token=self.options.token,
                             max_body_bytes=self.options.max_body_bytes or MAX_BODY_BYTES)
        self.socket = bind(self.options.host, self.options.port)
        self.url = address(self.socket)
        self._server: Any = None
        self._stop_requested = threading.Event()

    def run(self, on_started: Callable[[str], None] | None = None) -> None:
        import uvicorn

        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        if self._stop_requested.is_set():
            self._server.should_exit = True
        if on_started is not None:
            threading.Thread(target=self._report_started, args=(on_started,), daemon=True).start()
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self.service.close()
            self.socket.close()

    def _report_started(self, on_started: Callable[[str], None]) -> None:
        while not self._server.started and not self._server.should_exit:
            self._stop_requested.wait(0.02)
        if self._server.started:
            on_started(self.url)

    def stop(self) -> None:
        self._stop_requested.set()
        if self._server is not None:
            self._server.should_exit = True


class ServeJob:
    """The window's "Serve..." job: serves until the job is cancelled.

    Not a portable kind: the window runs it in a thread of its own process
    (a server would hold a worker of the pool for as long as it serves).
    """

    kind = "serve"

    def __init__(self, project_root: str | os.PathLike, run_id: str, options: ServeOptions | None = None) -> None:
        self.project_root = str(project_root)
        self.run_id = run_id
        # Plain fields, not the dataclass: a process worker rebuilds only plain data.
        self.options = vars(options or ServeOptions())
        self.title = f"Serve {run_id}"

    def run(self, ctx: Any = None) -> dict[str, Any]:
        from workbench.engine.errors import Cancelled
        from workbench.engine.jobs.events import JobContext

        ctx = ctx or JobContext()
        ctx.progress(0.0, "Preparing the ONNX model")
        path = ensure_onnx(self.project_root, self.run_id)
        server = ModelServer(path, ServeOptions(**self.options))

        def started(url: str) -> None:
            ctx.progress(1.0, f"Serving at {url}")
            ctx.log(f"Serving {self.run_id} at {url} (POST {url}/predict, GET {url}/metadata); "
                    "cancel the job to stop.")

        def watch() -> None:
            token = ctx.cancel_token
            while not server._stop_requested.is_set():
                if token is not None and token.cancelled:
                    server.stop()
                    return
                server._stop_requested.wait(0.2)

        threading.Thread(target=watch, daemon=True).start()
        try:
            server.run(on_started=started)
        finally:
            server.stop()
        if ctx.cancel_token is not None and ctx.cancel_token.cancelled:
            raise Cancelled()
        return {"url": server.url, "run_id": self.run_id}
