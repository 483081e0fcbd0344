"""What crosses a worker's pipe: one JSON object per message, both ways.

JSON, not pickle: a pickle names callables and unpickling calls them, so the
old pipe needed an allow-list of classes on both ends.  A JSON message can
only ever be numbers, text, lists and dicts; jobs are rebuilt from their
spec by the registry (:mod:`~workbench.engine.jobs.kinds`), events by
:func:`~workbench.engine.jobs.events.event_from_dict`.

numpy scalars and arrays in a job's result or events are sent as numbers
and lists; NaN and infinities as JSON's extensions (``NaN``, ``Infinity``,
which Python reads back as floats).  Anything else is refused: a job may
only report plain data.
"""

from __future__ import annotations

import json
import os
from typing import Any

from workbench.engine.errors import WorkbenchError

__all__ = ["encode", "decode", "NotPlainData"]


class NotPlainData(WorkbenchError, TypeError):
    """A message holds something other than JSON values (and numpy numbers)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"The job's output was refused ({what}): a job may only report plain data "
                         "(numbers, text, lists, dicts).")


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # a numpy scalar: its Python number
    if item is not None and getattr(value, "shape", None) == ():
        return item()
    tolist = getattr(value, "tolist", None)  # a numpy array
    if tolist is not None and getattr(value, "ndim", 0) >= 1:
        return tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise NotPlainData(f"{type(value).__module__}.{type(value).__qualname__} is not plain data")


def encode(message: dict[str, Any]) -> bytes:
    """``message`` as one line of JSON (NotPlainData if it holds other objects)."""
    try:
        return json.dumps(message, default=_plain, separators=(",", ":")).encode("utf-8")
    except NotPlainData:
        raise
    except (TypeError, ValueError) as exc:  # a key that is not text or a number; a circular reference
        raise NotPlainData(str(exc)) from None


def decode(data: bytes) -> dict[str, Any]:
    """A message sent by :func:`encode`; ValueError if it is not a JSON object."""
    message = json.loads(data.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message
