"""The catalog entries (``workbench.engine.learners``), one module per family.

:data:`ALGORITHMS` is the catalog's explicit list, in the order front ends
show it; a new entry is added here.  Estimator libraries (scikit-learn,
XGBoost) are imported only inside the factories and fitters, so listing the
catalog stays cheap (the window must show fast).
"""

from workbench.engine.learners import (
    baseline,
    bayes,
    boosting,
    catboost_entry,
    clustering,
    ensembles,
    lgbm,
    linear,
    neighbors,
    neural,
    svm,
    trees,
    xgb,
)
from workbench.engine.learners.base import Algorithm

ALGORITHMS: tuple[Algorithm, ...] = (
    linear.LOGISTIC_REGRESSION,
    linear.LINEAR_REGRESSION,
    linear.RIDGE,
    linear.LASSO,
    linear.ELASTIC_NET,
    linear.SGD,
    svm.SVM,
    neighbors.KNN,
    bayes.NAIVE_BAYES,
    trees.DECISION_TREE,
    trees.RANDOM_FOREST,
    trees.EXTRA_TREES,
    boosting.GRADIENT_BOOSTING,
    boosting.HIST_GRADIENT_BOOSTING,
    xgb.XGBOOST,
    lgbm.LIGHTGBM,
    catboost_entry.CATBOOST,
    neural.MLP,
    clustering.KMEANS,
    clustering.AGGLOMERATIVE,
    ensembles.BAGGING,
    ensembles.VOTING,
    ensembles.STACKING,
    baseline.BASELINE,
)
