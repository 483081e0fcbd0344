"""A hyperparameter search's folder: written as it runs, read back afterwards.

``tunes/<tune-id>/`` holds ``spec.json``, ``trials.jsonl`` (one line per
finished trial, flushed: a crash loses none), ``result.json`` and, while the
search runs, ``run.lock`` with its pid.  The layout is described with the
search itself in :mod:`workbench.engine.tuning.job`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from workbench.engine.errors import ProjectError, SpecError
from workbench.engine.fsutil import atomic_write_text
from workbench.engine.json_values import json_safe
from workbench.engine.project.lock import project_lock
from workbench.engine.project.run_folder import DAMAGED, lock_owner_alive, read_json_file as _read_json, write_lock
from workbench.engine.spec import RunSpec

__all__ = ["TUNES_DIR", "TuneRecord", "best_run_spec", "list_tunes", "load_tune", "record_trained_run"]

TUNES_DIR = "tunes"


def better(a: float, b: float | None, direction: str) -> bool:
    """True when score `a` beats `b` (None: nothing yet) in `direction` ("max" or "min")."""
    if b is None:
        return True
    return a > b if direction == "max" else a < b


class TuneWriter:
    """Writes a tune folder as the search goes: spec, one line per trial, result."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def start(self, spec: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=False)
        write_lock(self.folder / "run.lock")
        atomic_write_text(self.folder / "spec.json", json.dumps(json_safe(spec), indent=2))
        self._trials = open(self.folder / "trials.jsonl", "a", encoding="utf-8")

    def append(self, record: dict[str, Any]) -> None:
        self._trials.write(json.dumps(json_safe(record)) + "\n")
        self._trials.flush()  # a crash loses no finished trial

    def finish(self, result: dict[str, Any]) -> None:
        if not self._trials.closed:
            self._trials.close()
        atomic_write_text(self.folder / "result.json", json.dumps(result, indent=2))
        try:
            (self.folder / "run.lock").unlink()
        except FileNotFoundError:
            pass


@dataclass
class TuneRecord:
    """A tune folder read back from disk."""

    tune_id: str
    folder: Path

    @property
    def spec(self) -> dict[str, Any]:
        """``{"run_spec": {...}, "search": {...}}`` as written at the start."""
        return _read_json(self.folder / "spec.json") or {}

    @property
    def result(self) -> dict[str, Any] | None:
        return _read_json(self.folder / "result.json")

    def trials(self) -> list[dict[str, Any]]:
        """Finished trials in finishing order (readable while a search runs)."""
        out = []
        try:
            with open(self.folder / "trials.jsonl", "rb") as fh:  # bytes: a torn UTF-8 character is skipped too
                for line in fh:
                    try:
                        trial = json.loads(line.decode("utf-8", errors="replace"))
                    except json.JSONDecodeError:
                        continue  # a torn last line after a crash
                    if isinstance(trial, dict):
                        out.append(trial)
        except FileNotFoundError:
            pass
        return out

    @property
    def damage(self) -> str | None:
        """What makes this search unreadable (one line), or None."""
        for name in ("spec.json", "result.json"):
            try:
                data = _read_json(self.folder / name)
            except ProjectError as exc:
                return str(exc)
            if data is not None and not isinstance(data, dict):
                return f"{name} does not hold a JSON object."
        return None

    @property
    def status(self) -> str:
        if self.damage:
            return DAMAGED
        result = self.result
        if result is not None:
            return result.get("status", "failed")
        return "running" if lock_owner_alive(self.folder / "run.lock") else "interrupted"

    @property
    def created(self) -> float:
        return (self.folder / "spec.json").stat().st_mtime

    def summary(self) -> dict[str, Any]:
        """Id, status, algorithm, metric and best trial (from disk); never raises."""
        damage = self.damage
        if damage:  # listed with the reason; one bad search never hides the others
            return {"tune_id": self.tune_id, "status": DAMAGED, "message": damage, "algorithm": None,
                    "dataset": None, "task": None, "strategy": None, "metric": None, "direction": None,
                    "n_trials": len(self.trials()), "best": None}
        spec = self.spec
        search = spec.get("search", {})
        result = self.result
        trials = result["trials"] if result else self.trials()
        best = result.get("best") if result else best_of(trials, search.get("direction", "max"))
        return {
            "tune_id": self.tune_id,
            "status": self.status,
            "algorithm": spec.get("run_spec", {}).get("algorithm"),
            "dataset": spec.get("run_spec", {}).get("dataset"),
            "task": spec.get("run_spec", {}).get("task"),
            "strategy": search.get("strategy"),
            "metric": search.get("metric"),
            "direction": search.get("direction"),
            "n_trials": len(trials),
            "best": best,
        }


def best_of(trials: list[dict[str, Any]], direction: str) -> dict[str, Any] | None:
    """The best complete trial (``direction`` "max" or "min"); None if none completed."""
    best = None
    for t in trials:
        if t.get("state") == "complete" and t.get("score") is not None:
            if better(t["score"], best["score"] if best else None, direction):
                best = t
    return best


def list_tunes(project: Any) -> list[TuneRecord]:
    """The project's searches, oldest first."""
    root = Path(project.root) / TUNES_DIR
    if not root.is_dir():
        return []
    records = [TuneRecord(p.name, p) for p in root.iterdir() if (p / "spec.json").exists()]
    return sorted(records, key=lambda r: (r.created, r.tune_id))


def load_tune(project: Any, tune_id: str) -> TuneRecord:
    folder = Path(project.root) / TUNES_DIR / tune_id
    if not (folder / "spec.json").exists():
        known = ", ".join(r.tune_id for r in list_tunes(project)) or "(none yet)"
        raise ProjectError(f"No search '{tune_id}' in {project.root}. Searches: {known}.")
    return TuneRecord(tune_id, folder)


def best_run_spec(tune_result: Mapping[str, Any]) -> RunSpec:
    """The RunSpec that trains the best trial as a normal run.

    The base spec of the search (split, seed, preparation, fixed params) with
    the best trial's parameters.  Raises SpecError when no trial completed.
    """
    best = tune_result.get("best")
    if not best:
        raise SpecError("This search has no completed trial to train.")
    base = dict(tune_result["run_spec"])
    base["params"] = {**(tune_result.get("fixed") or {}), **best["params"]}
    return RunSpec.from_dict(base)


def record_trained_run(project: Any, tune_id: str, run_id: str) -> None:
    """Note in the search's result.json that its best trial was trained as ``run_id``."""
    record = load_tune(project, tune_id)
    with project_lock(project.root):  # re-read inside the lock: another writer's change is kept
        result = record.result
        if not result or not result.get("best"):
            return
        result["best"]["run_id"] = run_id
        atomic_write_text(record.folder / "result.json", json.dumps(result, indent=2))


def tune_result_so_far(project_root: Any, job: Any) -> dict[str, Any]:
    """What a search stopped early (Ctrl-C, cancel) left on disk: its finished
    trials and the best of them, shaped like a finished search's result."""
    record = TuneRecord(job.tune_id, Path(project_root) / TUNES_DIR / job.tune_id)
    if record.result is not None:
        return record.result
    search = record.spec.get("search", {})
    trials = record.trials()
    direction = search.get("direction", "max")
    return {
        "tune_id": job.tune_id,
        "status": "cancelled",
        "strategy": job.strategy,
        "algorithm": job.spec.algorithm,
        "metric": search.get("metric"),
        "direction": direction,
        "best": best_of(trials, direction),
        "trials": trials,
    }
