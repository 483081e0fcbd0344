"""Profile warnings a data scientist would raise: each names its columns and offers an action."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.engine import profile_dataset


def _frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "glucose": rng.normal(120, 25, n).round(),
        "pregnancies": rng.poisson(3, n),
        "height_cm": rng.normal(170, 10, n),
        "price": rng.gamma(2, 10, n).round(2).astype(str),
        "notes": np.where(rng.random(n) < 0.25, None, rng.choice(["a", "b"], n)),
        "label": rng.choice(["yes", "no"], n),
    })
    df["height_in"] = df["height_cm"] / 2.54 + rng.normal(0, 0.01, n)
    df.loc[:9, "glucose"] = 0
    df.loc[[50, 51], "price"] = ["price", "n/a"]  # a repeated header line, a "n/a"
    return pd.concat([df, df.iloc[:3]], ignore_index=True)


def _by_code(profile) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for w in profile.warnings:
        out.setdefault(w["code"], []).append(w)
    return out


def test_the_listed_data_problems_are_warned_with_columns_and_actions():
    warnings = _by_code(profile_dataset(_frame(), target="label"))
    assert "3 row(s)" in warnings["duplicate_rows"][0]["message"]
    [pair] = warnings["high_correlation"]
    assert pair["columns"] == ["height_cm", "height_in"] and "drop_column" in pair["actions"]
    [text] = warnings["numbers_as_text"]
    assert text["column"] == "price" and text["stray_values"] == ["price", "n/a"] and text["stray_rows"] == [51, 52]
    assert "'price', 'n/a'" in text["message"] and "51, 52" in text["message"]
    assert "price" not in {w["column"] for w in warnings.get("high_cardinality", [])}
    [zeros] = warnings["impossible_zeros"]
    assert zeros["column"] == "glucose"  # not pregnancies: 0 is a fine count
    [missing] = warnings["high_missing"]  # ~25 %: at least a fifth is worth a look
    assert missing["column"] == "notes" and missing["actions"] == ["drop_column", "ignore"]


def test_many_rows_of_a_few_stray_texts_are_warned_too():
    # The warning stopped at 2 % of the rows (and 50 rows): "?" in a tenth of
    # a measure, or a header line repeated every 2,000 rows of 100,000 rows
    # (a concatenated export), said nothing.
    rng = np.random.default_rng(3)
    n = 100_000
    df = pd.DataFrame({"dose": rng.gamma(2, 10, n).round(2).astype(str),
                       "weight": rng.normal(70, 12, n).round(1).astype(str),
                       "code": rng.integers(0, 999, n).astype(str)})
    df.loc[rng.random(n) < 0.1, "dose"] = "?"
    df.loc[::2000, "weight"] = "weight"
    df["code"] = np.where(rng.random(n) < 0.1, "X" + pd.Series(rng.integers(0, 500, n)).astype(str), df["code"])
    found = {w["column"]: w for w in _by_code(profile_dataset(df)).get("numbers_as_text", [])}
    assert found["dose"]["missing_values"] == ["?"] and "?" in found["dose"]["message"]
    assert found["weight"]["missing_values"] == ["weight"] and found["weight"]["stray_rows"][:2] == [1, 2001]
    # Hundreds of distinct texts among the numbers are codes, not strays.
    assert "code" not in found


def test_more_columns_than_rows_is_said():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(8, 12)), columns=[f"f{i}" for i in range(12)])
    codes = {w["code"] for w in profile_dataset(df).warnings}
    assert "wide_data" in codes


def test_clean_data_stays_quiet():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.integers(0, 5, 200), "c": rng.choice(["x", "y"], 200)})
    assert profile_dataset(df).warnings == []
