"""Run jobs on a Dask cluster, with the same event stream as the local executors.

:class:`DaskExecutor` is the third executor DESIGN.md reserved a seam for:
``submit(job, on_event, on_done) -> JobHandle`` like :class:`InlineExecutor`
and :class:`ProcessExecutor`, so the CLI, the GUI's live view and the jobs
panel work unchanged when the work runs on another machine.

How the job crosses the cluster
    As data: its ``{"kind", "spec"}`` message, rebuilt on the worker from the
    registry of job kinds (:mod:`~workbench.engine.jobs.kinds`), exactly as a
    local worker process rebuilds it.  Dask pickles the task's arguments,
    but they are then only plain JSON values and a table of kind names.

How the stream crosses the cluster
    The job runs on a worker inside :func:`_run_on_worker`.  Its events are
    batched there (at most every ``flush_interval`` seconds, and at the end)
    and put on a ``distributed.Queue`` named after the job; a client-side
    thread takes them off and delivers them to the handle.  One queue put per
    batch, not per event: each put is a round-trip to the scheduler.

How cancel crosses it
    Cancel sets a ``distributed.Variable``; a thread on the worker polls it
    and sets the job's local :class:`CancelToken`, which the job already
    checks at every iteration, fold and trial.  A job stuck in one long
    library call cannot see it: after ``cancel_grace`` seconds the executor
    restarts that worker (its nanny kills the process), as the process
    executor kills its worker.

Faults
    A worker that dies mid-job is reported as such: the run ends ``failed``
    with the reason (Dask's ``KilledWorker``).  An unreachable scheduler is one
    :class:`~workbench.engine.errors.ClusterError` line at construction.

The project folder must be reachable at the same path from the workers
(one machine, or a shared mount): training jobs write their run folder
there, exactly as they do locally.  See docs/scale-out.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from workbench.engine.errors import ClusterError
from workbench.engine.jobs.events import CancelToken, Event, Failure, Log, event_from_dict
from workbench.engine.jobs.handle import (
    CANCELLED_MESSAGE,
    DoneCallback,
    EventCallback,
    Job,
    JobHandle,
    JobState,
    finalize_if_unfinished,
    finalize_job_run,
    execute_job,
)
from workbench.engine.jobs.kinds import ENGINE_JOB_KINDS, JobKinds

__all__ = ["DaskExecutor", "SCHEDULER_ENV", "cluster_summary", "connect", "connect_cluster", "scheduler_from_env"]

log = logging.getLogger(__name__)

#: Environment variable naming the scheduler when ``--scheduler`` is not given.
SCHEDULER_ENV = "WORKBENCH_DASK_SCHEDULER"

#: The first item a worker puts on a job's queue: the job left the queue.
_STARTED = "workbench.started"


def scheduler_from_env(explicit: str | None = None) -> str | None:
    """The scheduler address to use: ``explicit``, else ``$WORKBENCH_DASK_SCHEDULER``."""
    value = (explicit or os.environ.get(SCHEDULER_ENV) or "").strip()
    return value or None


def _check_reachable(address: str, timeout: float) -> None:
    """Fail at once on a refused or unresolvable tcp address (Client retries until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        return  # tls://, inproc://…: let distributed decide
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=min(timeout, 5.0)).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ClusterError(
            f"Could not reach the Dask scheduler at {address} ({reason}). Is it running? "
            "Start one with 'workbench cluster local' or 'dask scheduler'."
        ) from None


def connect(address: str, timeout: float = 10.0) -> Any:
    """A ``distributed.Client`` on ``address``, or one ClusterError line.

    Raises
    ------
    ClusterError
        Dask is not installed, or the scheduler does not answer in time.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(
            "Dask is not installed: pip install 'workbench[dask]' to use a cluster."
        ) from None
    if "://" not in address:
        address = f"tcp://{address}"
    _check_reachable(address, timeout)
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"Could not reach the Dask scheduler at {address} within {timeout:g} s "
            f"({type(exc).__name__}). Is it running? Start one with 'workbench cluster local' "
            "or 'dask scheduler'."
        ) from None


#: The facade's name for :func:`connect`.
connect_cluster = connect


def cluster_summary(client: Any) -> dict[str, Any]:
    """Workers, cores and memory of the cluster behind ``client`` (for the UI)."""
    info = client.scheduler_info(n_workers=-1)
    workers = info.get("workers", {})
    return {
        "address": client.scheduler.address,
        "workers": len(workers),
        "cores": sum(int(w.get("nthreads", 0)) for w in workers.values()),
        "memory_bytes": sum(int(w.get("memory_limit", 0) or 0) for w in workers.values()),
    }


# -- worker side ---------------------------------------------------------------
def _run_on_worker(message: dict[str, Any], job_kinds: dict[str, str], key: str, threads: int | None,
                   flush_interval: float) -> dict[str, Any]:
    """Rebuild the job ``message`` describes and run it on this Dask worker;
    stream its events to the client's queue.

    Returns ``{"state", "result", "failure"}``: how the job ended, as data.
    """
    from distributed import Queue, Variable, get_worker

    job = JobKinds(job_kinds).build(message)  # RefusedJob: the task fails with that line

    worker = get_worker()
    queue = Queue(f"{key}-events")
    cancel_var = Variable(f"{key}-cancel")
    token = CancelToken()
    pending: list[dict[str, Any]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def emit(event: Event) -> None:
        with lock:
            pending.append(event.to_dict())

    def flush() -> None:
        with lock:
            batch = pending[:]
            pending.clear()
        if batch:
            queue.put(batch)

    def pump() -> None:
        # Polls the cancel flag and ships batches; never touches the job.
        while not stop.wait(flush_interval):
            try:
                if not token.cancelled and cancel_var.get(timeout=1):
                    token.cancel()
                flush()
            except Exception:  # a hiccup of the scheduler must not kill the job
                log.debug("event pump hiccup", exc_info=True)

    cap = threads or worker.state.nthreads or 1
    queue.put([{"kind": _STARTED, "worker": worker.address}])
    pumper = threading.Thread(target=pump, name="workbench-dask-pump", daemon=True)
    pumper.start()
    try:
        outcome = execute_job(job, emit, token, cap, set_thread_env=False)
        text = outcome.failure.message if outcome.failure else CANCELLED_MESSAGE
        finalize_if_unfinished(job, outcome.state, text)
    finally:
        stop.set()
        pumper.join()
        flush()
    return {
        "state": outcome.state.value,
        "result": outcome.result,
        "failure": outcome.failure.to_dict() if outcome.failure else None,
        "worker": worker.address,
    }


# -- client side -----------------------------------------------------------------
class DaskExecutor:
    """Runs jobs on a Dask cluster's workers; same handles and events as locally.

    Parameters
    ----------
    scheduler : str or distributed.Client
        The scheduler's address ("tcp://host:8786") or a connected client.
    threads_per_job : int, optional
        Native thread cap per job (default: the worker's thread count).
    cancel_grace : float
        Seconds a cancelled job has to stop by itself before its worker is
        restarted.
    connect_timeout : float
        Seconds to wait for the scheduler before one ClusterError line.
    flush_interval : float
        Seconds between event batches from a worker.
    job_kinds : iterable of classes
        Job classes to accept besides the engine's registered kinds.
    """

    def __init__(
        self,
        scheduler: Any,
        threads_per_job: int | None = None,
        *,
        cancel_grace: float = 3.0,
        connect_timeout: float = 10.0,
        flush_interval: float = 0.1,
        job_kinds: Iterable[type] = (),
    ) -> None:
        self.kinds = ENGINE_JOB_KINDS.extended(job_kinds)
        if isinstance(scheduler, str):
            self.client = connect(scheduler, connect_timeout)
            self._owns_client = True
        else:
            self.client = scheduler
            self._owns_client = False
        self.threads_per_job = threads_per_job
        self.cancel_grace = float(cancel_grace)
        self.flush_interval = float(flush_interval)
        self._lock = threading.Lock()
        self._live: dict[str, tuple[Any, str]] = {}  # handle id -> (future, key)
        self._messages: dict[str, dict[str, Any]] = {}  # handle id -> the job as data, until sent
        self._closing = False

    @property
    def address(self) -> str:
        return str(self.client.scheduler.address)

    def summary(self) -> dict[str, Any]:
        """Workers, cores and memory (see :func:`cluster_summary`)."""
        return cluster_summary(self.client)

    # -- public API ---------------------------------------------------------
    def submit(
        self,
        job: Job,
        on_event: EventCallback | None = None,
        on_done: DoneCallback | None = None,
    ) -> JobHandle:
        """Send ``job`` to the cluster; it starts when a worker is free.

        Returns at once: the round-trips to the scheduler (the job's queue,
        its cancel flag, the task itself) happen on the job's own follower
        thread, so a GUI thread that submits never waits for the network.

        Raises
        ------
        TypeError
            When the job cannot travel as data (not a registered kind).
        """
        if self._closing:
            raise RuntimeError("The executor has been shut down.")
        try:
            message = self.kinds.message(job)
        except TypeError as exc:
            raise TypeError(f"The job {getattr(job, 'title', job)!r} cannot be sent to the cluster: {exc}") from exc
        handle = JobHandle(job, on_event, on_done, self._cancel)
        self._messages[handle.id] = message
        key = f"workbench-{handle.id}-{uuid.uuid4().hex[:8]}"
        with self._lock:
            self._live[handle.id] = (None, key)
        threading.Thread(
            target=self._follow, args=(handle, key),
            name=f"workbench-dask-{handle.id}", daemon=True,
        ).start()
        return handle

    def _send(self, handle: JobHandle, key: str) -> tuple[Any, Any]:
        """Create the job's queue and cancel flag, then its task (in this order: no race)."""
        from distributed import Queue, Variable

        queue = Queue(f"{key}-events", client=self.client)
        Variable(f"{key}-cancel", client=self.client).set(False)
        future = self.client.submit(
            _run_on_worker, self._messages.pop(handle.id), self.kinds.names, key, self.threads_per_job,
            self.flush_interval, key=key, pure=False, retries=0,
        )
        with self._lock:
            self._live[handle.id] = (future, key)
        return future, queue

    def run(self, job: Job, on_event: EventCallback | None = None) -> dict[str, Any]:
        """Submit ``job`` and wait for its result (raises like JobHandle.wait)."""
        return self.submit(job, on_event).wait()

    def shutdown(self, wait: bool = True, cancel_jobs: bool = False) -> None:
        """Stop taking jobs; optionally cancel the running ones; close our client."""
        self._closing = True
        if cancel_jobs:
            for future, key in list(self._live.values()):
                if future is not None:
                    self._set_cancel(key)
                    future.cancel()
        if self._owns_client:
            try:
                self.client.close(timeout=5)
            except Exception:
                log.debug("closing the Dask client failed", exc_info=True)

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel_jobs=True)

    # -- internals ------------------------------------------------------------
    def _set_cancel(self, key: str) -> None:
        from distributed import Variable

        try:
            Variable(f"{key}-cancel", client=self.client).set(True)
        except Exception:
            log.debug("could not set the cancel flag of %s", key, exc_info=True)

    def _cancel(self, handle: JobHandle) -> None:
        with self._lock:
            entry = self._live.get(handle.id)
        if entry is None:
            return
        future, key = entry
        if handle.state is JobState.QUEUED:
            # Not started on a worker yet (or not even sent): it never will be.
            if future is not None:
                future.cancel()
            handle._finish(JobState.CANCELLED)
            return
        handle._set_state(JobState.CANCELLING)
        self._set_cancel(key)
        threading.Thread(
            target=self._escalate, args=(handle, future, key), daemon=True,
            name=f"workbench-dask-cancel-{handle.id}",
        ).start()

    def _escalate(self, handle: JobHandle, future: Any, key: str) -> None:
        # A job inside one long library call never polls its token: restart
        # the worker running it, as the process executor kills its worker.
        deadline = time.monotonic() + self.cancel_grace
        while time.monotonic() < deadline:
            if handle.done() or future.done():
                return
            time.sleep(0.1)
        try:
            who = self.client.who_has([future]).get(key) or ()
            processing = self.client.processing()
            workers = [w for w, keys in processing.items() if key in keys] or list(who)
            future.cancel()
            if workers:
                self.client.restart_workers(workers, timeout=30, raise_for_error=False)
        except Exception:
            log.debug("could not restart the worker of %s", key, exc_info=True)
        finalize_job_run(handle._job, "cancelled", "Cancelled: the worker was restarted to stop it.")
        handle._deliver(Log(message=CANCELLED_MESSAGE, level="warning"))
        handle._finish(JobState.CANCELLED)

    def _drain(self, handle: JobHandle, queue: Any, timeout: float) -> bool:
        """Deliver one batch of events if one arrives within ``timeout``."""
        # A non-blocking batch get, polled: a get that times out is logged as an
        # error by the scheduler, every time.
        batches = queue.get(batch=True)
        if not batches:
            time.sleep(timeout)
            return False
        for item in (item for batch in batches for item in batch):
            if item.get("kind") == _STARTED:
                handle._set_state(JobState.RUNNING)
                continue
            handle._deliver(event_from_dict(item))
        return True

    def _follow(self, handle: JobHandle, key: str) -> None:
        try:
            if handle.done():
                return  # cancelled before it was sent
            future, queue = self._send(handle, key)
            if handle.done():
                future.cancel()
                return
            while not future.done():
                self._drain(handle, queue, 0.25)
            while self._drain(handle, queue, 0.05):
                pass
            self._finish(handle, future)
        except Exception as exc:  # the client lost the scheduler, ...
            self._fail(handle, f"Lost contact with the Dask cluster: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._live.pop(handle.id, None)
            self._messages.pop(handle.id, None)
            self._release(key)

    def _release(self, key: str) -> None:
        from distributed import Variable

        try:
            Variable(f"{key}-cancel", client=self.client).delete()
        except Exception:
            log.debug("could not delete the cancel flag of %s", key, exc_info=True)

    def _fail(self, handle: JobHandle, message: str) -> None:
        failure = Failure(message=message, error_type="ClusterError", traceback="")
        finalize_job_run(handle._job, "failed", message)
        handle._deliver(failure)
        handle._finish(JobState.FAILED, failure=failure)

    def _finish(self, handle: JobHandle, future: Any) -> None:
        if handle.done():
            return
        if future.cancelled():
            handle._finish(JobState.CANCELLED)
            return
        try:
            out = future.result()
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":
                self._fail(handle, "The Dask worker running this job died (out of memory, killed or "
                                   "crashed); the run ended as failed.")
            else:
                self._fail(handle, f"The job failed on the cluster: {type(exc).__name__}: {exc}")
            return
        # The job's own Result / Failure / cancel Log came through the queue.
        state = JobState(out["state"])
        failure = event_from_dict(out["failure"]) if out.get("failure") else None
        handle._finish(state, out.get("result"), failure)  # type: ignore[arg-type]
