"""Jobs as data: the registry of job kinds, and a job's spec on the wire.

A job that may run in another process (a worker of the process executor, a
Dask worker) is *portable*: its class has a ``kind`` name, ``to_dict()``
gives its spec as JSON values and ``from_dict(spec)`` rebuilds it.  It
travels as ``{"kind": ..., "spec": {...}}`` and the receiving side rebuilds
it from :data:`JOB_KINDS`: only the classes named there can ever be built,
from plain data, so a message naming anything else is refused in one line
and nothing a worker receives is unpickled.

The registry names its classes (``"module:Class"``) instead of importing
them: this package sits below the concepts whose jobs it runs (training,
tuning, onnx, ...), like the warm-up list of the process executor.  A test
checks that every entry resolves to a class of that kind and round-trips.

Jobs that hand live Python objects back to their caller (a DataFrame for a
table) are not portable; they run in the caller's process through
:class:`~workbench.engine.jobs.handle.InlineExecutor`.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from workbench.engine.errors import WorkbenchError

__all__ = [
    "JOB_KINDS",
    "DataclassJob",
    "JobKinds",
    "RefusedJob",
    "ENGINE_JOB_KINDS",
    "is_portable",
]

#: Every kind of job that may run in another process: kind -> "module:Class".
JOB_KINDS: dict[str, str] = {
    "train": "workbench.engine.training.job:TrainJob",
    "train-dask": "workbench.engine.training.distributed:DaskXGBoostJob",
    "tune": "workbench.engine.tuning.job:TuneJob",
    "compare": "workbench.engine.compare.job:CompareJob",
    "retrain": "workbench.engine.lifecycle.retrain:RetrainJob",
    "export": "workbench.engine.onnx.job:ExportJob",
    "predict": "workbench.engine.prediction.job:PredictJob",
    "held-out-predictions": "workbench.engine.prediction.job:HeldOutPredictionsJob",
    "profile": "workbench.engine.project.dataset_jobs:ProfileJob",
    "add-dataset": "workbench.engine.project.dataset_jobs:AddDatasetJob",
    "drift": "workbench.engine.monitoring.job:DriftJob",
    "explain": "workbench.engine.explain.job:ExplainJob",
    "diagnose": "workbench.engine.explain.threshold:BinaryDiagnosticsJob",
    "report": "workbench.engine.report.html:ReportJob",
}


class RefusedJob(WorkbenchError):
    """A job message names a kind that is not registered, or its spec cannot be rebuilt."""


class DataclassJob:
    """``to_dict``/``from_dict`` for a job that is a dataclass of JSON values.

    Fields with ``init=False`` (a title made from the others) are not part of
    the spec.  Unknown keys are refused rather than dropped: a spec written
    by a newer version must not run with half its settings.
    """

    kind: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Any:
        names = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        unknown = sorted(set(spec) - names)
        if unknown:
            raise RefusedJob(f"A '{cls.kind}' job has no setting {', '.join(map(repr, unknown))}.")
        return cls(**spec)


def is_portable(job: Any) -> bool:
    """True when ``job`` can travel as data (a registered kind of the engine)."""
    kind = getattr(type(job), "kind", None)
    return isinstance(kind, str) and kind in JOB_KINDS and JOB_KINDS[kind] == _name_of(type(job))


def _name_of(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


class JobKinds:
    """A registry of job kinds: rebuilds jobs from ``{"kind", "spec"}`` messages.

    Parameters
    ----------
    entries : mapping
        kind -> ``"module:Class"`` (or the class itself).
    """

    def __init__(self, entries: Mapping[str, str | type]) -> None:
        self._names: dict[str, str] = {}
        for kind, entry in entries.items():
            self._names[str(kind)] = entry if isinstance(entry, str) else _name_of(entry)

    def extended(self, classes: Iterable[type]) -> "JobKinds":
        """This registry plus ``classes`` (each with its ``kind``), e.g. a test's jobs."""
        entries: dict[str, str | type] = dict(self._names)
        for cls in classes:
            kind = getattr(cls, "kind", None)
            if not isinstance(kind, str) or not kind:
                raise TypeError(f"{cls.__qualname__} has no 'kind' name to register it under.")
            if kind in entries and entries[kind] != _name_of(cls):
                raise TypeError(f"The job kind '{kind}' is already registered for {entries[kind]}.")
            entries[kind] = cls
        return JobKinds(entries)

    @property
    def names(self) -> dict[str, str]:
        """kind -> "module:Class" (plain strings, to hand to a worker)."""
        return dict(self._names)

    def __contains__(self, kind: object) -> bool:
        return kind in self._names

    def resolve(self, kind: str) -> type:
        """The class registered for ``kind`` (imported on first use)."""
        if not isinstance(kind, str) or kind not in self._names:
            raise RefusedJob(f"Refused a job of kind {str(kind)[:80]!r}: not a registered job kind.")
        module_name, _, qualname = self._names[kind].partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if getattr(obj, "kind", None) != kind:
            raise RefusedJob(f"{qualname} does not say it is a '{kind}' job.")
        return obj

    def message(self, job: Any) -> dict[str, Any]:
        """``{"kind", "spec"}`` for ``job``; TypeError if it cannot travel as data."""
        kind = getattr(type(job), "kind", None)
        if not isinstance(kind, str) or kind not in self._names:
            raise TypeError(f"{type(job).__qualname__} is not a registered job kind, so it cannot run "
                            "in another process.")
        if self._names[kind] != _name_of(type(job)):
            raise TypeError(f"The job kind '{kind}' is registered for {self._names[kind]}, "
                            f"not {_name_of(type(job))}.")
        return {"kind": kind, "spec": job.to_dict()}

    def build(self, message: Any) -> Any:
        """Rebuild a job from :meth:`message`'s output (RefusedJob if it cannot be)."""
        if not isinstance(message, dict) or not isinstance(message.get("spec"), dict):
            raise RefusedJob("Refused a job message: it must be {\"kind\": ..., \"spec\": {...}}.")
        cls = self.resolve(message.get("kind"))  # type: ignore[arg-type]
        try:
            return cls.from_dict(message["spec"])  # type: ignore[attr-defined]
        except WorkbenchError:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            raise RefusedJob(f"Refused a '{message['kind']}' job: its spec is not usable ({exc}).") from None


#: The engine's own kinds.
ENGINE_JOB_KINDS = JobKinds(JOB_KINDS)
