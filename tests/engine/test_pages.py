"""numpy's arrays off huge pages in the app's processes (their faults slowed the window: issue 19)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench.engine.jobs.pages import numpy_uses_huge_pages


def _run(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter, without an inherited NUMPY_MADVISE_HUGEPAGE; its output."""
    base = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    return subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


PAGES = "from workbench.engine.jobs.pages import keep_numpy_off_huge_pages as keep, numpy_uses_huge_pages as uses; "


@pytest.fixture(scope="module", autouse=True)
def kernel_can_tell():
    if numpy_uses_huge_pages() is None:
        pytest.skip("the kernel cannot say here (no transparent huge pages, or not Linux)")


def test_the_probe_tells_numpys_default_from_normal_pages():
    assert _run(PAGES + "print(uses())") == "True"  # numpy's default on Linux: huge pages for large arrays
    assert _run(PAGES + "print(uses())", NUMPY_MADVISE_HUGEPAGE="0") == "False"


def test_keeping_numpy_off_huge_pages_works_after_numpy_was_imported():
    assert _run("import numpy; " + PAGES + "before = uses(); keep(); print(before, uses())") == "True False"


def test_a_value_the_user_set_is_kept():
    assert _run(PAGES + "keep(); print(uses())", NUMPY_MADVISE_HUGEPAGE="1") == "True"
