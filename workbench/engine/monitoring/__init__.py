"""Drift monitoring: a reference profile of the training rows, stored with
each run, and the comparison of new data with it (numpy/scipy only)."""
