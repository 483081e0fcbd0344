"""Run folders as a run goes (:class:`RunWriter`) and as read back (:class:`RunRecord`).

Where each file lives and who writes ``result.json`` is :class:`RunFolder`'s
business (run_folder.py); this module turns those files into what a user
sees.  A run with no result.json whose lock's process is gone was
interrupted (a crash or kill): it is shown as ``interrupted`` with the metrics
its last iteration event had, so nothing before the crash is lost.  A run
whose files cannot be read back is shown as ``damaged`` with the reason, and
never stops the project's other runs from being listed.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from workbench.engine.errors import ProjectError
from workbench.engine.jobs.events import Event, ResourceSample
from workbench.engine.fsutil import atomic_write_text
from workbench.engine.project.run_events import metrics_from_events, read_events
from workbench.engine.project.run_folder import (
    DAMAGED,
    RUN_STATUSES,
    RunFolder,
    RunResult,
    read_json_file,
)
from workbench.engine.spec import RunSpec

__all__ = [
    "DAMAGED", "RUN_STATUSES", "RunFolder", "RunRecord", "RunResult", "RunWriter",
    "finalize_run", "metrics_from_events", "new_run_id", "read_events",
]


def new_run_id(algorithm: str) -> str:
    """Sortable, readable and unique: ``20261121-143012-xgboost-3fa2``."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{algorithm}-{secrets.token_hex(2)}"


class RunWriter:
    """Writes a run folder while the run goes (used by the training job)."""

    def __init__(self, folder: Path, spec: RunSpec) -> None:
        self.run_folder = RunFolder(folder)
        self.folder = self.run_folder.path
        self.run_folder.create(spec.to_json())
        self._events = open(self.run_folder.events_path, "a", encoding="utf-8")

    def append(self, event: Event) -> None:
        if self._events.closed:
            return
        self._events.write(json.dumps(event.to_dict(), default=str) + "\n")
        # Flushed per event: a crash of this process loses nothing written.
        self._events.flush()

    def finish(self, result: RunResult | dict[str, Any]) -> None:
        if not self._events.closed:
            self._events.flush()
            os.fsync(self._events.fileno())
            self._events.close()
        if not isinstance(result, RunResult):
            result = RunResult.from_dict(result)
        self.run_folder.write_result(result)


def finalize_run(project_root: str | os.PathLike, run_id: str, status: str, message: str = "") -> None:
    """Close a run that its own process could not close (killed, crashed).

    Called by executors after terminating a worker.  Writes result.json with
    ``status`` and the metrics the events had, unless the run already wrote
    its own result.
    """
    RunFolder.of(project_root, run_id).finalize(status, message)


# Parsed run files, by path, reused while the file's (mtime, size, inode) is
# unchanged.  Listing runs reads each run's result.json for its status,
# algorithm, metrics and damage (~15 reads a run): with 150 runs a refresh of
# the runs table and tree parsed 2,265 files, 2 s of GUI thread, at the start
# and end of every job.  Only RunRecord (a read-only view) uses it; writers
# read the file themselves, under the project lock.
_SNAPSHOT_LIMIT = 4096
_snapshots: "OrderedDict[Any, tuple[Any, Any]]" = OrderedDict()  # path, or (path, part)
_snapshots_lock = threading.Lock()


def _snapshot(path: Path, read: Callable[[], Any], part: str = "") -> Any:
    """``read()``'s value for ``path``, parsed again only when the file changed (errors too).

    ``part`` names another value made from the same file (kept beside the first).
    """
    try:
        st = path.stat()
        key: Any = (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        key = None
    slot: Any = (path, part) if part else path
    with _snapshots_lock:
        hit = _snapshots.get(slot)
        if hit is not None and hit[0] == key:
            _snapshots.move_to_end(slot)
            value = hit[1]
        else:
            hit = None
    if hit is None:
        try:
            value = read()
        except ProjectError as exc:
            value = exc
        if key is not None:  # an absent file is not cached: it may appear any moment
            with _snapshots_lock:
                _snapshots[slot] = (key, value)
                if len(_snapshots) > _SNAPSHOT_LIMIT:
                    _snapshots.popitem(last=False)
    if isinstance(value, ProjectError):
        raise ProjectError(str(value))
    return value


@dataclass(frozen=True)
class RunOverview:
    """A run as a list shows it (:meth:`RunRecord.overview`)."""

    run_id: str
    label: str  # the user's label, else the run id
    status: str
    algorithm: str
    dataset: str | None
    task: str | None
    headline: str | None  # the metric the run recorded as its headline
    metrics: dict[str, Any]
    created: float
    damage: str | None
    onnx_path: Path | None


@dataclass
class RunRecord:
    """A run folder as read back from disk.

    Reading never raises for a damaged run: its status reads ``damaged`` and
    :attr:`damage` says what is wrong, so one bad folder never hides the rest.
    """

    run_id: str
    folder: Path

    @functools.cached_property
    def run_folder(self) -> RunFolder:
        return RunFolder(self.folder)

    def _spec_dict(self) -> dict[str, Any]:
        try:
            return self._read_spec() or {}
        except ProjectError:
            return {}

    @property
    def spec(self) -> RunSpec:
        try:
            data = self._read_spec()
        except ProjectError as exc:
            raise ProjectError(f"Run {self.run_id} is damaged: {exc}") from None
        if data is None:
            raise ProjectError(f"Run {self.run_id} has no spec.json.")
        try:
            return RunSpec.from_dict(data)
        except Exception as exc:  # a hand-edited or truncated spec
            raise ProjectError(f"Run {self.run_id} is damaged: spec.json is not a valid run spec ({exc}).") from None

    @property
    def damage(self) -> str | None:
        """What makes this run unreadable (one line), or None when it reads fine."""
        try:
            self._read_result()
        except ProjectError as exc:
            return str(exc)
        return self._spec_damage()

    def _spec_damage(self) -> str | None:
        # Parsing the spec is checking it: a broken spec is damage too.  The
        # verdict is kept per version of the file (listing 200 runs parsed
        # every spec three times, at every run's start and end in the window).
        return _snapshot(self.run_folder.spec_path, self._check_spec, part="damage")

    def _check_spec(self) -> str | None:
        try:
            _ = self.spec
        except ProjectError as exc:
            return str(exc).removeprefix(f"Run {self.run_id} is damaged: ")
        return None

    @property
    def dataset(self) -> str | None:
        """The dataset named in the run's spec, without parsing the whole spec (None if unreadable)."""
        value = self._spec_dict().get("dataset")
        return str(value) if value is not None else None

    @property
    def result(self) -> RunResult | None:
        """The typed result; None while running or interrupted; a ``damaged``
        result carrying the reason when result.json cannot be read."""
        try:
            return self._read_result()
        except ProjectError as exc:
            return RunResult(status=DAMAGED, message=str(exc))

    @property
    def status(self) -> str:
        if self.damage:
            return DAMAGED
        result = self.result
        if result is not None:
            return result.status
        return "running" if self.run_folder.running() else "interrupted"

    @property
    def metrics(self) -> dict[str, float]:
        result = self.result
        if result is not None and result.status != DAMAGED:
            return result.metrics
        return metrics_from_events(self.events())

    @property
    def algorithm(self) -> str:
        result = self.result
        if result and result.algorithm:
            return result.algorithm
        return self._spec_dict().get("algorithm") or "?"

    @property
    def created(self) -> float:
        for path in (self.run_folder.spec_path, self.folder):
            try:
                return path.stat().st_mtime
            except OSError:
                continue
        return 0.0  # deleted by another process while being listed

    def _read_result(self) -> RunResult | None:
        folder = self.run_folder
        return _snapshot(folder.result_path, folder.read_result)

    def _read_spec(self) -> dict[str, Any] | None:
        folder = self.run_folder
        return _snapshot(folder.spec_path, folder.read_spec)

    @property
    def label(self) -> str:
        try:
            meta = _snapshot(self.run_folder.meta_path, lambda: read_json_file(self.run_folder.meta_path))
        except ProjectError:
            meta = None
        return (meta.get("label") if isinstance(meta, dict) else None) or self.run_id

    def set_label(self, label: str) -> None:
        from workbench.engine.project.lock import project_lock

        with project_lock(self.run_folder.project_root):
            try:
                meta = read_json_file(self.run_folder.meta_path)
            except ProjectError:
                meta = None  # a damaged meta.json only held a label: replace it
            meta = meta if isinstance(meta, dict) else {}
            meta["label"] = label
            atomic_write_text(self.run_folder.meta_path, json.dumps(meta, indent=2))

    def events(self) -> list[Event]:
        return read_events(self.run_folder.events_path)

    def resources(self) -> list[Event]:
        """CPU/memory (and GPU) samples taken while the run went (process executor)."""
        return read_events(self.run_folder.resources_path)

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
        return self.run_folder.model_path.exists()

    @property
    def onnx_path(self) -> Path | None:
        p = self.run_folder.onnx_path
        return p if p.exists() else None

    def load_model(self):
        from workbench.engine.model import TrainedModel

        return TrainedModel.load(self.folder)

    def overview(self) -> "RunOverview":
        """What a list of runs shows of this run, each of its files read once (never raises).

        The properties re-read (stat) their file at every access, which is
        right for one run looked at for a while; a list of 200 runs asked
        each ~13 times per refresh.
        """
        try:
            result, damage = self._read_result(), None
        except ProjectError as exc:
            result, damage = None, str(exc)
        damage = damage or self._spec_damage()
        spec = self._spec_dict()
        if damage:
            status = DAMAGED
        elif result is not None:
            status = result.status
        else:
            status = "running" if self.run_folder.running() else "interrupted"
        dataset = spec.get("dataset")
        return RunOverview(
            run_id=self.run_id, label=self.label, status=status,
            algorithm=(result.algorithm if result else None) or spec.get("algorithm") or "?",
            dataset=str(dataset) if dataset is not None else None,
            task=result.task if result else None,
            headline=result.headline if result else None,
            metrics=result.metrics if result else metrics_from_events(self.events()),
            created=self.created, damage=damage, onnx_path=self.onnx_path,
        )

    def summary(self) -> dict[str, Any]:
        """The JSON shape of ``workbench runs --json`` entries (never raises)."""
        o = self.overview()
        out = {
            "run_id": o.run_id,
            "label": o.label,
            "status": o.status,
            "algorithm": o.algorithm,
            "task": o.task,
            "dataset": o.dataset,
            "metrics": o.metrics,
            "created": datetime.fromtimestamp(o.created).isoformat(timespec="seconds"),
        }
        if o.damage:
            out["message"] = o.damage
        return out


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

    def record_resources(self, sample: dict[str, Any]) -> None:
        """Append one resource sample (taken by the executor) to ``resources.jsonl``."""
        if not getattr(self, "project_root", None) or not getattr(self, "run_id", None):
            return
        folder = RunFolder.of(self.project_root, str(self.run_id))
        if folder.path.is_dir():
            with open(folder.resources_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(sample) + "\n")
