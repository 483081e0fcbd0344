"""build_preprocessor: raw mixed columns in, dense float32 out, for every learner."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from workbench.engine.catalog import get_algorithm
from workbench.engine.errors import SpecError
from workbench.engine.model import coerce_features
from workbench.engine.training.preparation import (
    HIGH_CARDINALITY,
    DatetimeFeatures,
    ToFloat32,
    plan_preparation,
)
from workbench.engine.training.preprocessor import build_preprocessor
from workbench.engine.spec import ColumnPrep, RunSpec


@dataclass
class Col:
    kind: str


SCHEMA = {
    "income": Col("numeric"),
    "city": Col("categorical"),
    "member": Col("boolean"),
    "joined": Col("datetime"),
    "comment": Col("text"),
    "customer_id": Col("id"),
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "income": [1200.0, np.nan, 3100.5, np.inf, -np.inf, 800.0],
        "city": ["Paris", None, "Lyon", "Paris", "", "Nice"],
        "member": [True, False, None, True, False, True],
        "joined": pd.to_datetime(
            ["2020-01-01", "2021-06-15", None, "1999-12-31", "2024-02-29", "1970-01-01"]
        ),
        "comment": ["great", "meh", "ok", "fine", "bad", "good"],
        "customer_id": [101, 102, 103, 104, 105, 106],
    })


def _prepare(algorithm="ridge", **spec_fields):
    spec = RunSpec(dataset="d.csv", algorithm=algorithm, **spec_fields)
    df = _frame()
    pipe, features = build_preprocessor(SCHEMA, list(df.columns), spec, get_algorithm(algorithm))
    X = coerce_features(df, features)
    return pipe, features, X


def _step_names(pipe, group):
    transformer = pipe.named_steps["columns"].named_transformers_[group]
    return [name for name, _ in transformer.steps]


def test_mixed_frame_gives_dense_float32_with_expected_columns():
    pipe, features, X = _prepare()
    out = pipe.fit_transform(X)
    # income 1 + city one-hot (Lyon, Nice, Paris, __missing__) 4 + member 1 + joined 5 parts
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert out.shape == (6, 11)
    assert np.isfinite(out).all()  # NaN, +-inf and "" are all imputed
    assert [f.name for f in features] == ["income", "city", "member", "joined"]
    assert [f.kind for f in features] == ["numeric", "categorical", "boolean", "datetime"]
    assert len(pipe.get_feature_names_out()) == 11


def test_text_and_id_columns_are_dropped_with_a_reason():
    plan = plan_preparation(SCHEMA, list(SCHEMA), RunSpec(dataset="d", algorithm="ridge"), get_algorithm("ridge"))
    assert set(plan.dropped) == {"comment", "customer_id"}
    assert "id-like" in plan.dropped["customer_id"]
    assert any("customer_id" in line for line in plan.log_lines())


def test_scaling_follows_the_learner():
    linear, _, X = _prepare("ridge")
    linear.fit(X)
    assert "scale" in _step_names(linear, "num")
    for key in ("random_forest", "xgboost", "hist_gradient_boosting", "decision_tree"):
        trees, _, X = _prepare(key)
        trees.fit(X)
        for group in ("num", "date"):
            assert "scale" not in _step_names(trees, group), key


def test_column_overrides_apply():
    prep = {
        "income": ColumnPrep(impute="constant", fill_value=-1.0, scale="none", clip=(0.0, 2000.0)),
        "city": ColumnPrep(encode="ordinal"),
        "comment": ColumnPrep(encode="onehot"),  # text used as a category on request
        "member": ColumnPrep(drop=True),
    }
    pipe, features, X = _prepare("ridge", preparation=prep)
    out = pipe.fit_transform(X)
    assert [f.name for f in features] == ["income", "city", "joined", "comment"]
    names = list(pipe.get_feature_names_out())
    income = out[:, names.index("income")]
    # constant -1 for NaN/inf, then clipped into [0, 2000]
    assert income.tolist() == [1200.0, 0.0, 2000.0, 0.0, 0.0, 800.0]
    assert "city" in names  # one ordinal column instead of one per category
    assert sum(n.startswith("comment_") for n in names) == 6


def test_name_like_column_is_dropped_not_ordinal_encoded():
    # One value per row (car names, titles): no reusable signal, and an
    # ordinal code would feed weight- and distance-based models an arbitrary order.
    df = pd.DataFrame({"code": [f"c{i}" for i in range(HIGH_CARDINALITY + 20)], "x": np.arange(120.0)})
    schema = {"code": Col("categorical"), "x": Col("numeric")}
    spec = RunSpec(dataset="d", algorithm="ridge")
    plan = plan_preparation(schema, ["code", "x"], spec, get_algorithm("ridge"), frame=df)
    assert "code" not in plan.columns and "name-like" in plan.dropped["code"]
    assert any("code" in w for w in plan.warnings)


def test_high_cardinality_category_suits_the_learner():
    # 150 categories, each on 10 rows: a real category, too many to one-hot in full.
    df = pd.DataFrame({"shop": [f"s{i % 150}" for i in range(1500)]})
    df.loc[:399, "shop"] = "s0"  # s0 is by far the most frequent
    schema = {"shop": Col("categorical")}
    spec = RunSpec(dataset="d", algorithm="ridge")
    linear = plan_preparation(schema, ["shop"], spec, get_algorithm("ridge"), frame=df)
    recipe = linear.columns["shop"]
    assert recipe.encode == "onehot" and len(recipe.categories) == HIGH_CARDINALITY and "s0" in recipe.categories
    assert any("most frequent" in note for note in linear.notes)
    pipe, features = build_preprocessor(schema, ["shop"], spec, get_algorithm("ridge"), frame=df)
    assert pipe.fit_transform(coerce_features(df, features)).shape == (len(df), HIGH_CARDINALITY)
    forest = plan_preparation(schema, ["shop"], spec, get_algorithm("random_forest"), frame=df)
    assert forest.columns["shop"].encode == "ordinal"  # trees can split codes apart
    assert any("ordinal" in note for note in forest.notes)


def test_unseen_category_at_predict_time_does_not_crash():
    pipe, features, X = _prepare()
    pipe.fit(X)
    new = _frame().head(2).assign(city=["Marseille", "Atlantis"])
    out = pipe.transform(coerce_features(new, features))
    names = list(pipe.get_feature_names_out())
    city = [i for i, n in enumerate(names) if n.startswith("city_")]
    assert np.all(out[:, city] == 0.0)


def test_feature_selection_and_pca_steps():
    pipe, _, X = _prepare("ridge", feature_selection="kbest", selection_k=3, task="regression")
    y = np.arange(6, dtype=float)
    assert pipe.fit_transform(X, y).shape == (6, 3)
    pipe, _, X = _prepare("ridge", pca_components=2)
    assert pipe.fit_transform(X).shape == (6, 2)
    with pytest.raises(SpecError, match="kbest"):
        _prepare("kmeans", feature_selection="kbest", task="clustering")


def test_no_usable_column_is_a_clear_error():
    with pytest.raises(SpecError, match="No usable feature"):
        plan_preparation({"comment": Col("text")}, ["comment"], RunSpec(dataset="d", algorithm="ridge"),
                         get_algorithm("ridge"))


def test_datetime_features_of_known_dates():
    dates = pd.to_datetime([
        "1970-01-01 00:00", "2000-02-29 13:30", "2024-12-31 23:00", "1969-12-31 06:00",
        "1900-03-01 00:00", "2038-01-19 03:14",
    ])
    days = ((dates - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    out = DatetimeFeatures().fit_transform(days.reshape(-1, 1))
    expected = np.column_stack([dates.year, dates.month, dates.day, dates.day_of_week, dates.hour])
    np.testing.assert_array_equal(out, expected)
    # float32 input (what coerce_features gives) still lands on the same calendar day
    out32 = DatetimeFeatures().fit_transform(days.astype(np.float32).reshape(-1, 1))
    np.testing.assert_array_equal(out32, expected)
    assert np.isnan(DatetimeFeatures().fit_transform(np.array([[np.nan]]))).all()


def test_custom_transformers_are_sklearn_estimators():
    from sklearn.base import clone

    t = DatetimeFeatures().fit(pd.DataFrame({"when": [0.0, 1.5]}))
    assert list(t.get_feature_names_out()) == [
        "when_year", "when_month", "when_day", "when_dayofweek", "when_hour",
    ]
    assert ToFloat32().fit(np.ones((2, 2))).transform(np.ones((2, 2))).dtype == np.float32
    frame = ToFloat32().set_output(transform="pandas").fit(pd.DataFrame({"a": [1.0]})).transform(
        pd.DataFrame({"a": [1.0]})
    )
    assert list(frame.columns) == ["a"]
    clone(DatetimeFeatures())


def test_fitted_pipeline_round_trips_through_skops():
    import skops.io as sio

    pipe, features, X = _prepare(
        "ridge", preparation={"income": ColumnPrep(clip=(0.0, 5000.0))}
    )
    expected = pipe.fit_transform(X)
    blob = sio.dumps(pipe)
    untrusted = sio.get_untrusted_types(data=blob)
    assert all(t.startswith(("sklearn.", "numpy.", "workbench.engine.", "builtins.")) for t in untrusted)
    assert "workbench.engine.training.preparation.DatetimeFeatures" in untrusted
    loaded = sio.loads(blob, trusted=untrusted)
    np.testing.assert_array_equal(loaded.transform(X), expected)
