"""What the ``workbench`` commands share: output formatting and job runners.

The runners turn Ctrl-C into a cancel: in-process with a grace period, or in
a worker process (``train --process``) that can be stopped at any point.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from typing import Any

EXIT_ERROR = 1
EXIT_CANCELLED = 130


# -- argparse value types (shared by every subcommand's parser)
def fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got '{text}'") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return v


def nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return v


def pos_int(text: str) -> int:
    v = nonneg_int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return v


class CliError(Exception):
    """A usage problem found after parsing (one line, exit 1)."""


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, default=_json_default, allow_nan=False)
    sys.stdout.write("\n")


def _json_default(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def clean_nan(obj: Any) -> Any:
    """JSON has no NaN: write null instead."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean_nan(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_nan(v) for v in obj]
    return obj


def format_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(str(c))) for w, c in zip(widths, row)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "-"
    return str(value)


def headline_metric(task: str | None, metrics: dict[str, Any]) -> str:
    """"accuracy 0.9312" for ``workbench runs`` (the metric the window lists a run by too)."""
    from workbench.engine import headline_of

    found = headline_of(task, metrics)
    return f"{found[0]} {found[1]:.4g}" if found else ""


class ProgressPrinter:
    """Turns job events into terse stderr lines (throttled; quiet if not a tty)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last = 0.0

    def __call__(self, event) -> None:
        from workbench.engine import Iteration, Log, Progress

        if isinstance(event, Log):
            # An error ends the command, which prints it once (main); a
            # traceback stays in the run's events.jsonl (and --debug).
            if event.level == "error" or "Traceback (most recent call last)" in event.message:
                return
            if event.level == "warning":
                print(f"warning: {event.message}", file=sys.stderr)
            elif not self.quiet:
                print(event.message, file=sys.stderr)
            return
        if self.quiet:
            return
        now = time.monotonic()
        if isinstance(event, Iteration):
            if now - self._last < 1.0:
                return
            self._last = now
            vals = ", ".join(f"valid {k} {v:.4g}" for k, v in event.valid.items())
            print(f"  iteration {event.step}: {vals}", file=sys.stderr)
        elif isinstance(event, Progress) and self.tty:
            if now - self._last < 0.5 and event.fraction < 1.0:
                return
            self._last = now
            print(f"  {event.fraction:5.0%} {event.message}", file=sys.stderr)


#: Seconds a cancelled in-process job has to stop by itself.  A job inside one
#: long library call (a kernel SVM fit) cannot stop; the command then records
#: the run as cancelled and the process exits without waiting for it
#: (:func:`exit_now`), so Ctrl-C ends the command within about this long.
CANCEL_GRACE_S = 1.0


def exit_now(code: int) -> None:
    """Leave the process at once, after flushing our output.

    After a cancel the run is already recorded (every file is written
    atomically), but a job thread may still be inside a C call, and
    interpreter teardown around it took 1.6-3.6 s and crashed (SIGSEGV) in 3
    of 14 tries; os._exit skips the teardown.  A worker process started by
    the command dies with it (it is tied to its parent).
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def run_job_interruptibly(job, on_event) -> Any:
    """Run ``job`` through an InlineExecutor on a thread; Ctrl-C cancels it and returns promptly.

    The first Ctrl-C cancels the job's handle (it stops at its next
    iteration and records the run as cancelled).  If the job is inside a
    single long library call that cannot be interrupted, we wait at most
    :data:`CANCEL_GRACE_S` seconds, record the run as cancelled ourselves and
    raise Cancelled; the command then exits without waiting for the thread.
    """
    from workbench.engine import Cancelled, InlineExecutor

    n = getattr(getattr(job, "spec", None), "n_threads", None) or os.cpu_count() or 1
    executor = InlineExecutor(threads_per_job=n)
    handle = executor.create(job, on_event)
    worker = threading.Thread(target=executor.execute, args=(handle,), name="workbench-job", daemon=True)
    previous = signal.getsignal(signal.SIGINT)
    interrupted = threading.Event()

    def on_sigint(signum, frame):
        if interrupted.is_set():  # second Ctrl-C: leave now
            raise KeyboardInterrupt
        interrupted.set()
        handle.cancel()
        print("Cancelling… (Ctrl-C again to quit at once)", file=sys.stderr)

    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
            if interrupted.is_set():
                worker.join(CANCEL_GRACE_S)
                if worker.is_alive():
                    _finalize_cancelled(job)
                    raise Cancelled()
                break
    except KeyboardInterrupt:
        _finalize_cancelled(job)
        raise Cancelled() from None
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    return handle_outcome(handle)


def handle_outcome(handle) -> Any:
    """What a finished handle means for a command: its result, or the error to report.

    A job that was cancelled but returned what it had (a search's finished
    trials) gives that result; one that failed in this process raises its own
    exception (the out-of-memory lines of :func:`main` need its type).
    """
    from workbench.engine import JobState

    if handle.state is JobState.CANCELLED and handle.result is not None:
        return handle.result
    if handle.state is JobState.FAILED and handle.exception is not None:
        raise handle.exception
    return handle.wait()


def add_process_flag(parser: argparse.ArgumentParser, what: str) -> None:
    """``--process``: run the command's job in a worker process, as ``train --process`` does."""
    parser.add_argument("--process", action="store_true",
                        help=f"{what} in a worker process: a crash there cannot take the command down, and "
                             "Ctrl-C stops even one long library call within ~2 s")


def job_runner(args) -> Any:
    """The runner a command's flags ask for: a worker process with ``--process``, else inline."""
    return run_job_in_process if getattr(args, "process", False) else run_job_interruptibly


def run_job_in_process(job, on_event) -> Any:
    """Run ``job`` in a worker process; Ctrl-C stops it within ~2 s.

    Unlike :func:`run_job_interruptibly`, this also stops a single long
    library call (a kernel SVM fit has no callback): the worker is asked to
    stop, then terminated, and the run is recorded as cancelled.
    """
    from workbench.engine import ProcessExecutor

    executor = ProcessExecutor(max_concurrent=1, warm_imports=(), cancel_grace=CANCEL_GRACE_S)
    return run_job_on(executor, job, on_event)


def run_job_on(executor: Any, job: Any, on_event: Any, *, cancelling: str = "Cancelling…") -> Any:
    """Submit ``job`` to ``executor`` and wait; Ctrl-C cancels it; the executor is closed after.

    Shared by the worker-process and the Dask cluster paths (any executor
    with ``submit`` and ``shutdown(wait, cancel_jobs)``).
    """
    handle = executor.submit(job, on_event)
    previous = signal.getsignal(signal.SIGINT)
    in_main = threading.current_thread() is threading.main_thread()
    cancelled = threading.Event()

    def on_sigint(signum, frame):
        print(cancelling, file=sys.stderr)
        cancelled.set()
        handle.cancel()
        # Closing now keeps the executor from spawning a replacement for the
        # worker it is about to stop: the command exits at once after the
        # cancel, and a worker still starting up then printed an EOFError.
        executor.shutdown(wait=False, cancel_jobs=True)

    if in_main:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        return handle.wait()
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
        # After a cancel the run is recorded; waiting for the worker's own
        # interpreter teardown would only delay the prompt.
        executor.shutdown(wait=not cancelled.is_set(), cancel_jobs=cancelled.is_set())


def check_output_path(path: str | os.PathLike) -> None:
    """Refuse, before any work, an output file whose folder does not exist.

    Creating folders silently turns a typo into files nobody finds.
    """
    from pathlib import Path

    folder = Path(path).expanduser().parent
    if not folder.is_dir():
        raise CliError(f"the folder {folder} does not exist; create it first or choose another output path.")


def _finalize_cancelled(job) -> None:
    root, run_id = getattr(job, "project_root", None), getattr(job, "run_id", None)
    if root and run_id:
        from workbench.engine import finalize_run

        finalize_run(root, run_id, "cancelled", "Cancelled by the user (Ctrl-C).")


def add_prep_flag(parser: argparse.ArgumentParser) -> None:
    """``--prep COLUMN:NAME=VALUE``: per-column preparation, its names from the engine's PREP_FIELDS."""
    from workbench.engine import PREP_FIELDS

    names = "; ".join(
        f"{f.name} ({'|'.join(f.choices)})" if f.choices else f"{f.name}: {f.help}" for f in PREP_FIELDS)
    parser.add_argument("--prep", action="append", metavar="COL:NAME=VALUE",
                        help=f"per-column preparation (repeatable), e.g. 'age:missing_values=?,0'. NAME: {names}")


def spec_from_args(args, project) -> Any:
    """The RunSpec that ``train`` and ``tune`` describe with their flags."""
    from workbench.engine import build_run_spec

    default = project.defaults.get("target") if args.name == project.defaults.get("dataset") else None
    return build_run_spec(
        args.name,
        args.algorithm,
        target=args.target,
        task=args.task,
        param_texts=args.param or (),
        prep_texts=getattr(args, "prep", None) or (),
        default_target=default,
        features=[c.strip() for c in args.features.split(",")] if args.features else None,
        ignore=args.ignore or [],
        test_size=args.test_size,
        cv=args.cv,
        seed=args.seed,
        device=args.device,
        n_threads=args.threads,
        learning_curve=args.learning_curve,
    )
