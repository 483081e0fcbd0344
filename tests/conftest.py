"""Fixtures shared by the engine, CLI and GUI tests (no Qt imports here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

GUARD_FILE = Path(__file__).resolve().parents[1] / "packaging" / "offline_guard.py"


@pytest.fixture
def offline_guard():
    """packaging/offline_guard.py, loaded once per process by path (it is not
    part of the installed package)."""
    name = "workbench_offline_guard"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GUARD_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
