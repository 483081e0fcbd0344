"""``workbench cluster`` and the ``--executor dask`` flags of train and tune.

``cluster local`` starts a Dask LocalCluster on this machine and prints its
address, for trying the cluster path without a real cluster; ``cluster info``
says what a scheduler has (workers, threads, memory).  Training jobs go to a
cluster through :class:`~workbench.engine.jobs.cluster.DaskExecutor`; a tune
keeps its search here and scores trials on the workers.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from workbench.cli.support import CliError

EXECUTORS = ("local", "process", "dask")


def add_executor_flags(parser: argparse.ArgumentParser) -> None:
    """``--executor`` and ``--scheduler`` (train, tune, compare)."""
    parser.add_argument("--executor", choices=EXECUTORS, default=None,
                        help="where the work runs: this process (local), a worker process (process), "
                             "or a Dask cluster (dask; needs --scheduler or $WORKBENCH_DASK_SCHEDULER)")
    parser.add_argument("--scheduler", metavar="ADDR",
                        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --executor dask)")


def scheduler_address(args: argparse.Namespace) -> str | None:
    """The scheduler to use, or None when the work stays on this machine.

    Raises
    ------
    CliError
        ``--executor dask`` without an address anywhere.
    """
    from workbench.engine import scheduler_from_env

    executor = getattr(args, "executor", None)
    explicit = getattr(args, "scheduler", None)
    if executor in ("local", "process"):
        if explicit:
            raise CliError(f"--scheduler only applies to --executor dask (not {executor}).")
        return None
    if executor == "dask" or explicit:
        address = scheduler_from_env(explicit)
        if not address:
            raise CliError("--executor dask needs --scheduler tcp://HOST:PORT (or WORKBENCH_DASK_SCHEDULER); "
                           "'workbench cluster local' starts one on this machine.")
        return address
    return None


def run_job_on_cluster(job: Any, on_event: Any, address: str) -> Any:
    """Run ``job`` on the cluster at ``address``; Ctrl-C cancels it there."""
    from workbench.cli.support import run_job_on
    from workbench.engine import DaskExecutor

    executor = DaskExecutor(address)
    summary = executor.summary()
    print(f"Running on the Dask cluster at {summary['address']} "
          f"({summary['workers']} workers, {summary['cores']} threads)", file=sys.stderr)
    return run_job_on(executor, job, on_event, cancelling="Cancelling on the cluster…")


# -- workbench cluster ----------------------------------------------------------
def add_parser(sub: Any) -> None:
    cluster = sub.add_parser("cluster", help="start a local Dask cluster, or show what a scheduler has")
    csub = cluster.add_subparsers(dest="cluster_command", metavar="ACTION", required=True)
    s = csub.add_parser("local", help="start a Dask LocalCluster here and print its address (Ctrl-C stops it)")
    s.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    s.add_argument("--threads-per-worker", type=int, default=1, help="threads per worker (default 1)")
    s.add_argument("--memory-limit", default="auto",
                   help="memory per worker, e.g. 1.5GB (default: the machine's memory / workers)")
    s.add_argument("--port", type=int, default=0, help="scheduler port (default: any free port)")
    s.set_defaults(func=cmd_cluster_local)
    s = csub.add_parser("info", help="workers, threads and memory of a scheduler")
    s.add_argument("scheduler", nargs="?", help="address (default: $WORKBENCH_DASK_SCHEDULER)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_cluster_info)


def cmd_cluster_local(args: argparse.Namespace) -> int:
    if args.workers < 1 or args.threads_per_worker < 1:
        raise CliError("--workers and --threads-per-worker must be at least 1.")
    try:
        from distributed import LocalCluster
    except ImportError:
        raise CliError("Dask is not installed: pip install 'workbench[dask]'.") from None
    import dask

    try:
        # A training job that kills its worker (out of memory, a crash) would
        # kill the next one too: fail it at the first death, don't retry it.
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = LocalCluster(
                n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                memory_limit=args.memory_limit, scheduler_port=args.port, dashboard_address=None,
                processes=True, silence_logs=40,
            )
    except (ValueError, TypeError) as exc:
        raise CliError(f"Could not start the local cluster: {exc}") from None
    with cluster:
        print(cluster.scheduler_address, flush=True)
        print(f"Dask LocalCluster with {args.workers} workers × {args.threads_per_worker} threads. "
              f"Use it with: --scheduler {cluster.scheduler_address}  (Ctrl-C stops it)", file=sys.stderr, flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def cmd_cluster_info(args: argparse.Namespace) -> int:
    from workbench.cli.support import print_json
    from workbench.engine import cluster_summary, connect_cluster, scheduler_from_env

    address = scheduler_from_env(args.scheduler)
    if not address:
        raise CliError("cluster info needs a scheduler address (or WORKBENCH_DASK_SCHEDULER).")
    client = connect_cluster(address)
    try:
        summary = cluster_summary(client)
    finally:
        client.close()
    if args.json:
        print_json(summary)
    else:
        gib = summary["memory_bytes"] / 2**30
        print(f"{summary['address']}: {summary['workers']} workers, {summary['cores']} threads, {gib:.1f} GiB")
    return 0

