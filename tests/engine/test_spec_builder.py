"""One RunSpec builder for the form, the train/tune flags and compare."""

from __future__ import annotations

import pytest

from workbench.engine import SpecError, build_run_spec


def test_typed_values_and_command_line_text_give_the_same_spec():
    typed = build_run_spec("penguins", "random_forest", target="sex", params={"n_estimators": 50, "max_depth": None})
    texts = build_run_spec("penguins", "random_forest", target="sex", param_texts=["n_estimators=50", "max_depth=none"])
    assert typed == texts
    assert typed.params == {"n_estimators": 50, "max_depth": None}


def test_the_projects_default_target_is_used_when_none_is_given():
    assert build_run_spec("penguins", "logistic_regression", default_target="sex").target == "sex"


def test_a_clustering_run_needs_no_target():
    spec = build_run_spec("penguins", "kmeans", task="clustering", target="sex")
    assert spec.target is None and spec.task == "clustering"


@pytest.mark.parametrize(("dataset", "algorithm", "words"), [
    ("", "ridge", "dataset"),
    ("penguins", None, "algorithm"),
    ("penguins", "ridge", "column to predict"),
    ("penguins", "randm_forest", "Did you mean 'random_forest'"),
])
def test_an_incomplete_choice_says_what_is_missing(dataset, algorithm, words):
    with pytest.raises(SpecError, match=words):
        build_run_spec(dataset, algorithm)


def test_invalid_values_are_refused_by_the_catalog_and_the_spec():
    with pytest.raises(SpecError, match="n_estimators"):
        build_run_spec("penguins", "random_forest", target="sex", param_texts=["n_estimators=0"])
    with pytest.raises(SpecError, match="test-size"):
        build_run_spec("penguins", "ridge", target="bill", test_size=1.5)
