"""Run folders: the on-disk record of one training run.

Layout (``runs/<run-id>/``)::

    spec.json      the RunSpec, written before fitting starts
    events.jsonl   one event per line, appended (and flushed) as the run goes
    run.lock       the pid of the process running it; gone when it ends
    result.json    written once at the end: status, metrics, evaluation...
    model.skops    + model.json: the fitted pipeline (completed runs)
    model.onnx     when exported
    meta.json      user-facing extras (label)

A run with no result.json whose lock's process is gone was interrupted (a
crash or kill): it is shown as ``interrupted`` with the metrics its last
iteration event had, so nothing before the crash is lost.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.engine.errors import ProjectError
from workbench.engine.jobs.events import Event, Iteration, ResourceSample, event_from_dict
from workbench.engine.fsutil import atomic_write_text
from workbench.engine.spec import RunSpec

RUN_STATUSES = ("running", "completed", "failed", "cancelled", "interrupted")


def new_run_id(algorithm: str) -> str:
    """Sortable, readable and unique: ``20261121-143012-xgboost-3fa2``."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{algorithm}-{secrets.token_hex(2)}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProjectError(f"{path} is corrupt (not valid JSON).") from None


def read_events(path: Path) -> list[Event]:
    """Events of a run; a torn last line (crash mid-write) is skipped."""
    events: list[Event] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    events.append(event_from_dict(json.loads(line)))
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue
    except FileNotFoundError:
        pass
    return events


def metrics_from_events(events: list[Event]) -> dict[str, float]:
    """The last iteration's validation (else training) metrics, prefixed."""
    for event in reversed(events):
        if isinstance(event, Iteration):
            out = {f"valid_{k}": v for k, v in event.valid.items()}
            out.update({f"train_{k}": v for k, v in event.train.items()})
            out["iterations"] = float(event.step)
            return out
    return {}


class RunWriter:
    """Writes a run folder while the run goes (used by the training job)."""

    def __init__(self, folder: Path, spec: RunSpec) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=False)
        (folder / "run.lock").write_text(str(os.getpid()))
        atomic_write_text(folder / "spec.json", spec.to_json())
        self._events = open(folder / "events.jsonl", "a", encoding="utf-8")

    def append(self, event: Event) -> None:
        if self._events.closed:
            return
        self._events.write(json.dumps(event.to_dict(), default=str) + "\n")
        # Flushed per event: a crash of this process loses nothing written.
        self._events.flush()

    def finish(self, result: dict[str, Any]) -> None:
        if not self._events.closed:
            self._events.flush()
            os.fsync(self._events.fileno())
            self._events.close()
        atomic_write_text(self.folder / "result.json", json.dumps(result, indent=2, default=str))
        try:
            (self.folder / "run.lock").unlink()
        except FileNotFoundError:
            pass


def finalize_run(project_root: str | os.PathLike, run_id: str, status: str, message: str = "") -> None:
    """Close a run that its own process could not close (killed, crashed).

    Called by executors after terminating a worker.  Writes result.json with
    ``status`` and the metrics the events had, unless the run already wrote
    its own result.
    """
    if status not in RUN_STATUSES:
        raise ValueError(status)
    folder = Path(project_root) / "runs" / run_id
    if not folder.is_dir() or (folder / "result.json").exists():
        return
    spec = _read_json(folder / "spec.json") or {}
    events = read_events(folder / "events.jsonl")
    result = {
        "status": status,
        "message": message,
        "algorithm": spec.get("algorithm"),
        "task": spec.get("task"),
        "metrics": metrics_from_events(events),
        "finished": time.time(),
    }
    atomic_write_text(folder / "result.json", json.dumps(result, indent=2, default=str))
    try:
        (folder / "run.lock").unlink()
    except FileNotFoundError:
        pass


@dataclass
class RunRecord:
    """A run folder as read back from disk."""

    run_id: str
    folder: Path

    @property
    def spec(self) -> RunSpec:
        data = _read_json(self.folder / "spec.json")
        if data is None:
            raise ProjectError(f"Run {self.run_id} has no spec.json.")
        return RunSpec.from_dict(data)

    @property
    def result(self) -> dict[str, Any] | None:
        return _read_json(self.folder / "result.json")

    @property
    def status(self) -> str:
        result = self.result
        if result is not None:
            return result.get("status", "failed")
        lock = self.folder / "run.lock"
        try:
            pid = int(lock.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return "interrupted"
        return "running" if _pid_alive(pid) else "interrupted"

    @property
    def metrics(self) -> dict[str, float]:
        result = self.result
        if result is not None:
            return result.get("metrics") or {}
        return metrics_from_events(self.events())

    @property
    def algorithm(self) -> str:
        result = self.result
        if result and result.get("algorithm"):
            return result["algorithm"]
        data = _read_json(self.folder / "spec.json") or {}
        return data.get("algorithm", "?")

    @property
    def created(self) -> float:
        try:
            return (self.folder / "spec.json").stat().st_mtime
        except FileNotFoundError:
            return self.folder.stat().st_mtime

    @property
    def label(self) -> str:
        meta = _read_json(self.folder / "meta.json") or {}
        return meta.get("label") or self.run_id

    def set_label(self, label: str) -> None:
        meta = _read_json(self.folder / "meta.json") or {}
        meta["label"] = label
        atomic_write_text(self.folder / "meta.json", json.dumps(meta, indent=2))

    def events(self) -> list[Event]:
        return read_events(self.folder / "events.jsonl")

    def resources(self) -> list[Event]:
        """CPU/memory (and GPU) samples taken while the run went (process executor)."""
        return read_events(self.folder / "resources.jsonl")

    def resource_summary(self) -> dict[str, float] | None:
        samples = [s for s in self.resources() if isinstance(s, ResourceSample)]
        if not samples:
            return None
        rss = [s.rss_mb for s in samples]
        cpu = [s.cpu_percent for s in samples]
        out = {"samples": float(len(samples)), "peak_rss_mb": max(rss), "mean_cpu_percent": sum(cpu) / len(cpu)}
        gpu = [s.gpu_percent for s in samples if s.gpu_percent is not None]
        if gpu:
            out["mean_gpu_percent"] = sum(gpu) / len(gpu)
        return out

    @property
    def has_model(self) -> bool:
        return (self.folder / "model.skops").exists()

    @property
    def onnx_path(self) -> Path | None:
        p = self.folder / "model.onnx"
        return p if p.exists() else None

    def load_model(self):
        from workbench.engine.model import TrainedModel

        return TrainedModel.load(self.folder)

    def summary(self) -> dict[str, Any]:
        """The JSON shape of ``workbench runs --json`` entries."""
        result = self.result or {}
        return {
            "run_id": self.run_id,
            "label": self.label,
            "status": self.status,
            "algorithm": self.algorithm,
            "task": result.get("task"),
            "dataset": (_read_json(self.folder / "spec.json") or {}).get("dataset"),
            "metrics": self.metrics,
            "created": datetime.fromtimestamp(self.created).isoformat(timespec="seconds"),
        }


class RunFolderOwner:
    """A job that writes a run folder (``project_root``, ``run_id``).

    Executors call :meth:`finalize_unfinished` when the job died or was
    stopped before it could close its run itself.
    """

    project_root: str
    run_id: str | None

    def finalize_unfinished(self, status: str, message: str) -> None:
        if getattr(self, "project_root", None) and getattr(self, "run_id", None):
            finalize_run(str(self.project_root), str(self.run_id), status, message)
