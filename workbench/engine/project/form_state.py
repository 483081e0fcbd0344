"""The model form's settings, kept per dataset in the project folder.

A person who set up diamonds (target ``price``, XGBoost, 400 trees, no CV)
and then looked at titanic expects diamonds to come back as they left it,
and titanic not to inherit diamonds' 5-fold CV.  So the form's choices are
saved per dataset in ``forms.json`` beside ``workbench.toml``: plain JSON,
one object per dataset name, readable and diffable like the rest of the
project.  A hand-edited or stale file never stops the app: unknown keys are
ignored and columns that no longer exist are dropped when the state is
applied (the caller knows the columns, this module does not).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from workbench.engine.fsutil import atomic_write_text

FORMS_FILE = "forms.json"
# Column names that say "this is what to predict", in the order they win.
TARGET_NAMES = ("target", "label", "labels", "class", "y", "outcome")


@dataclass
class FormState:
    """What the Model tab holds for one dataset (a RunSpec without the dataset)."""

    target: str | None = None
    task: str = "auto"  # "auto" or a task name
    features: list[str] | None = None  # None: every usable column
    preparation: dict[str, dict[str, Any]] = field(default_factory=dict)  # column -> ColumnPrep fields
    test_size: float = 0.2
    validation_fraction: float = 0.1
    cv: int = 0
    seed: int = 0
    algorithm: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    device: str = "auto"
    ignored_warnings: list[str] = field(default_factory=list)  # "code:column" of profile warnings ignored
    # Not saved: the target was guessed from the column names (the form says so).
    target_guessed: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["target_guessed"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FormState":
        """Tolerant: unknown keys are ignored and wrongly typed ones keep their default."""
        state = cls()
        if not isinstance(data, dict):
            return state
        for f in fields(cls):
            if f.name in data and _fits(f.name, data[f.name], getattr(state, f.name)):
                setattr(state, f.name, data[f.name])
        if state.features is not None:
            state.features = [str(c) for c in state.features]
        return state

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "FormState":
        """The form's settings of a run (``RunSpec.to_dict()``): "Load settings into the form"."""
        data = dict(spec)
        data["task"] = data.get("task") or "auto"
        return cls.from_dict(data)


def _fits(name: str, value: Any, default: Any) -> bool:
    if name == "ignored_warnings":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if name in ("target", "features"):
        return value is None or isinstance(value, str if name == "target" else list)
    if isinstance(value, bool):
        return False  # JSON true is not a number of folds
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def forms_path(project_root: str | os.PathLike) -> Path:
    return Path(project_root) / FORMS_FILE


def _read_all(project_root: str | os.PathLike) -> dict[str, Any]:
    try:
        data = json.loads(forms_path(project_root).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError, OSError):
        return {}  # a broken file costs the remembered settings, never the app
    return data if isinstance(data, dict) else {}


def load_form_state(project_root: str | os.PathLike, dataset: str) -> FormState | None:
    """The saved form of ``dataset``, or None when it was never set up."""
    data = _read_all(project_root).get(dataset)
    return FormState.from_dict(data) if isinstance(data, dict) else None


def save_form_state(project_root: str | os.PathLike, dataset: str, state: FormState) -> None:
    """Store ``state`` for ``dataset``, keeping the other datasets' entries."""
    from workbench.engine.project.lock import project_lock

    with project_lock(project_root):  # re-read inside: another window's entries are kept
        data = _read_all(project_root)
        new = state.to_dict()
        if data.get(dataset) == new:
            return  # unchanged: no write, no churn in a project under git
        data[dataset] = new
        atomic_write_text(forms_path(project_root), json.dumps(data, indent=2, sort_keys=True) + "\n")


def guess_target(columns: list[str]) -> str | None:
    """The column a new dataset most likely predicts (as Create ML guesses).

    A column named like target/label/class/y wins; otherwise the last column,
    the usual place of the label in a published table.
    """
    if not columns:
        return None
    by_name = {str(c).strip().lower(): c for c in columns}
    for name in TARGET_NAMES:
        if name in by_name:
            return str(by_name[name])
    return str(columns[-1])
