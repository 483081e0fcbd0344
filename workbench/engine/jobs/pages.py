"""Memory pages of the app's processes: numpy's large arrays on normal 4 KB pages.

numpy asks the kernel for 2 MB pages (``madvise(MADV_HUGEPAGE)``) for every
large array.  While a million-row fit ran, the bursts of huge-page faults
(the end of its data load, its final evaluation) made the window's turns run
10-40x slower on the project's 2-core VM: a 1 ms paint took 20-40 ms.  With
numpy's arrays on normal pages in the window's process and in its workers,
the median worst GUI stall of a 1M-row fit fell from 120 ms to 16 ms (107 ms
with the workers alone on normal pages), and the fit was not slower
(bench/gui_responsiveness.py; bench/RESULTS.md, docs/findings.md).  Why the
faults slow another process's thread is not settled (this VM: Firecracker,
THP "madvise", free-page reporting); the measured effect is.
"""

from __future__ import annotations

import importlib
import os
import sys

__all__ = ["keep_numpy_off_huge_pages", "numpy_uses_huge_pages"]

VARIABLE = "NUMPY_MADVISE_HUGEPAGE"  # numpy reads it when it is imported


def keep_numpy_off_huge_pages() -> None:
    """Keep numpy's arrays in this process and the processes it starts on normal pages.

    A value the user set in the environment is kept.  Call it early: an array
    allocated before keeps its pages.
    """
    os.environ.setdefault(VARIABLE, "0")  # for this process's numpy import, and for children
    if os.environ[VARIABLE] != "0" or "numpy" not in sys.modules:
        return
    # numpy is imported already (an entry point's imports; "spawn" re-imports
    # a parent's __main__ in a worker): the switch numpy's own import sets.
    for where in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            importlib.import_module(where)._set_madvise_hugepage(False)
            return
        except (ImportError, AttributeError):
            continue


def numpy_uses_huge_pages() -> bool | None:
    """Whether numpy asks for huge pages for a new large array in this process.

    Read from the kernel's view of a fresh 64 MB array (``/proc/self/smaps``
    VmFlags ``hg``); None where that cannot be told (not Linux, no THP).
    """
    if not os.path.isdir("/sys/kernel/mm/transparent_hugepage"):
        return None
    import numpy as np

    array = np.ones(8 * 1024 * 1024)
    # numpy advises from the first whole page on: look at the middle.
    address = array.ctypes.data + array.nbytes // 2
    try:
        with open("/proc/self/smaps", encoding="ascii", errors="replace") as f:
            inside = False
            for line in f:
                head = line.split(maxsplit=1)[0] if line.strip() else ""
                if "-" in head and not head.endswith(":"):
                    low, high = (int(part, 16) for part in head.split("-"))
                    inside = low <= address < high
                elif inside and head == "VmFlags:":
                    return "hg" in line.split()[1:]
    except (OSError, ValueError):
        return None
    return None
