"""Compare several algorithms on the same split or the same CV folds.

``job`` runs one normal training run per algorithm (they appear in
``workbench runs``); ``stats`` holds the paired test that says which rows are
not significantly worse than the best.
"""
