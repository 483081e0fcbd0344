"""The algorithm catalog: every entry, looked up by key.

This is the single source of truth for hyperparameters.  The CLI's
``--param K=V`` parsing and validation, the GUI form, and the tuning search
spaces are all generated from the :class:`ParamSpec` objects of the entries
(declared in ``workbench.engine.learners``, one module per family; their
types are in :mod:`workbench.engine.learners.base`).  The list of entries is
explicit (``learners.ALGORITHMS``), not the side effect of an import order.
"""

from __future__ import annotations

import difflib

from workbench.engine.errors import SpecError
from workbench.engine.learners.base import (  # noqa: F401  (re-exported: the catalog's vocabulary)
    TASKS,
    Algorithm,
    BuildContext,
    Capabilities,
    DataFacts,
    FitData,
    FitInfo,
    ParamKind,
    ParamSpec,
    Task,
    plain_fit,
)

_REGISTRY: dict[str, Algorithm] = {}


def _registry() -> dict[str, Algorithm]:
    # Built on first use: the families import no estimator library at module
    # level (only inside factories and fitters), so this stays cheap and
    # the window shows fast.
    if not _REGISTRY:
        from workbench.engine.learners import ALGORITHMS

        for algorithm in ALGORITHMS:
            if algorithm.key in _REGISTRY:
                raise ValueError(f"duplicate algorithm key {algorithm.key}")
            _REGISTRY[algorithm.key] = algorithm
    return _REGISTRY


def algorithms(task: str | None = None) -> list[Algorithm]:
    """All catalog entries, optionally only those serving ``task``."""
    registry = _registry()
    if task is not None and task not in TASKS:
        raise SpecError(f"Unknown task '{task}': expected one of {', '.join(TASKS)}.")
    return [a for a in registry.values() if task is None or task in a.tasks]


def get_algorithm(key: str) -> Algorithm:
    """The entry for ``key``; a SpecError suggesting close keys otherwise."""
    registry = _registry()
    try:
        return registry[key]
    except KeyError:
        close = difflib.get_close_matches(key, list(registry), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise SpecError(
            f"Unknown algorithm '{key}'.{hint} Run 'workbench algorithms' to list them."
        ) from None


def display_name(key: str) -> str:
    """The entry's human name for ``key``; ``key`` itself for an entry the
    catalog no longer has (an old run folder may name one)."""
    try:
        return get_algorithm(key).name
    except SpecError:
        return key
