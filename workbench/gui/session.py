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

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.gui.jobs import DATA_LANE, FunctionJob, JobEntry, JobsModel, JobState
from workbench.gui.project_model import ProjectModel

TASK_CHOICES = ("auto", "classification", "regression", "clustering")


# Rows of the preview shown while a big dataset loads (read from the Parquet
# cache in milliseconds; the table swaps in the whole frame when it arrives).
PREVIEW_ROWS = 1000
# Its own lane, so a preview never waits behind a load or a profile.
PREVIEW_LANE = "preview"
# Targets up to this many rows get their task inferred on the GUI thread
# when no worker has inferred it yet (well under 10 ms); longer ones from
# their first rows until the worker's answer arrives.
SYNC_TASK_ROWS = 100_000
# Form edits are written to the project's forms.json this long after the last
# one (a spin box scrolled through 20 values is one write, not 20).
SAVE_FORM_DELAY_MS = 400


def _infer_task(df: Any, target: str | None) -> str | None:
    if target is None or df is None or target not in df.columns:
        return None
    from workbench.engine import infer_task

    return str(infer_task(df[target]))


def _load_frame(project: Any, name: str, state: Any, ctx: Any) -> tuple[Any, Any, Any, Any]:
    """Worker: the whole frame, its schema, the form state to apply and its target's task.

    ``state`` is the dataset's saved form, or None for a dataset never set
    up: then its target is guessed from the column names (``target_guessed``).
    """
    from workbench.engine import guess_target, infer_schema

    df = project.load_dataset(name, ctx=ctx.sub(0.0, 0.8))
    ctx.check()
    ctx.progress(0.8, "Inferring column types")
    if state.target is not None and state.target not in df.columns:
        state.target = None  # the column went away since the form was saved
    if state.target_guessed:
        state.target = guess_target([str(c) for c in df.columns])
    schema = infer_schema(df)
    ctx.check()
    return df, schema, state, _infer_task(df, state.target)


class Session(QObject):
    """Selected dataset + training choices. See module docstring."""

    datasetChanged = Signal(str)  # name ("" when none); frame not loaded yet
    previewLoaded = Signal()  # ``preview`` (first rows) ready while the frame loads
    frameLoaded = Signal()  # frame + schema ready (the profile follows)
    profileChanged = Signal()  # profile ready, cleared, or being computed (``profiling``)
    loadFailed = Signal(str)  # message for the user
    rolesChanged = Signal()  # target / features / preparation changed
    taskChanged = Signal(str)  # the resolved task
    algorithmChanged = Signal(str)
    paramsChanged = Signal()  # the algorithm's parameters (``params``) changed
    busyChanged = Signal(bool)
    # The whole form was set from a saved state (dataset opened, run's
    # settings loaded): views re-read split, task, algorithm and parameters.
    formRestored = Signal()

    def __init__(self, project: ProjectModel, jobs: JobsModel, parent: QObject | None = None):
        super().__init__(parent)
        self.project = project
        self.jobs = jobs
        self.dataset: str = ""
        self.frame: Any = None
        self.schema: Any = None
        self.profile: dict[str, Any] | None = None  # Profile.to_dict(), made in the worker
        # While the frame loads: its first rows and the total row count.
        self.preview: Any = None
        self.preview_total_rows: int | None = None
        # A profile job for the current frame is queued or running.
        self.profiling: bool = False
        self.profile_error: str = ""
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
        # Profile warnings the person chose to ignore for this dataset ("code:column").
        self.ignored_warnings: set[str] = set()
        # The target was guessed from the column names, not chosen (say so).
        self.target_guessed: bool = False
        # Form state applied when the frame arrives ("Load settings into the form").
        self._pending_state: Any = None
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_FORM_DELAY_MS)
        self._save_timer.timeout.connect(self.save_form)
        self._preview_job: int | None = None
        self._load_job: int | None = None
        self._profile_job: int | None = None
        self._profiled_target: str | None = None
        self._tasks: dict[str, str] = {}  # target -> task inferred by a worker
        project.aboutToChange.connect(self.save_form)
        project.projectChanged.connect(self._on_project_changed)

    # -- dataset -------------------------------------------------------------
    def select_dataset(self, name: str) -> None:
        """Show dataset ``name`` of the open project.

        Three jobs, each emitting when it is done: a preview of the first
        rows (``previewLoaded``, milliseconds, when the project has a fresh
        cache), the whole frame and its schema (``frameLoaded``), then the
        profile (``profileChanged``).  Selecting another dataset cancels the
        jobs of this one, and results of a superseded job are ignored.
        """
        if name == self.dataset and (self.frame is not None or self._pending(self._load_job)):
            return
        self.save_form()  # the dataset left keeps its settings
        self._cancel_dataset_jobs()
        self._clear_dataset(name)
        self.datasetChanged.emit(name)
        self.profileChanged.emit()
        if not name:
            self.busyChanged.emit(False)
            return
        project = self.project.project
        state = self._initial_state(name)
        self.busyChanged.emit(True)
        self._preview_job = self.jobs.submit_job(
            FunctionJob(f"Preview {name}", lambda ctx: project.preview_dataset(name, PREVIEW_ROWS)),
            kind="preview", lane=PREVIEW_LANE, on_done=self._preview_done,
        )
        self._load_job = self.jobs.submit_job(
            FunctionJob(f"Load {name}", lambda ctx: _load_frame(project, name, state, ctx)),
            kind="load", lane=DATA_LANE, on_done=self._loaded,
        )

    def _pending(self, job_id: int | None) -> bool:
        if job_id is None:
            return False
        try:
            return not self.jobs.entry(job_id).state.finished
        except KeyError:
            return False

    def _cancel_dataset_jobs(self) -> None:
        jobs = (self._preview_job, self._load_job, self._profile_job)
        self._preview_job = self._load_job = self._profile_job = None  # their results are ignored
        for job_id in jobs:
            if self._pending(job_id):
                self.jobs.cancel(job_id)

    def _clear_dataset(self, name: str) -> None:
        self.dataset = name
        self.frame = self.schema = self.profile = None
        self.preview = self.preview_total_rows = None
        self.profiling = False
        self.profile_error = ""
        self.target = None
        self.target_guessed = False
        self.features = []
        self.preparation = {}
        self.ignored_warnings = set()
        self._tasks = {}
        self._profiled_target = None

    def _initial_state(self, name: str) -> Any:
        """The form to apply once ``name`` loads: pending, saved, or a fresh one.

        A fresh form never inherits the previous dataset's split, CV, seed or
        algorithm; its target comes from the project's defaults, else it is
        guessed in the worker (``target_guessed``).
        """
        from workbench.engine import FormState, load_form_state

        state, self._pending_state = self._pending_state, None
        if state is None and self.project.is_open:
            state = load_form_state(self.project.root, name)
        if state is not None:
            state.target_guessed = False
            return state
        state = FormState(target=self._default_target(name))
        defaults = getattr(self.project.project, "defaults", None)
        if isinstance(defaults, dict) and defaults.get("task") in TASK_CHOICES:
            state.task = str(defaults["task"])
        state.target_guessed = state.target is None
        return state

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

    def _preview_done(self, entry: JobEntry) -> None:
        if entry.job_id != self._preview_job or self.frame is not None:
            return  # superseded, or the whole frame was quicker
        if entry.state != JobState.COMPLETED or entry.value is None:
            return  # no fresh cache: the table waits for the frame
        self.preview, self.preview_total_rows = entry.value
        self.previewLoaded.emit()

    def _loaded(self, entry: JobEntry) -> None:
        if entry.job_id != self._load_job:
            return  # a newer selection superseded this load
        if entry.state != JobState.COMPLETED:
            self.busyChanged.emit(False)
            if entry.state == JobState.FAILED:
                self.loadFailed.emit(entry.error)
            return
        df, schema, state, task = entry.value
        self.frame, self.schema = df, schema
        self.preview = self.preview_total_rows = None
        if state.target is not None and task is not None:
            self._tasks[state.target] = task
        # The views draw the frame with its form already set (target,
        # features), and say "Profiling…" from their first draw: the profile
        # starts at the end of this turn.  Set after the frame's signal, the
        # form made the roles panel fill its lists twice in the same turn.
        self._set_form_state(state)
        self.profiling = True
        self.frameLoaded.emit()
        self._announce_form_state()
        self._start_profile()

    # -- the form's settings, per dataset --------------------------------------------
    def form_state(self) -> Any:
        """The current choices as a FormState (what forms.json keeps for this dataset)."""
        from dataclasses import asdict

        from workbench.engine import FormState

        all_features = [c for c in self.columns() if c != self.target
                        and self.column_kind(c) not in ("id", "text")]
        return FormState(
            target=self.target, task=self.task_choice,
            # None = "every usable column", so columns added to the file later are used too.
            features=None if self.features == all_features else list(self.features),
            preparation={c: asdict(p) for c, p in self.preparation.items()},
            test_size=self.test_size, validation_fraction=self.validation_fraction,
            cv=self.cv, seed=self.seed, algorithm=self.algorithm, params=dict(self.params),
            device=self.device, ignored_warnings=sorted(self.ignored_warnings),
        )

    def apply_form_state(self, state: Any) -> None:
        """Set every choice from ``state``; columns the frame lacks are dropped."""
        self._set_form_state(state)
        self._announce_form_state()

    def _set_form_state(self, state: Any) -> None:
        from workbench.engine import ColumnPrep, WorkbenchError

        columns = self.columns()
        self.task_choice = state.task if state.task in TASK_CHOICES else "auto"
        self.test_size, self.validation_fraction = float(state.test_size), float(state.validation_fraction)
        self.cv, self.seed, self.device = int(state.cv), int(state.seed), state.device
        self.algorithm, self.params = state.algorithm, dict(state.params)
        self.ignored_warnings = set(state.ignored_warnings)
        self.target_guessed = bool(getattr(state, "target_guessed", False)) and state.target is not None
        self.preparation = {}
        for column, prep in (state.preparation or {}).items():
            if column in columns and isinstance(prep, dict):
                try:
                    restored = ColumnPrep(**{**prep, "clip": tuple(prep["clip"]) if prep.get("clip") else None})
                    restored.validate(column)
                except (TypeError, ValueError, WorkbenchError):
                    continue  # a hand-edited entry the engine does not know: keep "auto"
                self.preparation[column] = restored
        self._apply_target(state.target if state.target in columns else None, notify=False)
        if state.features is not None:
            self.features = [c for c in state.features if c in columns and c != self.target]

    def _announce_form_state(self) -> None:
        """Tell the views the whole form was set (``_set_form_state``)."""
        self.rolesChanged.emit()
        self.taskChanged.emit(self.resolved_task())
        self.algorithmChanged.emit(self.algorithm)
        self.formRestored.emit()
        self._save_timer.stop()  # restoring is not an edit

    def form_edited(self) -> None:
        """A choice changed: write the form to the project folder shortly."""
        if self.frame is not None and self.dataset:
            self._save_timer.start()

    def save_form(self) -> None:
        """Write the current dataset's form to forms.json now (if it was edited)."""
        if not self._save_timer.isActive():
            return
        self._save_timer.stop()
        from workbench.engine import WorkbenchError, save_form_state

        if not (self.project.is_open and self.dataset and self.frame is not None):
            return
        try:
            save_form_state(self.project.root, self.dataset, self.form_state())
        except (OSError, WorkbenchError) as exc:  # a read-only project still trains
            self.loadFailed.emit(f"Could not save the form's settings: {exc}")

    def load_settings(self, spec: Any) -> None:
        """Put a run's settings (its RunSpec) into the form, switching to its dataset."""
        from workbench.engine import FormState

        state = FormState.from_spec(spec.to_dict())
        if spec.dataset == self.dataset and self.frame is not None:
            self.apply_form_state(state)
            self.form_edited()
            self.save_form_now()
            return
        self.save_form()
        self._pending_state = state
        if spec.dataset == self.dataset:
            return  # still loading: the state is applied when the frame arrives
        self.select_dataset(spec.dataset)

    def save_form_now(self) -> None:
        self.form_edited()
        self.save_form()

    def _start_profile(self) -> None:
        """Profile the dataset for the current target: a ``ProfileJob`` in the data worker.

        The worker reloads the dataset from the project's cache and sends the
        profile back as its dict (a profile of millions of rows walks every
        column in Python: seconds of GIL the window never holds).  The
        profile is a nicety of the inspector: a dataset whose profiling fails
        still opens, and the inspector says why there is no profile.
        """
        from workbench.engine import ProfileJob

        previous, self._profile_job = self._profile_job, None
        if self._pending(previous):
            self.jobs.cancel(previous)
        df, target = self.frame, self.target

        def done(entry: JobEntry) -> None:
            if entry.job_id != self._profile_job or self.frame is not df:
                return  # superseded by a newer profile or another dataset
            self.profiling = False
            self.busyChanged.emit(False)
            if entry.state == JobState.COMPLETED:
                profile, task = entry.result["profile"], entry.result["task"]
                self.profile_error = ""
                self.profile = profile
                if target is not None and task is not None and self._tasks.get(target) != task:
                    self._tasks[target] = task
                    if target == self.target:
                        self.taskChanged.emit(self.resolved_task())
            elif entry.state == JobState.FAILED:
                self.profile_error = entry.error
            self.profileChanged.emit()

        self._profiled_target = target
        self.profiling = True
        self.profile_error = ""
        self.busyChanged.emit(True)
        self._profile_job = self.jobs.submit_job(
            ProfileJob(str(self.project.root), self.dataset, target),
            kind="profile", lane=DATA_LANE, on_done=done,
        )
        self.profileChanged.emit()

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
        self.target_guessed = False
        self._apply_target(target)
        self.form_edited()
        if self.frame is not None and self.target != self._profiled_target:
            # Imbalance and leakage warnings depend on the target.
            self._start_profile()

    def _apply_target(self, target: str | None, notify: bool = True) -> None:
        if target == "":
            target = None
        self.target = target
        kinds = {c: self.column_kind(c) for c in self.columns()}
        self.features = [c for c in self.columns() if c != target and kinds[c] not in ("id", "text")]
        if notify:
            self.rolesChanged.emit()
            self.taskChanged.emit(self.resolved_task())

    def set_features(self, features: list[str]) -> None:
        self.features = [f for f in features if f != self.target]
        self.rolesChanged.emit()
        self.form_edited()

    def set_preparation(self, column: str, prep: Any | None) -> None:
        if prep is None:
            self.preparation.pop(column, None)
        else:
            self.preparation[column] = prep
        self.rolesChanged.emit()
        self.form_edited()

    def drop_feature(self, column: str) -> None:
        """Leave ``column`` out of the model (a warning's "Drop column")."""
        self.set_features([c for c in self.features if c != column])

    def treats_as_missing(self, column: str, values: list[Any]) -> bool:
        """Whether ``column``'s preparation already counts every one of ``values`` as missing."""
        prep = self.preparation.get(column)
        return prep is not None and all(v in prep.missing_values for v in values)

    def treat_as_missing(self, column: str, values: list[Any], on: bool = True) -> None:
        """A warning's "Treat as missing": ``values`` join (or, ``on=False``, leave) the
        column's ``missing_values`` in the form's preparation, and the column is used."""
        from dataclasses import replace

        from workbench.engine import ColumnPrep

        prep = self.preparation.get(column) or ColumnPrep()
        kept = [v for v in prep.missing_values if v not in values]
        prep = replace(prep, missing_values=kept + list(values) if on else kept)
        if on and column not in self.features and column != self.target:
            # A column of numbers read as text may look like an id or free text (left out by default).
            self.features = [c for c in self.columns() if c in self.features or c == column]
        self.set_preparation(column, None if prep == ColumnPrep() else prep)

    def can_balance_classes(self) -> bool:
        """Whether the chosen algorithm weighs classes (class_weight="balanced", from the catalog)."""
        from workbench.engine import get_algorithm

        try:
            specs = get_algorithm(self.algorithm).params_for("classification") if self.algorithm else []
        except Exception:  # noqa: BLE001 - an unknown key or a regression-only learner: no
            return False
        return any(p.name == "class_weight" and "balanced" in (p.choices or ()) for p in specs)

    def balances_classes(self) -> bool:
        """Whether the form's parameters weigh classes (class_weight="balanced")."""
        return self.params.get("class_weight") == "balanced"

    def balance_classes(self, on: bool = True) -> None:
        """A warning's "Balance classes" (class_weight="balanced"), or its undo (the algorithm's default)."""
        if on and not self.can_balance_classes():
            return
        if on == self.balances_classes():
            return
        params = {k: v for k, v in self.params.items() if k != "class_weight"}
        self.params = {**params, "class_weight": "balanced"} if on else params
        self.formRestored.emit()  # the model form shows the session's parameters again
        self.paramsChanged.emit()
        self.form_edited()

    def ignore_warning(self, key: str) -> None:
        """Hide a profile warning for this dataset ("code:column"), remembered with the form."""
        self.ignored_warnings.add(key)
        self.profileChanged.emit()
        self.form_edited()

    def set_task_choice(self, choice: str) -> None:
        if choice == self.task_choice:
            return
        self.task_choice = choice
        self.taskChanged.emit(self.resolved_task())
        self.form_edited()

    def set_option(self, name: str, value: Any) -> None:
        """Set a split/seed/device/params choice (test_size, validation_fraction, cv, seed, device, params)."""
        if name not in ("test_size", "validation_fraction", "cv", "seed", "device", "params"):
            raise AttributeError(name)
        if getattr(self, name) != value:
            setattr(self, name, value)
            if name == "params":
                self.paramsChanged.emit()
            self.form_edited()

    def resolved_task(self) -> str:
        """The task the run will have: the explicit choice, else inferred from the target.

        Never scans a long column on the GUI thread: workers infer the task
        of the default target (with the load) and of every chosen target
        (with its profile); until then a long target is judged by its first
        rows, and ``taskChanged`` follows when the worker's answer differs.
        """
        if self.task_choice != "auto":
            return self.task_choice
        if self.target is None or self.frame is None:
            return "clustering" if self.frame is not None and self.target is None else "classification"
        task = self._tasks.get(self.target)
        if task is None:
            head = self.frame.iloc[:SYNC_TASK_ROWS]
            task = _infer_task(head, self.target) or "classification"
            if len(self.frame) <= SYNC_TASK_ROWS:
                self._tasks[self.target] = task
        return task

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
        if key == self.algorithm and dict(params or {}) == self.params:
            return
        self.algorithm = key
        self.params = dict(params or {})
        self.algorithmChanged.emit(key)
        self.form_edited()

    # -- spec ---------------------------------------------------------------------
    def build_spec(self) -> Any:
        """The RunSpec for the current choices; raises SpecError if incomplete."""
        from workbench.engine import SpecError, build_run_spec

        task = self.resolved_task()
        if self.dataset and self.algorithm and task != "clustering" and not self.target:
            raise SpecError("Choose a target column (or set the task to clustering).")
        return build_run_spec(
            self.dataset,
            self.algorithm,
            target=self.target if task != "clustering" else None,
            task=None if self.task_choice == "auto" else self.task_choice,
            params=dict(self.params),
            features=list(self.features) if self.frame is not None else None,
            ignore=[c for c in self.columns() if c != self.target and c not in self.features],
            preparation=dict(self.preparation),
            test_size=self.test_size,
            validation_fraction=self.validation_fraction,
            cv=self.cv,
            seed=self.seed,
            device=self.device,
        )

    def _on_project_changed(self) -> None:
        self._save_timer.stop()  # saved on close (see ProjectModel.aboutToClose); never into the next project
        self._pending_state = None
        self._cancel_dataset_jobs()
        self._clear_dataset("")
        self.busyChanged.emit(False)
        self.datasetChanged.emit("")
        self.profileChanged.emit()
        self.rolesChanged.emit()

    # -- training -----------------------------------------------------------------------
    def start_training(self) -> int:
        """Queue a TrainJob for the current choices; returns the job id.

        Raises the engine's SpecError (message for the user) when the choices
        are incomplete or invalid.
        """
        spec = self.build_spec()
        self.save_form_now()  # what was trained is what comes back on reopen
        return self.run_spec(spec)

    def run_spec(self, spec: Any) -> int:
        """Queue a TrainJob for ``spec`` as it is ("Run again" on a run)."""
        from workbench.engine import TrainJob

        job = TrainJob(str(self.project.root), spec)
        self.project.runs_updated_soon()  # the run folder appears as soon as it starts
        return self.jobs.submit_job(job, kind="train", title=job.title, on_done=self._training_done)

    def _training_done(self, entry: JobEntry) -> None:
        self.project.runs_updated_soon()
