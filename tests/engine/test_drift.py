"""Drift checks against a reference profile: shifted features are flagged,
a random sample of the same data flags none, on small and large samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.engine.errors import DataError
from workbench.engine.model import FeatureInfo, coerce_features
from workbench.engine.monitoring.drift import drift_report, psi
from workbench.engine.monitoring.reference import build_reference_profile

FEATURES = [FeatureInfo("income", "numeric"), FeatureInfo("age", "numeric"),
            FeatureInfo("region", "categorical"), FeatureInfo("member", "boolean")]


def population(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "income": rng.lognormal(10, 0.5, n),
        "age": rng.integers(18, 90, n).astype(float),
        "region": rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object),
        "member": rng.random(n) < 0.3,
    })
    df.loc[rng.random(n) < 0.05, "income"] = np.nan
    return df


@pytest.fixture(scope="module")
def profile():
    return build_reference_profile(coerce_features(population(6000, 0), FEATURES), FEATURES)


def flagged(report):
    return {f["name"] for f in report["features"] if f["drifted"]}


@pytest.mark.parametrize("rows", [200, 3000])  # the test path and the distance path
def test_random_sample_of_the_same_population_flags_nothing(profile, rows):
    for seed in range(1, 4):
        report = drift_report(profile, population(rows, seed))
        assert flagged(report) == set() and report["drifted"] is False, report["features"]


@pytest.mark.parametrize("rows", [200, 3000])
def test_shifted_features_are_flagged_and_only_those(profile, rows):
    new = population(rows, 7)
    new["income"] = new["income"] * 1.6
    new["region"] = np.where(np.arange(rows) % 2 == 0, "north", "central")  # an unseen category
    report = drift_report(profile, new)
    assert flagged(report) == {"income", "region"}
    assert report["drifted"] is True
    region = next(f for f in report["features"] if f["name"] == "region")
    assert region["unseen_categories"] == ["central"]
    assert region["out_of_range_share"] == pytest.approx(0.5)
    expected_test = "chi_square" if rows <= 1000 else "jensen_shannon"
    assert region["test"] == expected_test
    income = next(f for f in report["features"] if f["name"] == "income")
    assert income["test"] == ("ks" if rows <= 1000 else "wasserstein")
    assert income["psi"] > 0.25


def test_missing_rate_change_and_out_of_range_are_reported(profile):
    new = population(400, 9)
    new.loc[new.index[:200], "age"] = np.nan  # 50% missing, was 0%
    new.loc[new.index[200:260], "income"] = 10_000_000.0  # far above the training range
    report = drift_report(profile, new)
    by_name = {f["name"]: f for f in report["features"]}
    assert by_name["age"]["missing_rate_change"] == pytest.approx(0.5)
    assert by_name["age"]["drifted"]
    assert by_name["income"]["out_of_range_share"] > 0.1 and by_name["income"]["drifted"]
    keys = {"name", "kind", "test", "statistic", "p_value", "psi", "drifted", "unseen_categories",
            "out_of_range_share", "missing_rate_change"}
    assert all(keys <= set(f) for f in report["features"])


def test_missing_column_is_named(profile):
    with pytest.raises(DataError, match="region"):
        drift_report(profile, population(50, 1).drop(columns=["region"]))


def test_psi_is_zero_for_identical_shares_and_grows_with_shift():
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert psi([0.5, 0.5], [0.6, 0.4]) < psi([0.5, 0.5], [0.9, 0.1])
