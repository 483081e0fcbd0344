"""The one way a front end turns a person's choices into a valid RunSpec.

The GUI's model form, ``workbench train``/``tune`` flags and ``workbench
compare`` all build their RunSpec here, so "what makes a spec complete"
(a dataset, an algorithm, a target unless the run clusters) and how typed
parameter text is read have one owner.  The catalog validates the values;
``RunSpec.validate`` the settings.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from workbench.engine.catalog import Algorithm, get_algorithm
from workbench.engine.errors import SpecError
from workbench.engine.spec import RunSpec, parse_prep_texts


def build_run_spec(
    dataset: str | None,
    algorithm: str | None,
    *,
    target: str | None = None,
    task: str | None = None,
    params: Mapping[str, Any] | None = None,
    param_texts: Sequence[str] = (),
    prep_texts: Sequence[str] = (),
    default_target: str | None = None,
    **settings: Any,
) -> RunSpec:
    """A validated RunSpec; SpecError (a message for a person) otherwise.

    ``params`` are typed values (a form); ``param_texts`` are ``NAME=VALUE``
    strings as typed on a command line, parsed by the catalog; ``prep_texts``
    are ``COLUMN:NAME=VALUE`` per-column preparation settings (``--prep``),
    read by ``ColumnPrep.with_text`` on top of ``settings["preparation"]``.  ``task`` None
    means "inferred from the target when the run starts".  A missing
    ``target`` falls back to ``default_target`` (the project's default for
    this dataset); a clustering run has none.  ``settings`` are the other
    RunSpec fields (``features``, ``ignore``, ``test_size``, ``cv``, ...).
    """
    if not dataset:
        raise SpecError("Choose a dataset first.")
    if not algorithm:
        raise SpecError("Choose an algorithm first (see 'workbench algorithms').")
    entry = get_algorithm(algorithm)
    values = dict(params or {})
    values.update(parse_param_texts(entry, param_texts, task))
    clusters = task == "clustering" or (task is None and "clustering" in entry.tasks)
    if task == "clustering":
        target = None
    elif target is None and not clusters:
        target = default_target
        if target is None:
            raise SpecError("Choose the column to predict (--target on the command line).")
    if prep_texts:
        settings["preparation"] = parse_prep_texts(prep_texts, settings.get("preparation"))
    return RunSpec(dataset=dataset, algorithm=algorithm, target=target, task=task, params=values,
                   **settings).validate()


def parse_param_texts(entry: Algorithm, texts: Sequence[str], task: str | None) -> dict[str, Any]:
    """``NAME=VALUE`` strings -> typed values, each checked by its ParamSpec.

    With the task unknown (inferred later), a name is parsed against a task of
    the family that has it; the values are validated again once the task is
    known.
    """
    parse_task = task or entry.tasks[0]
    out: dict[str, Any] = {}
    for pair in texts:
        name = pair.partition("=")[0].strip()
        tasks = [t for t in entry.tasks if any(p.name == name for p in entry.params_for(t))]
        use = parse_task if parse_task in tasks or not tasks else tasks[0]
        out.update(entry.parse_params([pair], use))
    return out
