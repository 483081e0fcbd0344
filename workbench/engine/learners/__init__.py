"""The catalog entries (``workbench.engine.learners``), one module per family.

Importing this package registers every entry with
:func:`workbench.engine.catalog.register`.  Estimator libraries
(scikit-learn, XGBoost) are imported only inside the factories and fitters,
so listing the catalog stays cheap (the window must show fast).
"""

from workbench.engine.learners import (  # noqa: F401  (imported for their register() calls)
    linear,
    svm,
    neighbors,
    bayes,
    trees,
    boosting,
    xgb,
    neural,
    clustering,
    ensembles,
    baseline,
)
