"""Column kinds, the dataset profile and its warnings, and the sample projects."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.engine.data.loading import fingerprint, load_table
from workbench.engine.data.profile import WARNING_CODES, profile_dataset
from workbench.engine.data.schema import ColumnType, Schema, infer_schema
from workbench.engine.errors import Cancelled
from workbench.engine.jobs.events import CancelToken, JobContext, Progress

SAMPLES = Path(__file__).resolve().parents[2] / "sample_projects"


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    n = 400
    rng = np.random.default_rng(1)
    words = np.array(["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "again", "today"])
    return pd.DataFrame(
        {
            "row": np.arange(n),  # a counter
            "customer_id": rng.permutation(n) + 1000,  # named like an id
            "age": rng.integers(18, 90, n),
            "income": rng.normal(50_000, 12_000, n),
            "color": pd.Series(rng.choice(["red", "green", "blue"], n), dtype="str"),
            "subscribed": pd.Series(rng.choice(["yes", "no"], n), dtype="str"),
            "active": rng.random(n) < 0.5,
            "flag01": pd.Series(rng.choice(["0", "1"], n), dtype="str"),
            "signup": pd.Series(pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"), dtype="str"),
            "stamp": pd.date_range("2021-06-01", periods=n, freq="h"),
            "code": pd.Series([f"C{i:05d}" for i in rng.permutation(n)], dtype="str"),
            "review": pd.Series([" ".join(rng.choice(words, 8)) for _ in range(n)], dtype="str"),
            "zip_code": pd.Series(rng.choice(["1000", "2000", "3000"], n), dtype="str"),
        }
    )


def test_kinds_of_a_mixed_frame(mixed):
    kinds = infer_schema(mixed).kinds()
    assert kinds == {
        "row": "id",
        "customer_id": "id",
        "age": "numeric",
        "income": "numeric",
        "color": "categorical",
        "subscribed": "boolean",
        "active": "boolean",
        "flag01": "boolean",
        "signup": "datetime",
        "stamp": "datetime",
        "code": "id",
        "review": "text",
        "zip_code": "categorical",
    }


def test_small_unique_integers_are_not_ids():
    df = pd.DataFrame({"year": [2001, 2002, 2003], "paid": [5, 9, 1], "valid": [3, 2, 1]})
    assert set(infer_schema(df).kinds().values()) == {"numeric"}


def test_schema_counts_and_round_trip(mixed):
    schema = infer_schema(mixed.assign(age=mixed["age"].where(mixed.index % 4 != 0)))
    assert schema["age"] == ColumnType("age", "numeric", "float64", schema["age"].n_unique, 100)
    assert schema["color"].n_unique == 3
    assert list(schema) == list(mixed.columns)
    assert schema.columns("id") == ["row", "customer_id", "code"]
    again = Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert all(c.n_unique_exact for c in again.values())  # small frames count exactly
    assert again.kinds() == schema.kinds() and again["age"] == schema["age"]


def test_profile_values(mixed):
    df = mixed.copy()
    df.loc[::10, "income"] = np.nan
    df.loc[::5, "color"] = None
    prof = profile_dataset(df)
    income = prof.columns["income"]
    assert income.missing == 40 and income.missing_fraction == pytest.approx(0.1)
    present = df["income"].dropna()
    assert sum(income.histogram["counts"]) == len(present)
    assert len(income.histogram["edges"]) == len(income.histogram["counts"]) + 1
    assert income.stats["min"] == present.min() and income.stats["max"] == present.max()
    assert income.stats["mean"] == pytest.approx(present.mean())
    assert income.stats["std"] == pytest.approx(present.std())
    for q in (5, 25, 50, 75, 95):
        assert income.stats[f"q{q:02d}"] == pytest.approx(np.quantile(present, q / 100))
    color = prof.columns["color"]
    expected = df["color"].value_counts()
    assert color.missing == 80 and color.n_unique == 3
    assert [(t["value"], t["count"]) for t in color.top] == list(zip(expected.index, expected.tolist()))
    stamp = prof.columns["stamp"]
    assert sum(stamp.histogram["counts"]) == len(df)
    assert stamp.stats["min"].startswith("2021-06-01")
    assert prof.rows == len(df) and prof.n_columns == df.shape[1]
    assert prof.duplicate_rows == 0 and prof.memory_bytes > 0


@pytest.fixture
def small_exact_limit(monkeypatch):
    """Make 1 000 values the limit of exact counting, so the path long
    columns take runs on a frame of a few thousand rows."""
    from workbench.engine.data import schema as schema_module

    monkeypatch.setattr(schema_module, "EXACT_ROWS", 1_000)
    monkeypatch.setattr(schema_module, "LOW_CARDINALITY", 100)
    return 1_000


def test_long_numeric_columns_use_a_sample_only_for_quantiles_and_big_counts(small_exact_limit):
    n = 6_000
    rng = np.random.default_rng(5)
    income = rng.lognormal(10, 0.5, n)
    income[::7] = np.nan
    income[3] = np.inf
    pairs = np.repeat(rng.normal(size=n // 2), 2)  # every value twice: 3 000 distinct
    df = pd.DataFrame({
        "income": income,
        "pairs": rng.permutation(pairs),
        "grade": rng.integers(1, 6, n).astype(float),  # 5 values: a low-cardinality float
        "count": rng.integers(0, 4_000, n),  # integers: always exact
    })
    prof = profile_dataset(df)
    col = prof.columns["income"]
    finite = income[np.isfinite(income)]
    # whole-column statistics stay exact
    assert col.missing == len(income[np.isnan(income)]) and col.stats["n_infinite"] == 1
    assert col.stats["min"] == finite.min() and col.stats["max"] == finite.max()
    assert col.stats["mean"] == pytest.approx(finite.mean()) and col.stats["std"] == pytest.approx(finite.std(ddof=1))
    expected_counts, expected_edges = np.histogram(finite, bins=30)
    assert col.histogram["counts"] == expected_counts.tolist()
    np.testing.assert_allclose(col.histogram["edges"], expected_edges)
    # quantiles come from 1 000 sampled rows: close, not exact
    for q in (5, 25, 50, 75, 95):
        rank = np.mean(finite <= col.stats[f"q{q:02d}"])
        assert abs(rank - q / 100) < 0.04
    assert prof.sample_rows["quantiles"] == small_exact_limit
    # all-distinct values: the estimate is exact but says it is an estimate
    assert col.n_unique == len(df) - col.missing and col.n_unique_exact is False
    pairs_col = prof.columns["pairs"]
    assert 3_000 / 2 < pairs_col.n_unique < 3_000 * 2 and not pairs_col.n_unique_exact
    for name in ("grade", "count"):
        assert prof.columns[name].n_unique == df[name].nunique() and prof.columns[name].n_unique_exact
    assert infer_schema(df)["pairs"].n_unique_exact is False
    assert prof.to_dict()["columns"]["grade"]["n_unique_exact"] is True


def test_duplicates_constant_and_correlation():
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    df = pd.DataFrame({"x": x, "twice": 2 * x + 1, "noise": rng.normal(size=300), "k": 7})
    df = pd.concat([df, df.iloc[:12]], ignore_index=True)
    prof = profile_dataset(df)
    assert prof.duplicate_rows == 12
    assert prof.constant_columns == ["k"]
    corr = prof.correlation
    assert corr["columns"] == ["x", "twice", "noise"]  # the constant has no correlation
    m = np.array(corr["matrix"])
    assert m[0, 1] == pytest.approx(1.0) and abs(m[0, 2]) < 0.2
    np.testing.assert_allclose(m, df[["x", "twice", "noise"]].corr().to_numpy(), atol=1e-9)


def test_correlation_with_missing_values_is_pairwise(mixed):
    df = mixed[["age", "income"]].astype(float)
    df.loc[::3, "age"] = np.nan
    m = np.array(profile_dataset(df).correlation["matrix"])
    assert m[0, 1] == pytest.approx(df.corr().iloc[0, 1])


def codes(prof, column=None):
    return {w["code"] for w in prof.warnings if column is None or w["column"] == column}


def test_warnings_fire(mixed):
    rng = np.random.default_rng(3)
    n = len(mixed)
    df = mixed.copy()
    df["constant"] = "same"
    df["sparse"] = np.where(rng.random(n) < 0.6, np.nan, 1.0)
    df["empty"] = np.nan
    df["with_inf"] = np.where(np.arange(n) % 50 == 0, np.inf, rng.normal(size=n))
    df["many_levels"] = pd.Series([f"level{i % 120}" for i in range(n)], dtype="str")
    prof = profile_dataset(df)
    assert "id_like" in codes(prof, "row") and "id_like" in codes(prof, "customer_id")
    assert "constant" in codes(prof, "constant")
    assert "high_missing" in codes(prof, "sparse")
    assert codes(prof, "empty") == {"all_missing"}
    assert "infinite_values" in codes(prof, "with_inf")
    assert prof.columns["with_inf"].stats["n_infinite"] == 8
    assert sum(prof.columns["with_inf"].histogram["counts"]) == n - 8
    assert "high_cardinality" in codes(prof, "many_levels")
    assert codes(prof, "age") == set() and codes(prof, "color") == set()
    assert codes(prof) <= set(WARNING_CODES)
    for w in prof.warnings:
        assert w["message"] and w["column"] in df.columns


def test_imbalance_and_class_balance():
    rng = np.random.default_rng(4)
    y = np.where(np.arange(1000) < 960, "ok", "fraud")
    df = pd.DataFrame({"amount": rng.normal(size=1000), "label": pd.Series(y, dtype="str")})
    prof = profile_dataset(df, target="label")
    assert prof.class_balance == {"ok": 960, "fraud": 40}
    assert "imbalance" in codes(prof, "label")
    balanced = profile_dataset(df.assign(label=np.where(np.arange(1000) % 2 == 0, "a", "b")), target="label")
    assert "imbalance" not in codes(balanced)


def test_leakage_by_correlation_and_by_mapping():
    rng = np.random.default_rng(5)
    n = 600
    y = rng.normal(size=n)
    df = pd.DataFrame({"x": rng.normal(size=n), "copy": y * 3 + rng.normal(scale=0.01, size=n), "y": y})
    prof = profile_dataset(df, target="y")
    assert codes(prof, "copy") == {"leakage"} and codes(prof, "x") == set()
    assert prof.class_balance is None  # a continuous target has no classes

    label = pd.Series(rng.choice(["cat", "dog", "bird"], n), dtype="str")
    code = label.map({"cat": "C", "dog": "D", "bird": "B"})  # 1:1 with the target
    df = pd.DataFrame({"code": code, "other": pd.Series(rng.choice(["u", "v"], n), dtype="str"),
                       "w": rng.normal(size=n), "label": label})
    prof = profile_dataset(df, target="label")
    assert codes(prof, "code") == {"leakage"} and codes(prof, "other") == set()
    assert set(prof.class_balance) == {"cat", "dog", "bird"}


def test_binary_target_leakage_from_a_numeric_column():
    rng = np.random.default_rng(6)
    y = rng.random(500) < 0.4
    df = pd.DataFrame({"score": y * 10.0 + rng.normal(scale=0.01, size=500), "z": rng.normal(size=500),
                       "target": pd.Series(np.where(y, "yes_buy", "no_buy"), dtype="str")})
    prof = profile_dataset(df, target="target")
    assert codes(prof, "score") == {"leakage"} and codes(prof, "z") == set()


def test_to_dict_is_json_safe(mixed):
    df = mixed.copy()
    df["with_inf"] = np.where(np.arange(len(df)) % 7 == 0, np.inf, 1.0 * np.arange(len(df)))
    df["empty"] = np.nan
    prof = profile_dataset(df, target="subscribed")
    text = json.dumps(prof.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["columns"]["income"]["stats"]["q50"] == pytest.approx(df["income"].median())
    assert back["columns"]["empty"]["histogram"] is None
    assert back["schema"]["columns"][0]["name"] == "row"
    assert isinstance(back["columns"]["stamp"]["histogram"]["edge_labels"][0], str)


def test_profile_reports_progress_and_cancels(mixed):
    events = []
    profile_dataset(mixed, ctx=JobContext(events.append, min_interval=0))
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert len(fractions) > mixed.shape[1] and fractions == sorted(fractions) and fractions[-1] == 1.0

    token = CancelToken()

    def emit(event):
        if isinstance(event, Progress) and "column 3" in event.message:
            token.cancel()

    with pytest.raises(Cancelled):
        profile_dataset(mixed, ctx=JobContext(emit, token, min_interval=0))


def test_given_schema_overrides_inference(mixed):
    schema = infer_schema(mixed).with_kind("age", "categorical")
    prof = profile_dataset(mixed, schema=schema)
    assert prof.columns["age"].kind == "categorical" and prof.columns["age"].top


# ------------------------------------------------------------ sample projects
SAMPLE_TARGETS = {
    "penguins_sex": ("sex", "classification"),
    "penguins_species": ("species", "classification"),
    "wine": ("cultivar", "classification"),
    "diabetes": ("progression", "regression"),
}


@pytest.mark.parametrize("folder", sorted(SAMPLE_TARGETS))
def test_sample_project_data_matches_its_toml(folder):
    config = tomllib.loads((SAMPLES / folder / "workbench.toml").read_text(encoding="utf-8"))
    assert config["format"] == 1 and config["name"]
    target, task = SAMPLE_TARGETS[folder]
    defaults = config["defaults"]
    assert (defaults["target"], defaults["task"]) == (target, task)
    entry = config["datasets"][defaults["dataset"]]
    path = SAMPLES / folder / entry["path"]
    assert fingerprint(path) == entry["sha256"]
    df = load_table(path)
    assert df.shape == (entry["rows"], entry["columns"])
    prof = profile_dataset(df, target=target)
    assert target in df.columns and not codes(prof, target) - {"high_missing"}


def test_penguins_keep_their_missing_values():
    df = load_table(SAMPLES / "penguins_sex" / "data" / "penguins.csv")
    schema = infer_schema(df)
    assert df["sex"].isna().sum() == 11 and df["bill_length_mm"].isna().sum() == 2
    assert schema["species"].kind == "categorical" and schema["island"].kind == "categorical"
    wine = load_table(SAMPLES / "wine" / "data" / "wine.csv")
    assert sorted(wine["cultivar"].unique()) == ["class_0", "class_1", "class_2"]
