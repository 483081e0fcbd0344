"""The unfitted preparation pipeline of a run, built from its plan.

:func:`build_preprocessor` asks :func:`~workbench.engine.training.preparation.plan_preparation`
what to do with each column and assembles the scikit-learn pipeline (layout
and defaults in that module's docstring).
"""

from __future__ import annotations

from typing import Any

from workbench.engine.errors import SpecError
from workbench.engine.model import FeatureInfo
from workbench.engine.training.preparation import (
    Clip,
    ColumnRecipe,
    DatetimeFeatures,
    MissingValues,
    ParseNumbers,
    PreparationPlan,
    ToFloat32,
    plan_preparation,
)

_SCALERS = {"standard": "StandardScaler", "minmax": "MinMaxScaler", "robust": "RobustScaler"}


def _steps(recipe: ColumnRecipe, columns: list[str]) -> list[tuple[str, Any]]:
    from sklearn import preprocessing
    from sklearn.impute import SimpleImputer

    steps: list[tuple[str, Any]] = []
    if recipe.missing:
        steps.append(("missing", MissingValues(recipe.missing)))
    if recipe.from_text:
        steps.append(("parse", ParseNumbers(tuple(columns))))
    if recipe.kind == "categorical":
        if recipe.impute != "none":
            strategy = "constant" if recipe.impute not in ("most_frequent",) else "most_frequent"
            steps.append(("impute", SimpleImputer(
                missing_values="", strategy=strategy, fill_value=recipe.fill_value,
            )))
        if recipe.encode == "ordinal":
            steps.append(("encode", preprocessing.OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1,
            )))
        elif recipe.categories is not None:
            steps.append(("encode", preprocessing.OneHotEncoder(
                categories=[list(recipe.categories)], handle_unknown="ignore", sparse_output=False,
            )))
        else:
            steps.append(("encode", preprocessing.OneHotEncoder(
                handle_unknown="ignore", sparse_output=False,
            )))
        return steps
    if recipe.impute != "none":
        if recipe.impute == "constant":
            imputer = SimpleImputer(strategy="constant", fill_value=recipe.fill_value or 0.0)
        else:
            imputer = SimpleImputer(strategy=recipe.impute)
        # keep_empty_features: an all-missing column keeps its slot (stable layout).
        imputer.set_params(keep_empty_features=True)
        steps.append(("impute", imputer))
    if recipe.clip is not None:
        steps.append(("clip", Clip(*recipe.clip)))
    if recipe.kind == "datetime":
        steps.append(("parts", DatetimeFeatures()))
    if recipe.scale != "none":
        steps.append(("scale", getattr(preprocessing, _SCALERS[recipe.scale])()))
    return steps


def _group_name(recipe: ColumnRecipe, taken: set[str]) -> str:
    base = {"numeric": "num", "boolean": "bool", "datetime": "date", "categorical": "cat"}[recipe.kind]
    name, i = base, 2
    while name in taken:
        name, i = f"{base}{i}", i + 1
    taken.add(name)
    return name


def build_preprocessor(
    schema: Any,
    features: list[str],
    spec: Any,
    algorithm: Any,
    *,
    task: str | None = None,
    frame: Any = None,
) -> tuple[Any, list[FeatureInfo]]:
    """An unfitted preparation pipeline and the features it consumes.

    See the module docstring for the layout and defaults, and
    :func:`plan_preparation` for the parameters (``task`` overrides
    ``spec.task``; it picks the SelectKBest score function).  The dropped
    columns and notable decisions are in ``plan_preparation(...).log_lines()``.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    plan = plan_preparation(schema, features, spec, algorithm, frame=frame)
    groups: dict[ColumnRecipe, list[str]] = {}
    for column, recipe in plan.columns.items():
        groups.setdefault(recipe, []).append(column)
    taken: set[str] = set()
    entries = []
    for recipe, columns in groups.items():
        steps = _steps(recipe, columns)
        step = Pipeline(steps) if steps else "passthrough"
        entries.append((_group_name(recipe, taken), step, columns))
    columns = ColumnTransformer(
        entries,
        sparse_threshold=0,
        verbose_feature_names_out=_needs_prefixes(plan),
    )
    pipeline_steps: list[tuple[str, Any]] = [("columns", columns)]
    pipeline_steps += _selection_steps(spec, task or getattr(spec, "task", None))
    pipeline_steps.append(("float32", ToFloat32()))
    return Pipeline(pipeline_steps), plan.features


def _needs_prefixes(plan: PreparationPlan) -> bool:
    """Prefix output names ("cat__city_Paris") only if bare names could collide.

    One-hot outputs are named ``<column>_<category>``; that can equal another
    column's name only if that name starts with ``<column>_``.
    """
    onehot = [c for c, r in plan.columns.items() if r.kind == "categorical" and r.encode == "onehot"]
    dated = [c for c, r in plan.columns.items() if r.kind == "datetime"]
    return any(
        other != c and other.startswith(c + "_") for c in onehot + dated for other in plan.columns
    )


def _selection_steps(spec: Any, task: str | None) -> list[tuple[str, Any]]:
    steps: list[tuple[str, Any]] = []
    selection = getattr(spec, "feature_selection", "none") or "none"
    if selection == "variance":
        from sklearn.feature_selection import VarianceThreshold

        steps.append(("select", VarianceThreshold(threshold=0.0)))
    elif selection == "kbest":
        from sklearn.feature_selection import SelectKBest, f_classif, f_regression

        if task not in ("classification", "regression"):
            raise SpecError(
                "feature_selection=kbest scores features against the target, so it needs a "
                f"classification or regression task (got {task or 'no task'})."
            )
        score = f_classif if task == "classification" else f_regression
        steps.append(("select", SelectKBest(score, k=int(spec.selection_k))))
    elif selection != "none":
        raise SpecError(f"feature_selection must be none, variance or kbest; got '{selection}'.")
    if getattr(spec, "pca_components", None):
        from sklearn.decomposition import PCA

        steps.append(("pca", PCA(n_components=int(spec.pca_components), random_state=getattr(spec, "seed", 0))))
    return steps
