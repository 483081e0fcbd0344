"""A run's event log (``events.jsonl``) read back, and the metrics it holds.

Below both :mod:`.run_folder` (which closes a run from its events) and
:mod:`.runs` (which shows them), so neither imports the other.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.engine.jobs.events import Event, Iteration, event_from_dict


def read_events(path: Path) -> list[Event]:
    """Events of a run; a torn last line (crash mid-write) is skipped.

    Read as bytes and decoded per line: a write cut inside a multi-byte
    character must not make the whole file unreadable.
    """
    events: list[Event] = []
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                line = raw.decode("utf-8", errors="replace").strip()
                if not line:
                    continue
                try:
                    events.append(event_from_dict(json.loads(line)))
                except (ValueError, KeyError, TypeError, AttributeError):
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
