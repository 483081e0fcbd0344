"""The whole headless workflow runs on an air-gapped machine: nothing opens
an IP socket or looks up a host name.

Two variants over the same workflow (data add, profile, train XGBoost and a
scikit-learn model, a few tuning trials, ONNX export, predict natively and
with ``--model`` ONNX) on a copy of a sample project:

* in-process, with packaging/offline_guard.py's audit hook refusing
  AF_INET/AF_INET6 sockets, DNS lookups and urllib requests;
* in a fresh interpreter whose sitecustomize installs the same guard before
  ``workbench`` is imported (so import-time network use counts too, and the
  spawned ProcessExecutor worker inherits it), run inside ``unshare -n`` (an
  empty network namespace: not even native code can reach a network) when
  we are root and the kernel allows it.

AF_UNIX sockets stay allowed on purpose: multiprocessing's pipes to spawned
workers are ``socketpair()``s, which are local.  A test below proves the
guard refuses what it should and allows that.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_projects" / "penguins_sex"


def _copy_sample(dest: Path) -> Path:
    project = dest / "penguins_sex"
    shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    return project


def run_workflow(project: Path, work: Path) -> dict[str, str]:
    """Everything a user does headless, through the real CLI entry point.

    Raises AssertionError naming the first command that failed.  Returns the
    run ids it made.
    """
    from workbench.cli import main
    from workbench.engine import Project

    def cli(*args: object) -> None:
        argv = [str(a) for a in args]
        code = main(argv)
        assert code == 0, f"'workbench {' '.join(argv)}' exited {code}"

    def newest_run(algorithm: str) -> str:
        runs = [r for r in Project.open(project).runs() if r.algorithm == algorithm]
        assert runs, f"no {algorithm} run was recorded"
        return runs[-1].run_id

    extra = work / "penguins_again.csv"
    shutil.copyfile(project / "data" / "penguins.csv", extra)
    cli("data", "add", project, extra, "--name", "again")
    cli("data", "profile", project, "again", "--target", "sex")
    cli("train", project, "penguins", "--target", "sex", "--algorithm", "xgboost",
        "--param", "n_estimators=20", "--threads", "1")
    cli("train", project, "penguins", "--target", "sex", "--algorithm", "logistic_regression", "--threads", "1")
    xgb_run, sk_run = newest_run("xgboost"), newest_run("logistic_regression")
    cli("tune", project, "penguins", "--target", "sex", "--algorithm", "logistic_regression",
        "--strategy", "random", "--trials", "3", "--cv", "2")
    for run_id in (xgb_run, sk_run):
        cli("export", project, run_id)
        assert (project / "runs" / run_id / "model.onnx").is_file()
    cli("predict", project, xgb_run, project / "data" / "penguins.csv", "-o", work / "native.csv")
    cli("predict", "--model", project / "runs" / xgb_run / "model.onnx", project / "data" / "penguins.csv",
        "-o", work / "onnx.csv")
    for out in ("native.csv", "onnx.csv"):
        assert len((work / out).read_text().splitlines()) == 345, out  # header + 344 rows
    return {"xgboost": xgb_run, "logistic_regression": sk_run}


def test_guard_refuses_ip_and_dns_but_allows_local_pipes(offline_guard):
    guard = offline_guard
    with guard.blocked_network() as attempts:
        with pytest.raises(OSError):
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with pytest.raises(OSError):
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        with pytest.raises(OSError):
            socket.getaddrinfo("localhost", 80)
        with pytest.raises(OSError):
            urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)
        # multiprocessing's worker pipes: AF_UNIX, must keep working.
        left, right = socket.socketpair()
        left.sendall(b"ok")
        assert right.recv(2) == b"ok"
        left.close()
        right.close()
    assert len(attempts) == 4
    # Outside the block the process is back to normal.
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()


def test_headless_workflow_opens_no_network_socket(tmp_path, monkeypatch, offline_guard):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    project = _copy_sample(tmp_path)
    guard = offline_guard
    with guard.blocked_network() as attempts:
        runs = run_workflow(project, tmp_path)
    assert not attempts, "the workflow tried to reach the network:\n" + "\n".join(attempts)
    assert set(runs) == {"xgboost", "logistic_regression"}


def _unshare_prefix() -> list[str]:
    """``unshare -n`` when we may create a network namespace, else nothing."""
    tool = shutil.which("unshare")
    if tool is None or os.geteuid() != 0:
        return []
    probe = subprocess.run([tool, "-n", "true"], capture_output=True)
    return [tool, "-n"] if probe.returncode == 0 else []


@pytest.mark.slow
def test_fresh_process_with_workers_and_no_network(tmp_path, offline_guard):
    """Import-time network use, the spawned worker of the ProcessExecutor and
    native code are covered here (the in-process test cannot see them)."""
    project = _copy_sample(tmp_path)
    guard = offline_guard
    site_dir = guard.write_sitecustomize(tmp_path / "site")
    log = tmp_path / "network-attempts.log"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        assert "workbench_offline_guard" in sys.modules, "sitecustomize did not install the guard"
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import test_offline
        project, work = Path({str(project)!r}), Path({str(tmp_path)!r})
        runs = test_offline.run_workflow(project, work)

        # A training job in a worker process (spawn: a fresh interpreter that
        # inherits the guard through sitecustomize).
        from workbench.engine import ProcessExecutor, RunSpec, TrainJob
        spec = RunSpec(dataset="penguins", algorithm="random_forest", target="sex",
                       params={{"n_estimators": 10}}, n_threads=1)
        with ProcessExecutor(max_concurrent=1, threads_per_job=1, warm_imports=()) as executor:
            result = executor.run(TrainJob(str(project), spec))
        assert result["status"] == "completed", result
        print("OFFLINE-WORKFLOW-OK", runs, result["run_id"])
        """
    )
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(site_dir), str(REPO)]),
        guard.LOG_ENV: str(log),
        "OMP_NUM_THREADS": "1",
    })
    env.pop("QT_QPA_PLATFORM", None)
    command = _unshare_prefix() + [sys.executable, "-c", script]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    attempts = log.read_text() if log.exists() else ""
    assert not attempts, "the workflow tried to reach the network:\n" + attempts
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "OFFLINE-WORKFLOW-OK" in done.stdout
    assert len(list((project / "runs").glob("*random_forest*"))) == 1
