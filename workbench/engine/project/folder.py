"""The project folder: ``workbench.toml``, datasets and runs.

A project is a folder a person can read, diff and put in git::

    my-project/
      workbench.toml        name, datasets (path relative to the project, sha256)
      data/                 datasets copied in by ``data add``
      runs/<run-id>/        one folder per run (see runs.py)
      .workbench-cache/     Parquet copies of datasets for fast reloads (safe to delete)
      .workbench.lock       held while a process rewrites a project file (see lock.py)

Every read-modify-write of a project file happens under :func:`project_lock`
and re-reads the file inside it, so concurrent writers (two terminals, the
GUI and the CLI) lose nothing.  Temp files have recognisable names
(:mod:`workbench.engine.fsutil`) and stale ones are swept when a project opens.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import tomli_w

from workbench.engine.errors import DataError, ProjectError
from workbench.engine.fsutil import atomic_write_text, copy_and_hash, sweep_stale_temps, temp_path_for
from workbench.engine.project.lock import project_lock
from workbench.engine.project.run_folder import RUNS_DIR, RunFolder
from workbench.engine.project.runs import RunRecord

PROJECT_FILE = "workbench.toml"
CACHE_DIR = ".workbench-cache"
FORMAT = 1
# Project roots whose run folders this process has swept (see sweep_leftovers).
_RUNS_SWEPT: set[str] = set()
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class DatasetEntry:
    name: str
    path: str  # relative to the project root when inside it, else absolute
    sha256: str
    rows: int | None = None
    columns: int | None = None

    def to_toml(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "sha256": self.sha256}
        if self.rows is not None:
            d["rows"] = self.rows
        if self.columns is not None:
            d["columns"] = self.columns
        return d


def _read_config(file: Path) -> dict[str, Any]:
    try:
        config = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{file} is missing; is {file.parent} still a workbench project?") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{file} is not valid TOML: {exc}.") from None
    if config.get("format", FORMAT) > FORMAT:
        raise ProjectError(
            f"{file} was written by a newer workbench (format {config['format']}); upgrade to open it."
        )
    config.setdefault("datasets", {})
    config.setdefault("defaults", {})
    return config


def _read_index(index_file: Path) -> dict[str, Any]:
    try:
        index = json.loads(index_file.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return index if isinstance(index, dict) else {}


def _clean_name(stem: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_.-") or "dataset"
    return name[:64]


class Project:
    """A project folder. Open with :meth:`open`, create with :meth:`init`."""

    def __init__(self, root: Path, config: dict[str, Any]) -> None:
        self.root = root
        self._config = config

    # -- lifecycle -------------------------------------------------------
    @classmethod
    def init(cls, path: str | os.PathLike, name: str | None = None) -> "Project":
        root = Path(path).expanduser().resolve()
        if (root / PROJECT_FILE).exists():
            raise ProjectError(f"{root} is already a workbench project.")
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root} exists and is not a folder.")
        root.mkdir(parents=True, exist_ok=True)
        (root / "runs").mkdir(exist_ok=True)
        config = {"name": name or root.name, "format": FORMAT, "defaults": {}, "datasets": {}}
        project = cls(root, config)
        with project_lock(root):
            if (root / PROJECT_FILE).exists():
                raise ProjectError(f"{root} is already a workbench project.")
            project._save()
        return project

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Project":
        root = Path(path).expanduser().resolve()
        file = root / PROJECT_FILE
        if not file.exists():
            if root.name == PROJECT_FILE and root.exists():
                return cls.open(root.parent)
            raise ProjectError(
                f"{root} is not a workbench project (no {PROJECT_FILE}). "
                f"Create one with 'workbench init {path}'."
            )
        config = _read_config(file)
        try:
            (root / "runs").mkdir(exist_ok=True)
        except OSError:
            pass  # a read-only project still opens
        project = cls(root, config)
        project.sweep_leftovers()
        return project

    def _save(self) -> None:
        atomic_write_text(self.root / PROJECT_FILE, tomli_w.dumps(self._config))

    def _update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Apply ``change`` to workbench.toml as it is on disk now, and save.

        Re-read inside the lock: another process may have written since this
        Project was opened, and writing back a stale copy would drop its work.
        """
        with project_lock(self.root):
            self._config = _read_config(self.root / PROJECT_FILE)
            out = change(self._config)
            self._save()
            return out

    def sweep_leftovers(self, *, every_run: bool | None = None) -> list[Path]:
        """Remove what killed writers left: stale temp files and half-deleted runs.

        The project's top folders are swept at every open; the run and search
        folders (one scan each: ~0.1 s per 1,000 runs) once per process and
        project, unless ``every_run`` says otherwise.
        """
        removed: list[Path] = []
        folders = [self.root, self.root / "data", self.root / CACHE_DIR, self.runs_dir, self.root / "tunes"]
        if every_run is None:
            every_run = str(self.root) not in _RUNS_SWEPT
        _RUNS_SWEPT.add(str(self.root))
        for parent in (self.runs_dir, self.root / "tunes") if every_run else ():
            try:
                folders += [p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
            except OSError:
                pass
        for folder in folders:
            removed += sweep_stale_temps(folder)
        try:
            trash = [p for p in self.runs_dir.iterdir() if p.name.startswith(".deleted-") and p.is_dir()]
        except OSError:
            trash = []
        for p in trash:  # a delete_run killed after its rename
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
        return removed

    # -- properties --------------------------------------------------------
    @property
    def name(self) -> str:
        return self._config.get("name") or self.root.name

    @property
    def defaults(self) -> dict[str, Any]:
        """Project defaults (dataset, target, task...) from workbench.toml."""
        return dict(self._config.get("defaults") or {})

    @property
    def datasets(self) -> dict[str, DatasetEntry]:
        out = {}
        for name, d in self._config["datasets"].items():
            out[name] = DatasetEntry(
                name=name,
                path=d.get("path", ""),
                sha256=d.get("sha256", ""),
                rows=d.get("rows"),
                columns=d.get("columns"),
            )
        return out

    def dataset(self, name: str) -> DatasetEntry:
        try:
            return self.datasets[name]
        except KeyError:
            known = ", ".join(self.datasets) or "(none yet: add one with 'workbench data add')"
            raise ProjectError(f"No dataset named '{name}' in {self.name}. Datasets: {known}.") from None

    def dataset_path(self, name: str) -> Path:
        return (self.root / self.dataset(name).path).resolve()

    # -- datasets ----------------------------------------------------------
    def add_dataset(
        self, file: str | os.PathLike, name: str | None = None, ctx=None, *, copy: bool | None = None
    ) -> DatasetEntry:
        """Validate (load) ``file`` and add it under ``name``.

        Files outside the project are copied into ``data/`` (``copy=None``)
        so the project stays self-contained; ``copy=False`` links in place.
        Nothing is written to the project if loading fails.
        """
        from workbench.engine.data.loading import fingerprint, load_table

        src = Path(file).expanduser().resolve()
        if not src.exists():
            raise DataError(f"File not found: {file}.")
        name = name or _clean_name(src.stem)
        if src.is_dir():
            return self._add_partitioned(src, name, copy, ctx)
        if not _NAME_RE.match(name):
            raise ProjectError(
                f"Invalid dataset name '{name}': use letters, digits, '_', '-' or '.' (max 64)."
            )
        self._refuse_taken_name(name)  # early, before the slow load; checked again under the lock
        frame = load_table(src, ctx.sub(0.0, 0.8) if ctx else None)
        inside = src.is_relative_to(self.root)
        if copy is None:
            copy = not inside
        tmp: Path | None = None
        try:
            if copy and not inside:
                # Copied under a temp name first: a kill mid-copy leaves only
                # a recognisable temp file (swept later), never a half file
                # that looks like data.
                (self.root / "data").mkdir(exist_ok=True)
                tmp = temp_path_for(self.root / "data" / src.name)
                sha = copy_and_hash(src, tmp)
            else:
                sha = fingerprint(src)

            def register(config: dict[str, Any]) -> DatasetEntry:
                self._refuse_taken_name(name)
                if tmp is not None:
                    dest = self._free_data_path(src, name, sha)
                    os.replace(tmp, dest)
                    rel = dest.relative_to(self.root).as_posix()
                else:
                    rel = src.relative_to(self.root).as_posix() if inside else str(src)
                entry = DatasetEntry(name=name, path=rel, sha256=sha, rows=len(frame), columns=frame.shape[1])
                config["datasets"][name] = entry.to_toml()
                return entry

            # Rename and registration are one locked step: a kill between them
            # leaves a copy no dataset names, which the next add adopts.
            entry = self._update(register)
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        self._write_cache(sha, frame)
        # The first load (and a preview) need not hash the file again.
        self._remember_fingerprint(self.dataset_path(name), sha)
        if ctx:
            ctx.progress(1.0, f"Added {name}: {len(frame):,} rows x {frame.shape[1]} columns")
        return entry

    def _add_partitioned(self, folder: Path, name: str, copy: bool | None, ctx=None) -> DatasetEntry:
        """Link a folder of Parquet files in place (it may not fit in memory: never copied)."""
        from workbench.engine.data.partitioned import describe, fingerprint_folder, is_partitioned

        if not is_partitioned(folder):
            raise DataError(f"{folder} is a folder without Parquet files; add a data file, or a folder of *.parquet.")
        if copy:
            raise DataError(f"{folder} is a folder of Parquet files: add it with --link (it is never copied).")
        if not _NAME_RE.match(name):
            raise ProjectError(f"Invalid dataset name '{name}': use letters, digits, '_', '-' or '.' (max 64).")
        self._refuse_taken_name(name)
        info = describe(folder)
        sha = fingerprint_folder(folder)
        rel = folder.relative_to(self.root).as_posix() if folder.is_relative_to(self.root) else str(folder)
        entry = DatasetEntry(name=name, path=rel, sha256=sha, rows=info["rows"], columns=len(info["columns"]))

        def register(config: dict[str, Any]) -> DatasetEntry:
            self._refuse_taken_name(name)
            config["datasets"][name] = entry.to_toml()
            return entry

        self._update(register)
        if ctx:
            ctx.progress(1.0, f"Linked {name}: {info['rows']:,} rows in {info['parts']} Parquet parts")
        return entry

    def _refuse_taken_name(self, name: str) -> None:
        if name in self._config["datasets"]:
            raise ProjectError(f"A dataset named '{name}' already exists; choose another --name.")

    def _free_data_path(self, src: Path, name: str, sha: str) -> Path:
        """Where a copy of ``src`` goes in ``data/``.

        A file there that no dataset names and that holds the same bytes is
        the leftover of a killed add: it is taken over.  Any other file is
        the user's, and the copy gets the next free name instead.
        """
        from workbench.engine.data.loading import fingerprint

        data = self.root / "data"
        registered = {(self.root / d.get("path", "")).resolve() for d in self._config["datasets"].values()}
        suffix = src.suffix
        candidates = [data / src.name, data / f"{name}{suffix}"]
        candidates += [data / f"{name}-{i}{suffix}" for i in range(2, 1000)]
        for dest in candidates:
            if not dest.exists():
                return dest
            if dest.resolve() in registered or not dest.is_file():
                continue
            try:
                if dest.stat().st_size == src.stat().st_size and fingerprint(dest) == sha:
                    return dest
            except (OSError, DataError):
                continue
        raise ProjectError(f"No free file name for '{name}' in {data}; tidy that folder and try again.")

    def remove_dataset(self, name: str) -> None:
        def remove(config: dict[str, Any]) -> None:
            self.dataset(name)
            del config["datasets"][name]

        self._update(remove)

    def rename_dataset(self, old: str, new: str) -> None:
        if not _NAME_RE.match(new):
            raise ProjectError(f"Invalid dataset name '{new}'.")

        def rename(config: dict[str, Any]) -> None:
            self.dataset(old)
            if new in config["datasets"]:
                raise ProjectError(f"A dataset named '{new}' already exists.")
            config["datasets"][new] = config["datasets"].pop(old)
            if config["defaults"].get("dataset") == old:
                config["defaults"]["dataset"] = new

        self._update(rename)

    def current_fingerprint(self, name: str) -> str:
        """SHA-256 of the dataset file's bytes now: always hashed, never taken
        from the (size, mtime) index.

        This is the fingerprint a run records and a replay (``train --spec``)
        is checked against, so it must mean "these bytes": a same-size edit
        with the mtime put back keeps size and mtime but not the content.
        SHA-256 runs at ~300 MB/s on a busy 2-core machine
        (bench/fingerprint_cost.py).
        """
        from workbench.engine.data.loading import fingerprint

        path = self.dataset_path(name)
        if not path.exists():
            raise DataError(f"The file of dataset '{name}' is missing: {path}.")
        if path.is_dir():  # partitioned Parquet: every part's name and bytes
            from workbench.engine.data.partitioned import fingerprint_folder

            return fingerprint_folder(path)
        st = path.stat()
        sha = fingerprint(path)
        self._remember_fingerprint(path, sha, st)
        return sha

    def _remember_fingerprint(self, path: Path, sha: str, st: os.stat_result | None = None) -> None:
        """Record ``sha`` for the file's (size, mtime) in the cache index.

        The index only lets a *read* of the Parquet cache skip hashing the
        source again (previews, reloads in the app).
        """
        index_file = self.root / CACHE_DIR / "index.json"
        try:
            st = st or path.stat()
            index_file.parent.mkdir(exist_ok=True)
            with project_lock(self.root):
                index = _read_index(index_file)
                index[str(path)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}
                atomic_write_text(index_file, json.dumps(index, indent=1))
        except (OSError, ProjectError):
            pass  # a read-only or busy project still works, just without the cache

    def _known_fingerprint(self, name: str) -> str | None:
        """The dataset file's SHA-256 if the cache index knows it for the file's
        current size and mtime; None otherwise (never hashes the file)."""
        try:
            path = self.dataset_path(name)
            st = path.stat()
            index = json.loads((self.root / CACHE_DIR / "index.json").read_text())
        except (OSError, ValueError, ProjectError):
            return None
        hit = index.get(str(path)) if isinstance(index, dict) else None
        if isinstance(hit, dict) and hit.get("size") == st.st_size and hit.get("mtime_ns") == st.st_mtime_ns:
            return hit.get("sha256")
        return None

    def preview_dataset(self, name: str, rows: int = 1000):
        """The first ``rows`` rows of a dataset and its total row count, quickly.

        Reads only the first rows of the dataset's Parquet cache, and the row
        count from the cache's metadata: milliseconds even for millions of
        rows, so a front end can show the data while :meth:`load_dataset`
        reads all of it.

        Returns
        -------
        tuple of (pandas.DataFrame, int) or None
            None when there is no fresh cache (the file changed since it was
            last loaded, or was never loaded): a preview never parses or
            hashes the source file.
        """
        sha = self._known_fingerprint(name)
        cached = self.root / CACHE_DIR / f"{sha}.parquet" if sha else None
        if cached is None or not cached.exists():
            return None
        try:
            import pyarrow.parquet as pq

            # No pre-buffering: read the first pages, not whole column chunks.
            pf = pq.ParquetFile(cached, pre_buffer=False, buffer_size=1 << 16)
            total = int(pf.metadata.num_rows)
            batch = next(pf.iter_batches(batch_size=max(int(rows), 1)), None)
            table = batch if batch is not None else pf.schema_arrow.empty_table()
            return table.to_pandas(), total
        except Exception:  # a broken cache is only a cache: no preview
            return None

    def load_dataset(self, name: str, ctx=None, *, fingerprint: str | None = None):
        """The dataset as a DataFrame, from the Parquet cache when it is fresh.

        The cache is keyed on the content hash.  Give the file's
        ``fingerprint`` (from :meth:`current_fingerprint`) when the frame must
        be exactly those bytes (training); without it a (size, mtime) match in
        the index stands for the hash, which is fine for looking at the data.
        """
        from workbench.engine.data.loading import load_table

        if self.dataset_path(name).is_dir():  # partitioned Parquet: read in place, never cached
            from workbench.engine.data.partitioned import read_folder

            return read_folder(self.dataset_path(name))
        sha = fingerprint or self._known_fingerprint(name) or self.current_fingerprint(name)
        frame = self._read_cache(sha)
        if frame is not None:
            if ctx:
                ctx.progress(1.0, f"Loaded {name} from cache")
            return frame
        frame = load_table(self.dataset_path(name), ctx)
        self._write_cache(sha, frame)
        return frame

    def load_verified(self, name: str, ctx=None, *, expected: str | None = None):
        """The dataset as the bytes of its file now, and their SHA-256.

        For training and replays: the fingerprint is always hashed, never
        taken from the (size, mtime) index, and the cache is read by that
        hash.  On a 313 MB CSV this doubles the data-loading part of a run
        (1.4 s -> 2.8 s, bench/fingerprint_cost.py; reading the cache while
        hashing gained nothing measurable on 2 busy cores, so it is not done).

        Raises DataError when ``expected`` (a replayed spec's fingerprint) is
        not the file's hash now, before any data is parsed.
        """
        sha = self.current_fingerprint(name)
        if expected and expected != sha:
            raise DataError(
                f"Dataset '{name}' has changed since this spec was recorded "
                f"(sha256 {expected[:12]}… then, {sha[:12]}… now); "
                "refusing to run on different data."
            )
        return self.load_dataset(name, ctx, fingerprint=sha), sha

    def _read_cache(self, sha: str):
        """The cached frame for content ``sha``, or None (absent or unreadable)."""
        import pandas as pd

        cached = self.root / CACHE_DIR / f"{sha}.parquet"
        if not cached.exists():
            return None
        try:
            return pd.read_parquet(cached)
        except Exception:  # a corrupt cache is only a cache: drop it, the source is reloaded
            cached.unlink(missing_ok=True)
            return None

    def _write_cache(self, sha: str, frame) -> None:
        # Parquet reloads are ~5-10x faster than parsing CSV again; best effort:
        # mixed-type object columns can't be written, and that is fine.
        path = self.root / CACHE_DIR / f"{sha}.parquet"
        if path.exists():
            return
        tmp = temp_path_for(path)  # one per writer: two trains may cache at once
        try:
            path.parent.mkdir(exist_ok=True)
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        except Exception:
            try:
                tmp.unlink(missing_ok=True)
            except Exception:
                pass

    # -- runs --------------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        return self.root / RUNS_DIR

    def runs(self) -> list[RunRecord]:
        """All runs, oldest first."""
        if not self.runs_dir.exists():
            return []
        records = []
        for p in self.runs_dir.iterdir():
            if p.name.startswith(".") or not p.is_dir():
                continue
            folder = RunFolder(p)
            # A folder with a result but no spec is a damaged run: listed, not hidden.
            if folder.spec_path.exists() or folder.result_path.exists():
                records.append(RunRecord(p.name, p))

        return sorted(records, key=lambda r: (r.created, r.run_id))

    def run(self, run_id: str) -> RunRecord:
        folder = RunFolder.of(self.root, run_id)
        if not (folder.spec_path.exists() or folder.result_path.exists()):
            matches = [r for r in self.runs() if r.run_id.startswith(run_id)]
            if len(matches) == 1:
                return matches[0]
            raise ProjectError(f"No run '{run_id}' in {self.name}. See 'workbench runs {self.root}'.")
        return RunRecord(run_id, folder.path)

    def delete_run(self, run_id: str) -> None:
        record = self.run(run_id)
        if record.status == "running":
            raise ProjectError(f"Run {run_id} is still running; cancel it first.")
        # Rename first so a half-deleted folder is never mistaken for a run.
        trash = self.runs_dir / f".deleted-{record.run_id}"
        os.replace(record.folder, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def rename_run(self, run_id: str, label: str) -> None:
        self.run(run_id).set_label(label)
