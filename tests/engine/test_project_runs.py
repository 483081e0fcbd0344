"""Project folder and run records: what a user sees after crashes and edits."""

import json
import os
import shutil
from pathlib import Path

import pytest

from workbench.engine import Project, ProjectError, RunSpec, TrainJob, DataError
from workbench.engine.jobs.events import Iteration
from workbench.engine.project.runs import RunWriter, finalize_run

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


@pytest.fixture
def penguins(tmp_path):
    dest = tmp_path / "penguins"
    shutil.copytree(SAMPLES / "penguins_sex", dest, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    return Project.open(dest)


def test_init_open_and_refuse_non_project(tmp_path):
    p = Project.init(tmp_path / "p", name="Mine")
    assert Project.open(tmp_path / "p").name == "Mine"
    with pytest.raises(ProjectError, match="already"):
        Project.init(tmp_path / "p")
    with pytest.raises(ProjectError, match="not a workbench project"):
        Project.open(tmp_path)
    assert p.runs() == []


def test_add_dataset_copies_into_project_and_rejects_duplicates(tmp_path):
    src = tmp_path / "outside.csv"
    src.write_text("a,b,y\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(30)))
    p = Project.init(tmp_path / "p")
    entry = p.add_dataset(src)
    assert entry.name == "outside" and entry.rows == 30 and entry.columns == 3
    assert (p.root / entry.path).exists() and entry.path.startswith("data/")
    reopened = Project.open(p.root)
    assert reopened.datasets["outside"].sha256 == entry.sha256
    with pytest.raises(ProjectError, match="already exists"):
        p.add_dataset(src)


def test_failed_add_writes_nothing(tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    p = Project.init(tmp_path / "p")
    before = (p.root / "workbench.toml").read_text()
    with pytest.raises(DataError):
        p.add_dataset(bad)
    assert (p.root / "workbench.toml").read_text() == before
    assert not (p.root / "data").exists() or not any((p.root / "data").iterdir())


def test_interrupted_run_keeps_its_metrics(penguins):
    spec = RunSpec(dataset="penguins", algorithm="xgboost", target="sex")
    folder = penguins.runs_dir / "20260101-000000-xgboost-dead"
    writer = RunWriter(folder, spec)
    writer.append(Iteration(step=7, train={"logloss": 0.3}, valid={"logloss": 0.4}))
    # Simulate a crash: the lock names a process that no longer exists.
    (folder / "run.lock").write_text("999999999")
    record = penguins.run(folder.name)
    assert record.status == "interrupted"
    assert record.metrics["valid_logloss"] == pytest.approx(0.4)
    assert record.metrics["iterations"] == 7
    finalize_run(penguins.root, folder.name, "failed", "worker crashed")
    assert penguins.run(folder.name).status == "failed"


def test_train_writes_a_complete_run_folder(penguins):
    spec = RunSpec(dataset="penguins", algorithm="random_forest", target="sex", params={"n_estimators": 20})
    summary = TrainJob(penguins.root, spec).run()
    assert summary["status"] == "completed"
    assert summary["metrics"]["accuracy"] > 0.75
    record = penguins.run(summary["run_id"])
    assert record.status == "completed"
    for name in ("spec.json", "events.jsonl", "result.json", "model.skops", "model.json"):
        assert (record.folder / name).exists(), name
    assert not (record.folder / "run.lock").exists()
    saved = json.loads((record.folder / "spec.json").read_text())
    assert saved["fingerprint"] == penguins.datasets["penguins"].sha256
    assert saved["task"] == "classification"


def test_bad_target_leaves_no_run_folder(penguins):
    spec = RunSpec(dataset="penguins", algorithm="random_forest", target="sexx")
    with pytest.raises(DataError, match="Did you mean 'sex'"):
        TrainJob(penguins.root, spec).run()
    assert penguins.runs() == []


def test_delete_and_label_run(penguins):
    spec = RunSpec(dataset="penguins", algorithm="naive_bayes", target="sex")
    run_id = TrainJob(penguins.root, spec).run()["run_id"]
    penguins.rename_run(run_id, "baseline")
    assert penguins.run(run_id).label == "baseline"
    penguins.delete_run(run_id)
    assert penguins.runs() == []


def test_preview_reads_the_first_rows_of_the_cache_and_the_row_count(tmp_path):
    src = tmp_path / "big.csv"
    src.write_text("a,b\n" + "\n".join(f"{i},x{i % 7}" for i in range(5000)))
    p = Project.init(tmp_path / "p")
    p.add_dataset(src, name="big")
    # Adding wrote the cache and remembered the file's fingerprint.
    frame, total = p.preview_dataset("big", rows=100)
    full = p.load_dataset("big")
    assert total == 5000 and len(frame) == 100
    assert list(frame.columns) == ["a", "b"]
    assert frame["a"].tolist() == full["a"].head(100).tolist()
    # The file changes: the cache is stale, so no preview (a preview never
    # hashes or parses the file) until it is loaded again.
    data = p.dataset_path("big")
    data.write_text(data.read_text() + "\n5000,x0")
    os.utime(data, ns=(data.stat().st_atime_ns, data.stat().st_mtime_ns + 10**9))
    assert p.preview_dataset("big") is None


def test_looking_at_a_dataset_again_does_not_hash_its_file(tmp_path, monkeypatch):
    # Opening a dataset in the app (and profiling it) hashed the whole file
    # every time: 0.64 s of a 5M-row open, twice.  A (size, mtime) match in
    # the cache index stands for the hash when the frame is only looked at.
    import workbench.engine.data.loading as loading

    src = tmp_path / "d.csv"
    src.write_text("a,b\n" + "\n".join(f"{i},x{i % 7}" for i in range(500)))
    p = Project.init(tmp_path / "p")
    p.add_dataset(src, name="d")
    hashed = []
    real = loading.fingerprint
    monkeypatch.setattr(loading, "fingerprint", lambda path: (hashed.append(path), real(path))[1])
    assert len(p.load_dataset("d")) == 500
    assert hashed == []
    # A changed file is hashed (and parsed) again; a run's data always is.
    data = p.dataset_path("d")
    data.write_text(data.read_text() + "\n500,x0")
    assert len(p.load_dataset("d")) == 501 and len(hashed) == 1
    p.load_verified("d")
    assert len(hashed) == 2


def _same_size_edit(path: Path, old: bytes, new: bytes) -> None:
    """Edit the file without changing its size, and put the mtime back."""
    st = path.stat()
    data = path.read_bytes()
    assert len(old) == len(new) and data.count(old) >= 1
    path.write_bytes(data.replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_replay_refuses_data_edited_in_place_with_the_mtime_restored(penguins):
    spec = RunSpec(dataset="penguins", algorithm="naive_bayes", target="sex")
    first = penguins.run(TrainJob(penguins.root, spec).run()["run_id"])
    _same_size_edit(penguins.dataset_path("penguins"), b"male", b"mile")
    with pytest.raises(DataError, match="has changed since this spec was recorded"):
        TrainJob(penguins.root, first.spec).run()


def test_a_new_run_records_the_fingerprint_of_the_data_it_trained_on(penguins):
    spec = RunSpec(dataset="penguins", algorithm="naive_bayes", target="sex")
    TrainJob(penguins.root, spec).run()
    path = penguins.dataset_path("penguins")
    _same_size_edit(path, b"Torgersen", b"Torgersun")
    for cached in (penguins.root / ".workbench-cache").glob("*.parquet"):
        cached.unlink()  # the user clears the cached copies
    record = penguins.run(TrainJob(penguins.root, spec).run()["run_id"])
    import hashlib

    assert record.spec.fingerprint == hashlib.sha256(path.read_bytes()).hexdigest()
    # ...and it trained on the edited bytes, not a stale cached copy.
    frame = penguins.load_dataset("penguins", fingerprint=record.spec.fingerprint)
    assert "Torgersun" in set(frame["island"])


@pytest.fixture(scope="module")
def _trained_twice(tmp_path_factory):
    """A project with two finished runs, trained once for the tests that damage one."""
    dest = tmp_path_factory.mktemp("two") / "penguins"
    shutil.copytree(SAMPLES / "penguins_sex", dest, ignore=shutil.ignore_patterns("runs", ".workbench-cache"))
    spec = RunSpec(dataset="penguins", algorithm="naive_bayes", target="sex")
    ids = [TrainJob(dest, spec).run()["run_id"] for _ in range(2)]
    return dest, ids


@pytest.fixture
def two_runs(_trained_twice, tmp_path):
    src, ids = _trained_twice
    dest = tmp_path / "penguins"
    shutil.copytree(src, dest)
    project = Project.open(dest)
    return project, [project.run(i) for i in ids]


@pytest.mark.parametrize("damage", ["result", "spec", "events"])
def test_one_damaged_run_never_hides_the_others(two_runs, damage):
    penguins, (good, bad) = two_runs
    if damage == "result":
        (bad.folder / "result.json").write_text('{"status": "completed", "metr')
    elif damage == "spec":
        (bad.folder / "spec.json").write_bytes(b"\x00\x00garbage")
    else:  # killed mid-write of a multi-byte character, before result.json
        (bad.folder / "result.json").unlink()
        with open(bad.folder / "events.jsonl", "ab") as fh:
            fh.write('{"kind": "log", "message": "café'.encode()[:-1])
    listed = {r.run_id: r.summary() for r in penguins.runs()}
    assert listed[good.run_id]["status"] == "completed"
    if damage == "events":
        assert listed[bad.run_id]["status"] == "interrupted"
    else:
        assert listed[bad.run_id]["status"] == "damaged"
        assert f"{damage}.json is corrupt" in listed[bad.run_id]["message"]
        assert "\n" not in listed[bad.run_id]["message"]
    from workbench.engine.tuning.leaderboard import leaderboard

    assert [row["id"] for row in leaderboard(penguins)] == [good.run_id]


def test_a_reused_pid_does_not_keep_a_dead_run_running(penguins):
    spec = RunSpec(dataset="penguins", algorithm="naive_bayes", target="sex")
    folder = penguins.runs_dir / "20260101-000000-naive_bayes-beef"
    RunWriter(folder, spec)  # this process, alive: running
    assert penguins.run(folder.name).status == "running"
    # The run's process died long ago; its pid now belongs to a process that
    # started after the lock was written (here: this test's own process).
    os.utime(folder / "run.lock", (1e9, 1e9))
    assert penguins.run(folder.name).status == "interrupted"


def test_run_result_reads_old_and_odd_files_and_writes_them_back_unchanged(tmp_path):
    from workbench.engine import RunFolder, RunResult

    old = {"status": "completed", "metrics": {"accuracy": 0.9}, "algorithm": "knn", "timings": "n/a",
           "custom": {"kept": True}}
    r = RunResult.from_dict(old)
    assert r.status == "completed" and r.metrics == {"accuracy": 0.9} and r.timings == {}
    assert r.to_dict() == {"status": "completed", "metrics": {"accuracy": 0.9}, "algorithm": "knn",
                           "timings": {}, "custom": {"kept": True}}
    folder = RunFolder(tmp_path / "runs" / "x")
    folder.path.mkdir(parents=True)
    folder.write_result(r)
    folder.update_result(lambda res: setattr(res, "onnx", {"path": "model.onnx"}))
    back = json.loads(folder.result_path.read_text())
    assert list(back) == ["status", "metrics", "algorithm", "timings", "custom", "onnx"]
    assert folder.read_result().onnx == {"path": "model.onnx"}


def test_a_damaged_search_is_listed_as_such_and_the_leaderboard_still_works(penguins):
    from workbench.engine.tuning.leaderboard import leaderboard
    from workbench.engine.tuning.records import list_tunes

    spec = {"run_spec": {"algorithm": "knn", "dataset": "penguins", "task": "classification"},
            "search": {"strategy": "random", "metric": "accuracy", "direction": "max"}}
    trial = {"number": 3, "state": "complete", "score": 0.8, "params": {"n_neighbors": 7}}
    for tune_id, result in (("good", {"status": "completed", "trials": [trial], "best": trial}), ("bad", None)):
        folder = penguins.root / "tunes" / tune_id
        folder.mkdir(parents=True)
        (folder / "spec.json").write_text(json.dumps(spec))
        (folder / "result.json").write_text(json.dumps(result) if result else '{"status": "comp')
        (folder / "trials.jsonl").write_bytes(json.dumps(trial).encode() + b'\n{"number": 4, "note": "caf\xc3')
    summaries = {r.tune_id: r.summary() for r in list_tunes(penguins)}
    assert summaries["bad"]["status"] == "damaged" and "result.json is corrupt" in summaries["bad"]["message"]
    assert summaries["bad"]["n_trials"] == 1
    assert [row["id"] for row in leaderboard(penguins)] == ["good"]


def test_a_run_lock_is_stamped_with_its_owners_start_time(penguins):
    """The lock carries the owner's start time (this machine's clock), not the file server's write time."""
    spec = RunSpec(dataset="penguins", algorithm="naive_bayes", target="sex")
    folder = penguins.runs_dir / "20260101-000000-naive_bayes-c10c"
    RunWriter(folder, spec)
    import psutil

    assert abs((folder / "run.lock").stat().st_mtime - psutil.Process().create_time()) < 0.01
    assert penguins.run(folder.name).status == "running"


def test_listing_runs_parses_each_run_file_once_until_it_changes(two_runs, monkeypatch):
    # The runs table and tree ask each run for its status, algorithm, metrics
    # and damage: each of those re-read result.json, 2,265 parses (2 s of GUI
    # thread) for 150 runs at every job's start and end.
    import workbench.engine.project.run_folder as run_folder_module

    penguins, (first, _second) = two_runs
    parsed: list[str] = []
    real = run_folder_module.read_json_file
    monkeypatch.setattr(run_folder_module, "read_json_file", lambda path: parsed.append(path.name) or real(path))
    for _ in range(3):
        for record in penguins.runs():
            _ = (record.status, record.algorithm, record.metrics, record.damage, record.result, record.spec)
    assert parsed.count("result.json") == 2 and parsed.count("spec.json") == 2
    # A changed file is read again: the listing never shows a stale state.
    path = first.folder / "result.json"
    data = json.loads(path.read_text())
    data["status"] = "cancelled"
    path.write_text(json.dumps(data))
    assert penguins.run(first.run_id).status == "cancelled"
    path.write_text('{"status": "completed", "metr')
    assert penguins.run(first.run_id).status == "damaged"


def test_listing_runs_checks_each_spec_once_until_it_changes(two_runs, monkeypatch):
    # A run's status checks that its spec parses; listing 200 runs parsed
    # every spec three times (1000 RunSpec.from_dict calls a refresh in the
    # window, at every run's start and end).
    import workbench.engine.project.runs as runs_module

    penguins, (first, _second) = two_runs
    parsed: list[str] = []
    real = runs_module.RunSpec.from_dict
    monkeypatch.setattr(runs_module.RunSpec, "from_dict", classmethod(
        lambda cls, data: parsed.append(data.get("dataset")) or real(data)))
    for _ in range(3):
        for record in penguins.runs():
            assert (record.status, record.damage, record.dataset) == ("completed", None, "penguins")
    assert len(parsed) == 2
    path = first.folder / "spec.json"
    path.write_text(path.read_text().replace('"algorithm"', '"algorithm_"', 1))  # no longer a run spec
    assert penguins.run(first.run_id).status == "damaged"
    assert "not a valid run spec" in penguins.run(first.run_id).damage


@pytest.mark.parametrize("damage", [None, "result", "spec"])
def test_a_runs_overview_says_what_its_properties_say(two_runs, damage):
    # The window's run list reads each run once through overview(); it must
    # never disagree with the record it stands for.
    penguins, (first, _second) = two_runs
    if damage:
        (first.folder / f"{damage}.json").write_text('{"trunc')
    for record in penguins.runs():
        o = record.overview()
        assert (o.run_id, o.label, o.status, o.algorithm, o.damage, o.metrics, o.created, o.onnx_path) == (
            record.run_id, record.label, record.status, record.algorithm, record.damage, record.metrics,
            record.created, record.onnx_path)
        assert o.dataset == ("penguins" if damage != "spec" or record.run_id != first.run_id else None)
    assert {s["status"] for s in (r.summary() for r in penguins.runs())} == ({"completed", "damaged"} if damage
                                                                              else {"completed"})
