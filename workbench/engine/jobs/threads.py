"""Keep every job inside its share of the CPU cores.

Two all-core OpenMP fits side by side on a 2-core machine run 20-50x slower
than one alone (docs/findings.md: HistGradientBoosting 1.2 s alone, 31-63 s beside
another).  Every job therefore runs inside :func:`cap_threads`, which limits
the BLAS and OpenMP pools already loaded (threadpoolctl) and sets the
``*_NUM_THREADS`` variables that libraries loaded *later* (XGBoost imported
lazily by a fitter, joblib/loky child processes) read when they start.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "THREAD_ENV_VARS",
    "cpu_count",
    "default_threads_per_job",
    "thread_env",
    "cap_threads",
    "current_thread_limit",
    "BACKGROUND_NICENESS",
    "lower_thread_priority",
]

# How far below the window's GUI thread background work runs: worker
# processes, and the threads of the window's own local jobs.
BACKGROUND_NICENESS = 10

# Variables read by OpenMP runtimes, the BLAS builds numpy/scipy ship with,
# and numexpr, when they initialise.
THREAD_ENV_VARS: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

# The innermost active limit (None outside cap_threads).  A plain global on
# purpose: the limit is process-wide state (env vars, thread pools), so a
# per-thread view of it would lie.
_limits: list[int] = []


def cpu_count() -> int:
    """Cores this process may run on (CPU affinity aware, at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_threads_per_job(concurrency: int = 1) -> int:
    """Threads each of ``concurrency`` simultaneous jobs may use.

    Parameters
    ----------
    concurrency : int
        How many jobs may run at the same time.

    Returns
    -------
    int
        ``max(1, cpu_count() // concurrency)``.
    """
    return max(1, cpu_count() // max(1, int(concurrency)))


def thread_env(n: int) -> dict[str, str]:
    """The environment variables that cap native thread pools at ``n``."""
    return {name: str(max(1, int(n))) for name in THREAD_ENV_VARS}


def current_thread_limit() -> int | None:
    """The thread cap of the job running now, or None outside :func:`cap_threads`.

    Fitters pass it as ``n_jobs`` / ``nthread`` so that libraries with their
    own thread settings follow the same cap.
    """
    return _limits[-1] if _limits else None


@contextmanager
def cap_threads(n: int, *, set_env: bool = True) -> Iterator[int]:
    """Run a block with native thread pools limited to ``n`` threads.

    Parameters
    ----------
    n : int
        Maximum threads for BLAS and OpenMP (values below 1 mean 1).
    set_env : bool
        Also set the ``*_NUM_THREADS`` variables for the duration, so that
        libraries loaded inside the block and child processes it starts obey
        the cap.  Changing the environment is not safe while other threads
        call ``getenv`` in C; worker processes and the CLI are fine, a GUI
        process running a job in a thread may pass False.

    Yields
    ------
    int
        The effective limit.

    Notes
    -----
    OpenMP limits set through threadpoolctl apply to the *calling* thread, so
    enter this context in the thread that runs the job.
    """
    from threadpoolctl import threadpool_limits  # light, but only jobs need it

    n = max(1, int(n))
    saved: dict[str, str | None] = {}
    if set_env:
        for name, value in thread_env(n).items():
            saved[name] = os.environ.get(name)
            os.environ[name] = value
    _limits.append(n)
    try:
        with threadpool_limits(limits=n):
            yield n
    finally:
        _limits.pop()
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def lower_thread_priority(by: int = BACKGROUND_NICENESS) -> bool:
    """Run the calling thread ``by`` nice levels lower; True if it now does.

    For a thread of the window's process that loads or sorts a frame: on
    2 cores its reads (and the Arrow threads it starts, which inherit its
    nice value) otherwise share the cores equally with the GUI thread.
    Linux only: there a thread has its own nice value; elsewhere
    ``setpriority`` on a thread id would renice the whole process.
    """
    if sys.platform != "linux":
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))
    except OSError:
        return False
    return True
