"""Concurrent writers and killed writers: a project loses nothing and stays consistent."""

import os
import subprocess
import sys
import time
from pathlib import Path

from workbench.engine import Project
from workbench.engine.fsutil import atomic_write_text, temp_path_for


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workbench.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _csv(path: Path, seed: int) -> Path:
    path.write_text("a,b,y\n" + "\n".join(f"{i + seed},{(i * 7) % 5},{i % 2}" for i in range(60)) + "\n")
    return path


def test_concurrent_data_add_and_train_lose_nothing(tmp_path):
    """5 `data add` then 5 `train` at once on one project: all 5 datasets and 5 runs are there."""
    project = Project.init(tmp_path / "p")
    files = [_csv(tmp_path / f"set{i}.csv", i) for i in range(5)]
    adds = [_cli("data", "add", project.root, f) for f in files]
    outs = [p.communicate(timeout=120) for p in adds]
    assert [p.returncode for p in adds] == [0] * 5, outs
    datasets = Project.open(project.root).datasets
    assert sorted(datasets) == [f"set{i}" for i in range(5)]
    assert all((project.root / d.path).is_file() for d in datasets.values())
    assert sorted(p.name for p in (project.root / "data").iterdir()) == [f"set{i}.csv" for i in range(5)]

    trains = [_cli("train", project.root, f"set{i}", "--target", "y", "--algorithm", "logistic_regression",
                   "--no-learning-curve") for i in range(5)]
    outs = [p.communicate(timeout=300) for p in trains]
    assert [p.returncode for p in trains] == [0] * 5, outs
    runs = Project.open(project.root).runs()
    assert len(runs) == 5 and {r.status for r in runs} == {"completed"}
    assert sorted(r.spec.dataset for r in runs) == [f"set{i}" for i in range(5)]


def test_stale_project_copy_does_not_clobber_another_writer(tmp_path):
    """A Project opened before another process added a dataset keeps that dataset when it writes."""
    first = Project.init(tmp_path / "p")
    second = Project.open(first.root)  # e.g. the GUI, open for hours
    first.add_dataset(_csv(tmp_path / "one.csv", 1))
    second.add_dataset(_csv(tmp_path / "two.csv", 2))
    second.rename_dataset("two", "deux")
    assert sorted(Project.open(first.root).datasets) == ["deux", "one"]


def test_unregistered_leftover_of_killed_add_is_adopted(tmp_path):
    """kill -9 after the copy left data/big.csv unregistered: adding it again works and lists it."""
    src = _csv(tmp_path / "big.csv", 0)
    project = Project.init(tmp_path / "p")
    (project.root / "data").mkdir()
    (project.root / "data" / "big.csv").write_bytes(src.read_bytes())  # the leftover
    entry = project.add_dataset(src)
    assert entry.path == "data/big.csv"
    assert sorted(p.name for p in (project.root / "data").iterdir()) == ["big.csv"]
    assert list(Project.open(project.root).datasets) == ["big"]


def test_a_users_own_file_in_data_is_never_overwritten(tmp_path):
    src = _csv(tmp_path / "big.csv", 0)
    project = Project.init(tmp_path / "p")
    (project.root / "data").mkdir()
    mine = project.root / "data" / "big.csv"
    mine.write_text("x\n1\n")
    entry = project.add_dataset(src, name="other")
    assert mine.read_text() == "x\n1\n"
    assert (project.root / entry.path).read_bytes() == src.read_bytes()


def test_stale_temp_files_are_swept_when_the_project_opens(tmp_path):
    project = Project.init(tmp_path / "p")
    (project.root / "data").mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = project.root / "data" / f".big.csv.{dead}-0badf00d.wbtmp"
    stale.write_bytes(b"x" * 1000)
    mine = temp_path_for(project.root / "data" / "big.csv")  # a live writer's (this process)
    mine.write_bytes(b"y")
    old_style = project.root / ".workbench-cache"
    old_style.mkdir()
    legacy = old_style / ".abc.parquet.tmp"
    legacy.write_bytes(b"z")
    os.utime(legacy, (time.time() - 86400, time.time() - 86400))
    users = project.root / "data" / "notes.tmp"
    users.write_text("mine")
    (project.runs_dir / "r1").mkdir()
    half_model = project.runs_dir / "r1" / f".model.skops.{dead}-0badf00d.wbtmp"
    half_model.write_bytes(b"m" * 1000)
    Project.open(project.root)
    assert not stale.exists() and not legacy.exists() and not half_model.exists()
    assert mine.exists() and users.exists()


def test_atomic_writes_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
        assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "a.json", 0o640)
        atomic_write_text(tmp_path / "a.json", "{}")  # a replaced file keeps its mode
        assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_kill_9_at_any_moment_of_data_add_leaves_a_consistent_project(tmp_path):
    """Killed at random moments: registered files exist, no temp file survives an open, re-adding works."""
    import random
    import signal

    src = tmp_path / "big.csv"
    src.write_text("a,b,y\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(300_000)))  # ~4 MB
    project = Project.init(tmp_path / "p")
    rng = random.Random(12)
    for delay in sorted(rng.uniform(0.3, 4.0) for _ in range(3)):
        proc = _cli("data", "add", project.root, src)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        reopened = Project.open(project.root)  # sweeps what the kill left
        leftovers = [p.name for p in reopened.root.rglob("*.wbtmp")]
        assert leftovers == []
        for entry in reopened.datasets.values():
            assert (reopened.root / entry.path).is_file()
        if reopened.datasets:
            reopened.remove_dataset("big")
    entry = Project.open(project.root).add_dataset(src)  # never "already exists"
    assert entry.path == "data/big.csv" and list(Project.open(project.root).datasets) == ["big"]
