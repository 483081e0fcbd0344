"""The working state between "pick a dataset" and "train": a Qt model.

``Session`` holds the selected dataset (frame, schema, profile) and the
choices a person makes before training — target, features, per-column
preparation, split, task, algorithm, parameters, device — and builds the
engine's ``RunSpec`` from them.  The inspector, the roles panel and the
model form all take this one object and listen to its signals, so they never
need to know about each other.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from .jobs import DATA_LANE, FunctionJob, JobEntry, JobsModel, JobState
from .project_model import ProjectModel

TASK_CHOICES = ("auto", "classification", "regression", "clustering")


def _schema_and_profile(df: Any, target: str | None, ctx: Any) -> tuple[Any, Any]:
    """Schema and profile of ``df``; (None, None) parts when the engine lacks them.

    The profile is a nicety of the inspector: a dataset whose profiling fails
    must still open (the failure is logged in the job's events).
    """
    import workbench.engine as engine

    from workbench.engine import WorkbenchError

    schema = profile = None
    try:
        schema = engine.infer_schema(df)
    except (ImportError, AttributeError):
        return None, None
    try:
        profile = engine.profile_dataset(df, schema, target=target, ctx=ctx)
    except (ImportError, AttributeError):
        pass
    except WorkbenchError as exc:
        ctx.warn(f"Profile unavailable: {exc}")
    return schema, profile


class Session(QObject):
    """Selected dataset + training choices. See module docstring."""

    datasetChanged = Signal(str)  # name ("" when none); frame not loaded yet
    frameLoaded = Signal()  # frame + schema ready
    profileChanged = Signal()  # profile ready (or cleared)
    loadFailed = Signal(str)  # message for the user
    rolesChanged = Signal()  # target / features / preparation changed
    taskChanged = Signal(str)  # the resolved task
    algorithmChanged = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, project: ProjectModel, jobs: JobsModel, parent: QObject | None = None):
        super().__init__(parent)
        self.project = project
        self.jobs = jobs
        self.dataset: str = ""
        self.frame: Any = None
        self.schema: Any = None
        self.profile: Any = None
        self.target: str | None = None
        self.features: list[str] = []
        self.preparation: dict[str, Any] = {}
        self.task_choice: str = "auto"
        self.test_size: float = 0.2
        # Share of the training part held out for live validation curves and
        # early stopping (used by iterative learners only).
        self.validation_fraction: float = 0.1
        self.cv: int = 0
        self.seed: int = 0
        self.algorithm: str = ""
        self.params: dict[str, Any] = {}
        self.device: str = "auto"
        self._load_job: int | None = None
        self._profile_job: int | None = None
        self._profiled_target: str | None = None
        project.projectChanged.connect(self._on_project_changed)

    # -- dataset -------------------------------------------------------------
    def select_dataset(self, name: str) -> None:
        """Load dataset ``name`` of the open project in a worker, then profile it."""
        if name == self.dataset and self.frame is not None:
            return
        self.dataset = name
        self.frame = self.schema = self.profile = None
        self.target = None
        self.features = []
        self.preparation = {}
        self.datasetChanged.emit(name)
        self.profileChanged.emit()
        if not name:
            return
        project = self.project.project
        default_target = self._default_target(name)

        def load(ctx):
            df = project.load_dataset(name, ctx=ctx.sub(0.0, 0.5))
            ctx.check()
            target = default_target if default_target in df.columns else None
            schema, profile = _schema_and_profile(df, target, ctx.sub(0.5, 1.0))
            return df, schema, profile, target

        self.busyChanged.emit(True)
        self._load_job = self.jobs.submit_job(
            FunctionJob(f"Load {name}", load), kind="load", lane=DATA_LANE, on_done=self._loaded
        )

    def _default_target(self, name: str) -> str | None:
        # A project may suggest a target for a dataset (workbench.toml defaults).
        entry = self.project.datasets().get(name)
        for attr in ("target", "default_target"):
            value = getattr(entry, attr, None)
            if value:
                return str(value)
        defaults = getattr(self.project.project, "defaults", None)
        if isinstance(defaults, dict) and defaults.get("target"):
            return str(defaults["target"])
        return None

    def _loaded(self, entry: JobEntry) -> None:
        if entry.job_id != self._load_job:
            return  # a newer selection superseded this load
        self.busyChanged.emit(False)
        if entry.state != JobState.COMPLETED:
            if entry.state == JobState.FAILED:
                self.loadFailed.emit(entry.error)
            return
        df, schema, profile, target = entry.result
        self.frame, self.schema, self.profile = df, schema, profile
        self._profiled_target = target
        self.frameLoaded.emit()
        self.profileChanged.emit()
        self.set_target(target)

    def column_kind(self, column: str) -> str:
        if self.schema is None:
            return ""
        try:
            return str(self.schema[column].kind)
        except Exception:  # noqa: BLE001 - schema shapes differ; kind is a hint only
            return ""

    # -- roles ----------------------------------------------------------------
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns] if self.frame is not None else []

    def set_target(self, target: str | None) -> None:
        if target == "":
            target = None
        self.target = target
        kinds = {c: self.column_kind(c) for c in self.columns()}
        self.features = [c for c in self.columns() if c != target and kinds[c] not in ("id", "text")]
        self.rolesChanged.emit()
        self.taskChanged.emit(self.resolved_task())
        if self.frame is not None and target != self._profiled_target:
            self._reprofile()

    def _reprofile(self) -> None:
        """Profile again for the new target (imbalance and leakage warnings depend on it)."""
        df, target = self.frame, self.target

        def profile(ctx):
            return _schema_and_profile(df, target, ctx)

        def done(entry: JobEntry) -> None:
            if entry.job_id != self._profile_job or entry.state != JobState.COMPLETED or self.frame is not df:
                return
            self.schema, self.profile = entry.result
            self._profiled_target = target
            self.profileChanged.emit()

        self._profiled_target = target
        self._profile_job = self.jobs.submit_job(
            FunctionJob(f"Profile {self.dataset}", profile), kind="profile", lane=DATA_LANE, on_done=done
        )

    def set_features(self, features: list[str]) -> None:
        self.features = [f for f in features if f != self.target]
        self.rolesChanged.emit()

    def set_preparation(self, column: str, prep: Any | None) -> None:
        if prep is None:
            self.preparation.pop(column, None)
        else:
            self.preparation[column] = prep
        self.rolesChanged.emit()

    def set_task_choice(self, choice: str) -> None:
        self.task_choice = choice
        self.taskChanged.emit(self.resolved_task())

    def resolved_task(self) -> str:
        """The task the run will have: the explicit choice, else inferred from the target."""
        if self.task_choice != "auto":
            return self.task_choice
        if self.target is None or self.frame is None:
            return "clustering" if self.frame is not None and self.target is None else "classification"
        try:
            from workbench.engine import infer_task

            return str(infer_task(self.frame[self.target]))
        except Exception:  # noqa: BLE001 - fall back to a simple rule of thumb
            s = self.frame[self.target]
            numeric = str(s.dtype).startswith(("int", "float", "uint", "Int", "Float"))
            return "regression" if numeric and s.nunique() > 20 else "classification"

    # -- algorithm --------------------------------------------------------------
    def algorithm_is_iterative(self) -> bool:
        """Whether the chosen algorithm reports per-iteration validation metrics."""
        from workbench.engine import WorkbenchError, get_algorithm

        if not self.algorithm:
            return False
        try:
            return bool(get_algorithm(self.algorithm).capabilities.iterative)
        except WorkbenchError:
            return False

    def set_algorithm(self, key: str, params: dict[str, Any] | None = None) -> None:
        self.algorithm = key
        self.params = dict(params or {})
        self.algorithmChanged.emit(key)

    # -- spec ---------------------------------------------------------------------
    def build_spec(self) -> Any:
        """The RunSpec for the current choices; raises SpecError if incomplete."""
        from workbench.engine import RunSpec, SpecError

        if not self.dataset:
            raise SpecError("Select a dataset first.")
        if not self.algorithm:
            raise SpecError("Choose an algorithm first.")
        task = self.resolved_task()
        if task != "clustering" and not self.target:
            raise SpecError("Choose a target column (or set the task to clustering).")
        ignore = [c for c in self.columns() if c != self.target and c not in self.features]
        spec = RunSpec(
            dataset=self.dataset,
            algorithm=self.algorithm,
            target=self.target if task != "clustering" else None,
            task=None if self.task_choice == "auto" else self.task_choice,
            params=dict(self.params),
            features=list(self.features) if self.frame is not None else None,
            ignore=ignore,
            preparation=dict(self.preparation),
            test_size=self.test_size,
            validation_fraction=self.validation_fraction,
            cv=self.cv,
            seed=self.seed,
            device=self.device,
        )
        return spec.validate()

    def _on_project_changed(self) -> None:
        self.dataset = ""
        self.frame = self.schema = self.profile = None
        self.target = None
        self.features = []
        self.preparation = {}
        self.datasetChanged.emit("")
        self.profileChanged.emit()
        self.rolesChanged.emit()

    # -- training -----------------------------------------------------------------------
    def start_training(self) -> int:
        """Queue a TrainJob for the current choices; returns the job id.

        Raises the engine's SpecError (message for the user) when the choices
        are incomplete or invalid.
        """
        from workbench.engine import TrainJob

        spec = self.build_spec()
        job = TrainJob(str(self.project.root), spec)
        self.project.runs_updated()  # the run folder appears as soon as it starts
        return self.jobs.submit_job(job, kind="train", title=job.title, on_done=self._training_done)

    def _training_done(self, entry: JobEntry) -> None:
        self.project.runs_updated()
