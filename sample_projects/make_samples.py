"""Regenerate the sample projects from their original, bundled sources.

A developer tool, not part of the application: run it after changing what the
samples hold, then commit the CSVs and workbench.toml files it writes.

    .venv/bin/pip install palmerpenguins   # only for this script
    .venv/bin/python sample_projects/make_samples.py

Sources (no network needed): the ``palmerpenguins`` package ships the Palmer
penguins CSV (CC0); scikit-learn ships the wine and diabetes data.  Output is
deterministic: the same library versions give byte-identical files, and each
``workbench.toml`` records the file's SHA-256, row and column counts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


@dataclass
class Sample:
    folder: str
    title: str
    dataset: str
    target: str
    task: str


def penguins_csv() -> Path:
    """The penguins.csv file shipped inside the palmerpenguins package (NA kept)."""
    try:
        import palmerpenguins
    except ImportError:
        sys.exit("make_samples.py needs palmerpenguins: .venv/bin/pip install palmerpenguins")
    return Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"


def wine_frame() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame = bunch.frame.rename(columns={"target": "cultivar"})
    frame["cultivar"] = [str(bunch.target_names[i]) for i in bunch.target]
    return frame


def diabetes_frame() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    return frame.rename(columns={"target": "progression"})


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_project(sample: Sample, csv: Path) -> None:
    frame = pd.read_csv(csv)
    rel = csv.relative_to(HERE / sample.folder).as_posix()
    toml = (
        f"name = {json.dumps(sample.title)}\n"
        "format = 1\n"
        "\n"
        "[defaults]\n"
        f"dataset = {json.dumps(sample.dataset)}\n"
        f"target = {json.dumps(sample.target)}\n"
        f"task = {json.dumps(sample.task)}\n"
        "\n"
        f"[datasets.{sample.dataset}]\n"
        f"path = {json.dumps(rel)}\n"
        f'sha256 = "{sha256(csv)}"\n'
        f"rows = {len(frame)}\n"
        f"columns = {frame.shape[1]}\n"
    )
    (HERE / sample.folder / "workbench.toml").write_text(toml, encoding="utf-8")
    print(f"{sample.folder}: {csv.name} {len(frame)} rows x {frame.shape[1]} columns")


def data_path(folder: str, name: str) -> Path:
    path = HERE / folder / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def main() -> None:
    source = penguins_csv()
    for sample in (
        Sample("penguins_sex", "Penguins: predict sex", "penguins", "sex", "classification"),
        Sample("penguins_species", "Penguins: predict species", "penguins", "species", "classification"),
    ):
        target = data_path(sample.folder, "penguins.csv")
        shutil.copyfile(source, target)  # the published file byte for byte
        write_project(sample, target)

    wine = data_path("wine", "wine.csv")
    wine_frame().to_csv(wine, index=False, lineterminator="\n")
    write_project(Sample("wine", "Wine: predict the cultivar", "wine", "cultivar", "classification"), wine)

    diabetes = data_path("diabetes", "diabetes.csv")
    diabetes_frame().to_csv(diabetes, index=False, lineterminator="\n")
    write_project(
        Sample("diabetes", "Diabetes: predict disease progression", "diabetes", "progression", "regression"),
        diabetes,
    )


if __name__ == "__main__":
    main()
