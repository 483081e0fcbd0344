"""Run jobs in worker processes, with the same event stream as inline runs.

:class:`ProcessExecutor` runs each job in a warm worker process, so a fit
stuck in a long C call can be stopped, a crashing library cannot take the
application down, and heavy Python work does not stall the GUI through the
GIL.  Cancel sets a flag the job polls; a job that has not stopped after
``cancel_grace`` seconds loses its worker (SIGTERM, then SIGKILL) and a
fresh worker replaces it.  Both executors run jobs inside
:func:`~workbench.engine.jobs.threads.cap_threads` so that concurrent jobs never
oversubscribe the cores.

The job protocol, :class:`JobHandle` and :class:`InlineExecutor` live in
:mod:`workbench.engine.jobs.handle` and are re-exported here.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.util  # registers its exit handler before ours (atexit is LIFO)
import os
import pickle
import signal
import threading
import time
import weakref
from collections import deque
from typing import Any

from workbench.engine.jobs.events import Failure, Log, event_from_dict
from workbench.engine.jobs.handle import (  # noqa: F401 - re-exported: the executors' public API
    CANCELLED_MESSAGE,
    DoneCallback,
    EventCallback,
    InlineExecutor,
    Job,
    JobFailed,
    JobHandle,
    JobState,
    failure_from,
    finalize_if_unfinished,
    finalize_job_run,
    record_job_resources,
)
from workbench.engine.jobs.threads import default_threads_per_job
from workbench.engine.jobs.worker import (  # noqa: F401
    STOP_MESSAGE,
    WORKER_NICENESS,
    death_message,
    SharedCancelToken,
    worker_main,
    job_message,
    load_worker_message,
)

__all__ = [
    "Job",
    "JobState",
    "JobHandle",
    "JobFailed",
    "InlineExecutor",
    "ProcessExecutor",
    "DEFAULT_WARM_IMPORTS",
]

log = logging.getLogger(__name__)

#: Modules a worker imports before it says it is ready, so that a job starts
#: without paying seconds of imports (docs/findings.md: sklearn 1.5 s, xgboost
#: 1.7 s).  Missing ones are skipped.
DEFAULT_WARM_IMPORTS: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "sklearn.base",
    "sklearn.pipeline",
    "sklearn.compose",
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.linear_model",
    "sklearn.ensemble",
    "sklearn.metrics",
    "xgboost",
    "skops.io",
    "workbench.engine.project.folder",
    "workbench.engine.training.job",
    "workbench.engine.training.evaluation",
)


class _Worker:
    """Parent-side record of one worker process (owned by the dispatcher thread)."""

    def __init__(self, mp: Any, threads: int, warm_imports: tuple[str, ...], index: int) -> None:
        self.cancel_flag = mp.RawValue("b", 0)
        self.conn, child_conn = mp.Pipe(duplex=True)
        self.process = mp.Process(
            target=worker_main,
            args=(child_conn, self.cancel_flag, threads, warm_imports, os.getpid()),
            name=f"workbench-worker-{index}",
            # Not daemonic: daemonic processes may not start children, and
            # joblib (n_jobs > 1 in scikit-learn) needs to.
            daemon=False,
        )
        self.process.start()
        child_conn.close()
        self.pid: int = self.process.pid
        self.ready = False
        self.conn_open = True
        self.handle: JobHandle | None = None
        self.sampler: Any = None
        self.cancel_deadline: float | None = None
        self.kill_deadline: float | None = None
        self.next_sample = 0.0
        self.next_memory_check = 0.0
        # Set when the parent stops the worker on purpose: (state, type, message).
        self.stop_reason: tuple[JobState, str, str] | None = None

    def signal_tree(self, sig: int) -> None:
        """Send ``sig`` to the worker and SIGKILL to its children (joblib pools)."""
        import psutil

        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            children = []
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass


_live_executors: "weakref.WeakSet[ProcessExecutor]" = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    # Workers are not daemonic, so stop them before multiprocessing's own
    # exit handler joins (and would wait for) them.
    for executor in list(_live_executors):
        executor.shutdown(wait=True, cancel_jobs=True)


class ProcessExecutor:
    """Runs jobs in warm worker processes; cancels and survives crashes.

    Parameters
    ----------
    max_concurrent : int, optional
        Jobs running at once (default 1: two all-core fits side by side are
        slower than one after the other).  Further jobs queue in FIFO order.
    threads_per_job : int, optional
        Native thread cap per job (default: cores // max_concurrent).
    memory_limit_mb : float, optional
        Resident memory allowed to a worker (its libraries included) while it
        runs a job.  The parent checks it every ``memory_check_interval``
        seconds and kills a worker above it; the job fails with "exceeded the
        memory limit of N MB".
    cancel_grace : float
        Seconds a cancelled job has to stop by itself before its worker is
        terminated.
    warm_imports : tuple of str
        Modules each worker imports before taking jobs.
    sample_interval : float
        Seconds between ResourceSample events of a running job.

    Notes
    -----
    Workers are started with the "spawn" method (never fork: the GUI process
    has Qt threads).  Each worker talks to the parent over its own pipe, not a
    shared queue: a worker killed halfway through a write can then only break
    its own channel.  Events and callbacks are dispatched by one parent
    thread.  A frozen (PyInstaller) application must call
    ``multiprocessing.freeze_support()`` first thing in its entry point.
    A memory limit through RLIMIT_AS is deliberately not used: it limits
    address space, not memory, and CUDA reserves far more address space than
    it uses.
    """

    def __init__(
        self,
        max_concurrent: int | None = None,
        threads_per_job: int | None = None,
        memory_limit_mb: float | None = None,
        *,
        cancel_grace: float = 1.0,
        warm_imports: tuple[str, ...] = DEFAULT_WARM_IMPORTS,
        sample_interval: float = 0.5,
        memory_check_interval: float = 0.2,
    ) -> None:
        self.max_concurrent = max(1, int(max_concurrent or 1))
        self.threads_per_job = threads_per_job or default_threads_per_job(self.max_concurrent)
        self.memory_limit_mb = memory_limit_mb
        self.cancel_grace = float(cancel_grace)
        self.warm_imports = tuple(warm_imports)
        self.sample_interval = float(sample_interval)
        self.memory_check_interval = float(memory_check_interval)
        self._mp = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._pending: deque[tuple[JobHandle, bytes]] = deque()
        self._cancel_requests: list[JobHandle] = []
        self._closing = False
        self._startup_failures = 0
        self._workers: list[_Worker] = []
        self._worker_index = itertools.count(1)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        # The dispatcher thread starts every worker: on Linux a worker's
        # "die with parent" signal is tied to the thread that started it.
        self._thread = threading.Thread(
            target=self._dispatch_loop, name="workbench-job-dispatcher", daemon=True
        )
        _live_executors.add(self)
        self._thread.start()

    # -- public API ---------------------------------------------------------
    def submit(
        self,
        job: Job,
        on_event: EventCallback | None = None,
        on_done: DoneCallback | None = None,
    ) -> JobHandle:
        """Queue ``job``; it starts as soon as a worker is free.

        Raises
        ------
        RuntimeError
            After :meth:`shutdown`.
        TypeError
            When the job cannot be pickled (it must reach another process).
        """
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise TypeError(
                f"The job {getattr(job, 'title', job)!r} cannot be sent to a worker process: {exc}"
            ) from exc
        handle = JobHandle(job, on_event, on_done, self._cancel)
        with self._lock:
            if self._closing:
                raise RuntimeError("The executor has been shut down.")
            self._pending.append((handle, payload))
            self._startup_failures = 0
        self._wake()
        return handle

    def run(self, job: Job, on_event: EventCallback | None = None) -> dict[str, Any]:
        """Submit ``job``, wait, and return its result (raises like ``wait``)."""
        return self.submit(job, on_event).wait()

    def shutdown(self, wait: bool = True, cancel_jobs: bool = False) -> None:
        """Stop taking jobs and stop the workers once the queue is done.

        Parameters
        ----------
        wait : bool
            Block until every job has ended and every worker has exited.
        cancel_jobs : bool
            Cancel queued and running jobs instead of letting them finish.
        """
        with self._lock:
            self._closing = True
            cancelled = [handle for handle, _ in self._pending] if cancel_jobs else []
            if cancel_jobs:
                self._pending.clear()
                self._cancel_requests.extend(w.handle for w in list(self._workers) if w.handle)
        for handle in cancelled:
            handle._finish(JobState.CANCELLED)
        self._wake()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> "ProcessExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(wait=True)

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for diagnostics and tests)."""
        return [w.pid for w in list(self._workers)]

    @property
    def warm(self) -> bool:
        """True once a worker has done its imports and can start a job at once."""
        return any(w.ready for w in list(self._workers))

    # -- requests from other threads ----------------------------------------
    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # already awake (pipe full) or closed after shutdown

    def _cancel(self, handle: JobHandle) -> None:
        with self._lock:
            for i, (queued, _) in enumerate(self._pending):
                if queued is handle:
                    del self._pending[i]
                    break
            else:
                self._cancel_requests.append(handle)
                queued = None
        if queued is not None:
            handle._finish(JobState.CANCELLED)
        else:
            self._wake()

    # -- the dispatcher thread ----------------------------------------------
    def _dispatch_loop(self) -> None:
        try:
            while True:
                with self._lock:
                    closing = self._closing
                    cancels, self._cancel_requests = self._cancel_requests, []
                    idle = not self._pending and not any(w.handle for w in self._workers)
                if closing and idle:
                    break
                if not closing:
                    self._start_workers()
                self._assign_jobs()
                now = time.monotonic()
                for handle in cancels:
                    self._request_cancel(handle, now)
                self._wait_and_handle(self._next_timeout(now))
                now = time.monotonic()
                self._enforce_deadlines(now)
                self._watch_resources(now)
        except Exception:
            log.exception("the job dispatcher failed")
            self._abandon_jobs("Unexpected error: the job runner stopped (see the log).")
        finally:
            self._stop_workers()
            os.close(self._wake_r)
            os.close(self._wake_w)
            _live_executors.discard(self)

    def _start_workers(self) -> None:
        if self._startup_failures >= 3:
            return  # workers die on start; wait for a new submit to retry
        while len(self._workers) < self.max_concurrent:
            self._workers.append(
                _Worker(self._mp, self.threads_per_job, self.warm_imports, next(self._worker_index))
            )

    def _assign_jobs(self) -> None:
        for worker in self._workers:
            free = worker.handle is None and worker.stop_reason is None
            if not (worker.ready and worker.conn_open and free):
                continue
            with self._lock:
                if not self._pending:
                    return
                handle, payload = self._pending.popleft()
            worker.cancel_flag.value = 0
            try:
                worker.conn.send_bytes(job_message(handle.id, payload, handle._job))
            except OSError:
                worker.conn_open = False  # its death is handled via its sentinel
                with self._lock:
                    self._pending.appendleft((handle, payload))
                continue
            worker.handle = handle
            worker.cancel_deadline = worker.kill_deadline = None
            worker.next_sample = time.monotonic() + self.sample_interval
            worker.next_memory_check = time.monotonic()
            try:
                from workbench.engine.jobs.resources import ProcessSampler

                worker.sampler = ProcessSampler(worker.pid)
            except Exception:
                worker.sampler = None
            handle._set_state(JobState.RUNNING)

    def _request_cancel(self, handle: JobHandle, now: float) -> None:
        for worker in self._workers:
            if worker.handle is handle and worker.cancel_deadline is None:
                worker.cancel_flag.value = 1
                worker.cancel_deadline = now + self.cancel_grace
                handle._set_state(JobState.CANCELLING)

    def _next_timeout(self, now: float) -> float | None:
        deadlines = []
        for worker in self._workers:
            if worker.handle is not None:
                deadlines.append(worker.next_sample)
                if self.memory_limit_mb:
                    deadlines.append(worker.next_memory_check)
            for deadline in (worker.cancel_deadline, worker.kill_deadline):
                if deadline is not None:
                    deadlines.append(deadline)
        return max(0.0, min(deadlines) - now) if deadlines else None

    def _wait_and_handle(self, timeout: float | None) -> None:
        waitables: dict[Any, tuple[str, _Worker | None]] = {self._wake_r: ("wake", None)}
        for worker in self._workers:
            if worker.conn_open:
                waitables[worker.conn] = ("conn", worker)
            waitables[worker.process.sentinel] = ("exit", worker)
        ready = multiprocessing.connection.wait(list(waitables), timeout)
        exited = []
        for obj in ready:
            kind, owner = waitables[obj]
            if owner is None:  # the wake pipe
                self._drain_wake_pipe()
            elif kind == "conn":
                self._read_messages(owner)
            else:
                exited.append(owner)
        for worker in exited:
            if worker.conn_open:  # read what it sent before it died
                self._read_messages(worker)
            self._on_worker_exit(worker)

    def _drain_wake_pipe(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _read_messages(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                data = worker.conn.recv_bytes()
                try:
                    message = load_worker_message(data)
                except pickle.UnpicklingError as exc:  # names code, not data: never rebuilt
                    self._refuse_worker(worker, str(exc))
                    return
                self._handle_message(worker, message)
        except Exception:  # EOF, or a message cut short by a kill
            worker.conn_open = False

    def _refuse_worker(self, worker: _Worker, reason: str) -> None:
        """Stop a worker that sent something other than plain data; its job fails."""
        worker.conn_open = False
        if worker.handle is not None and worker.stop_reason is None:
            worker.stop_reason = (
                JobState.FAILED,
                "UnsafeWorkerMessage",
                f"The job's output was refused ({reason}): a job may only report plain data "
                "(numbers, text, lists, dicts).",
            )
        worker.signal_tree(signal.SIGKILL)

    def _handle_message(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            self._startup_failures = 0
            return
        handle = worker.handle
        if handle is None or handle.id != message[1]:
            return
        if kind == "event":
            handle._deliver(event_from_dict(message[2]))
        elif kind == "done":
            _, _, state, result, failure_dict = message
            state = JobState(state)
            failure = event_from_dict(failure_dict) if failure_dict else None
            worker.handle = None
            worker.cancel_deadline = None
            message_text = failure.message if isinstance(failure, Failure) else CANCELLED_MESSAGE
            finalize_if_unfinished(handle._job, state, message_text)
            handle._finish(state, result, failure)  # type: ignore[arg-type]

    def _on_worker_exit(self, worker: _Worker) -> None:
        worker.process.join(timeout=1.0)  # reap it: no zombies
        exitcode = worker.process.exitcode
        worker.conn.close()
        worker.conn_open = False
        self._workers.remove(worker)
        handle = worker.handle
        if not worker.ready:
            self._startup_failures += 1
            if self._startup_failures >= 3:
                self._fail_pending("Could not start a worker process for jobs "
                                   f"(it exited with code {exitcode}).")
        try:
            worker.process.close()
        except ValueError:
            pass
        if handle is None:
            return
        if worker.stop_reason is not None:
            state, error_type, message = worker.stop_reason
        else:
            state = JobState.FAILED
            error_type, message = death_message(exitcode)
        if state is JobState.CANCELLED:
            handle._deliver(Log(level="warning", message=message))
            failure = None
        else:
            failure = Failure(message=message, error_type=error_type)
            handle._deliver(failure)
        finalize_if_unfinished(handle._job, state, message)
        handle._finish(state, None, failure)

    def _fail_pending(self, message: str, error_type: str = "WorkerStartFailed") -> None:
        with self._lock:
            pending, self._pending = list(self._pending), deque()
        for handle, _ in pending:
            self._fail(handle, message, error_type)

    def _abandon_jobs(self, message: str) -> None:
        """After an internal error: refuse new jobs and fail every unfinished one."""
        with self._lock:
            self._closing = True
        self._fail_pending(message, "ExecutorError")
        for worker in self._workers:
            if worker.handle is not None:
                self._fail(worker.handle, message, "ExecutorError")
                worker.handle = None

    @staticmethod
    def _fail(handle: JobHandle, message: str, error_type: str) -> None:
        failure = Failure(message=message, error_type=error_type)
        handle._deliver(failure)
        finalize_job_run(handle._job, "failed", message)
        handle._finish(JobState.FAILED, None, failure)

    def _enforce_deadlines(self, now: float) -> None:
        for worker in self._workers:
            if worker.kill_deadline is not None and now >= worker.kill_deadline:
                worker.signal_tree(signal.SIGKILL)
                worker.kill_deadline = None
            elif (
                worker.cancel_deadline is not None
                and now >= worker.cancel_deadline
                and worker.handle is not None
                and worker.stop_reason is None
            ):
                worker.stop_reason = (
                    JobState.CANCELLED,
                    "",
                    f"Cancelled; the job did not stop within {self.cancel_grace:g} s, "
                    "so its worker process was stopped.",
                )
                worker.signal_tree(signal.SIGTERM)
                worker.kill_deadline = now + 0.5

    def _watch_resources(self, now: float) -> None:
        import psutil

        for worker in self._workers:
            handle = worker.handle
            if handle is None or worker.sampler is None or worker.stop_reason is not None:
                continue
            try:
                if self.memory_limit_mb and now >= worker.next_memory_check:
                    worker.next_memory_check = now + self.memory_check_interval
                    rss = worker.sampler.rss_mb()
                    if rss > self.memory_limit_mb:
                        worker.stop_reason = (
                            JobState.FAILED,
                            "MemoryLimitExceeded",
                            f"The job exceeded the memory limit of {self.memory_limit_mb:g} MB "
                            f"(it used {rss:.0f} MB) and was stopped. Use fewer rows or "
                            "features, a lighter model, or raise the limit.",
                        )
                        worker.signal_tree(signal.SIGKILL)
                        continue
                if now >= worker.next_sample:
                    worker.next_sample = now + self.sample_interval
                    sample = worker.sampler.sample()
                    handle._deliver(sample)
                    record_job_resources(handle._job, sample)
            except psutil.Error:
                pass  # the worker is exiting; its sentinel tells us next

    def _stop_workers(self) -> None:
        for worker in self._workers:
            if worker.ready and worker.conn_open:
                try:
                    worker.conn.send_bytes(STOP_MESSAGE)
                except OSError:
                    pass
            else:
                worker.signal_tree(signal.SIGTERM)  # still importing: nothing to save
        deadline = time.monotonic() + 3.0
        for worker in self._workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                worker.signal_tree(signal.SIGKILL)
                worker.process.join(timeout=2.0)
            worker.conn.close()
            try:
                worker.process.close()
            except ValueError:
                log.warning("worker %s did not exit", worker.pid)
        self._workers.clear()

