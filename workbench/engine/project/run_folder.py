"""One run folder, one owner: every path of ``runs/<run-id>/`` and the only writer of its result.

Layout::

    spec.json        the RunSpec, written before fitting starts
    events.jsonl     one event per line, appended (and flushed) as the run goes
    run.lock         the pid of the process running it; gone when it ends
    result.json      the :class:`RunResult`: status, metrics, evaluation...
    model.skops      + model.json: the fitted pipeline (completed runs)
    test_rows.npy    index labels of the held-out rows (for the ONNX parity check)
    model.onnx       when exported
    meta.json        user-facing extras (label)
    resources.jsonl  CPU/memory samples (process executor)

``result.json`` used to be written in four places with four ideas of its
shape; :meth:`RunFolder.write_result` is now the only writer, and readers get
a typed :class:`RunResult` that tolerates files of older versions (missing
keys take defaults, unknown keys are kept and written back unchanged).
"""

from __future__ import annotations

import json
import functools
import os
import time
from pathlib import Path
from typing import Any, Callable

from workbench.engine.errors import ProjectError
from workbench.engine.fsutil import atomic_write_text, pid_alive
from workbench.engine.project.run_result import RunResult

RUNS_DIR = "runs"
RUN_STATUSES = ("running", "completed", "failed", "cancelled", "interrupted")
# Not a status a run ends with: a run whose files cannot be read back.
DAMAGED = "damaged"


def read_json_file(path: Path) -> Any:
    """Parsed JSON, None when the file is absent, ProjectError (one line) when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise ProjectError(f"{path.name} is corrupt (not UTF-8 text).") from None
    except OSError as exc:
        raise ProjectError(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        what = "empty" if not text.strip() else f"not valid JSON: {exc.msg} at line {exc.lineno}"
        raise ProjectError(f"{path.name} is corrupt ({what}).") from None


def write_lock(lock: Path) -> None:
    """Write a ``run.lock`` naming this process.

    The content stays the bare pid (as always); the file's mtime is set to
    this process's start time, so :func:`lock_owner_alive` compares two
    times of this machine's clock even when the project sits on a network
    share whose clock differs.
    """
    lock.write_text(str(os.getpid()))
    try:
        import psutil

        started = psutil.Process().create_time()
        os.utime(lock, (started, started))
    except Exception:  # no psutil: the write time is a later bound of the start, which still works
        pass


def lock_owner_alive(lock: Path) -> bool:
    """Whether the process named in a ``run.lock`` still runs *that* run.

    A pid alone is not enough: after a crash and a reboot (or just enough
    processes) the pid is reused by an unrelated program and the run would
    read as running forever.  The owner wrote the lock after it started, so
    a process with that pid that started after the lock was written is
    someone else (:func:`write_lock` stamps the owner's start time).
    """
    try:
        pid = int(lock.read_text().strip() or 0)
        written = lock.stat().st_mtime
    except (OSError, ValueError):
        return False
    if not pid_alive(pid):
        return False
    try:
        import psutil

        started = psutil.Process(pid).create_time()
    except Exception:  # no psutil, or the process ended meanwhile: trust the pid check
        return pid_alive(pid)
    # create_time is rounded to the clock tick; 1 s covers that and coarse mtimes.
    return started <= written + 1.0


class RunFolder:
    """Every path of one run folder, and the only writer of its ``result.json``."""

    SPEC = "spec.json"
    EVENTS = "events.jsonl"
    RESULT = "result.json"
    LOCK = "run.lock"
    META = "meta.json"
    RESOURCES = "resources.jsonl"
    MODEL = "model.skops"
    MODEL_INFO = "model.json"
    TEST_ROWS = "test_rows.npy"
    ONNX = "model.onnx"

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @classmethod
    def of(cls, project_root: str | os.PathLike, run_id: str) -> "RunFolder":
        return cls(Path(project_root) / RUNS_DIR / str(run_id))

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def project_root(self) -> Path:
        return self.path.parent.parent

    # paths ---------------------------------------------------------------
    # Made once per folder object: listing 200 runs in the window asked for
    # ~20,000 of them, each a new Path parsed again by stat().
    @functools.cached_property
    def spec_path(self) -> Path:
        return self.path / self.SPEC

    @functools.cached_property
    def events_path(self) -> Path:
        return self.path / self.EVENTS

    @functools.cached_property
    def result_path(self) -> Path:
        return self.path / self.RESULT

    @functools.cached_property
    def lock_path(self) -> Path:
        return self.path / self.LOCK

    @functools.cached_property
    def meta_path(self) -> Path:
        return self.path / self.META

    @functools.cached_property
    def resources_path(self) -> Path:
        return self.path / self.RESOURCES

    @functools.cached_property
    def model_path(self) -> Path:
        return self.path / self.MODEL

    @functools.cached_property
    def test_rows_path(self) -> Path:
        return self.path / self.TEST_ROWS

    @functools.cached_property
    def onnx_path(self) -> Path:
        return self.path / self.ONNX

    # writing -------------------------------------------------------------
    def create(self, spec_json: str) -> None:
        """Make the folder with its lock (this process) and spec; refuses an existing run."""
        self.path.mkdir(parents=True, exist_ok=False)
        write_lock(self.lock_path)
        atomic_write_text(self.spec_path, spec_json)

    def write_result(self, result: RunResult) -> None:
        """Write result.json atomically and drop the run lock: the run has ended."""
        atomic_write_text(self.result_path, json.dumps(result.to_dict(), indent=2, default=str))
        self.lock_path.unlink(missing_ok=True)

    def finalize(self, status: str, message: str = "") -> bool:
        """Close a run its own process could not close (killed, crashed).

        Writes a result with ``status`` and the metrics its events had,
        unless the run already wrote its own.  Returns whether it wrote.
        """
        if status not in RUN_STATUSES:
            raise ValueError(status)
        if not self.path.is_dir():
            return False
        from workbench.engine.project.lock import project_lock
        from workbench.engine.project.run_events import metrics_from_events, read_events

        with project_lock(self.project_root):
            if self.result_path.exists():
                return False
            try:
                spec = read_json_file(self.spec_path)
            except ProjectError:
                spec = None
            spec = spec if isinstance(spec, dict) else {}
            self.write_result(RunResult(
                status=status,
                message=message,
                algorithm=spec.get("algorithm"),
                task=spec.get("task"),
                metrics=metrics_from_events(read_events(self.events_path)),
                finished=time.time(),
                _keys=("status", "message", "algorithm", "task", "metrics", "finished"),
            ))
        return True

    def update_result(self, change: Callable[[RunResult], None]) -> RunResult:
        """Read result.json, apply ``change`` and write it back, as one locked step."""
        from workbench.engine.project.lock import project_lock

        with project_lock(self.project_root):
            result = self.read_result()
            if result is None:
                raise ProjectError(f"Run {self.run_id} has no result yet.")
            change(result)
            atomic_write_text(self.result_path, json.dumps(result.to_dict(), indent=2, default=str))
            return result

    # reading -------------------------------------------------------------
    def read_result(self) -> RunResult | None:
        """The run's result; None while it runs; ProjectError (one line) when damaged."""
        data = read_json_file(self.result_path)
        if data is None:
            return None
        return RunResult.from_dict(data)

    def read_spec(self) -> dict[str, Any] | None:
        data = read_json_file(self.spec_path)
        if data is not None and not isinstance(data, dict):
            raise ProjectError(f"{self.SPEC} does not hold a JSON object.")
        return data

    def running(self) -> bool:
        return lock_owner_alive(self.lock_path)
