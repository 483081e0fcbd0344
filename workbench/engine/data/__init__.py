"""Datasets: reading files into frames, inferring column kinds, profiling.

* :mod:`.loading`  ``load_table`` (CSV/TSV/TXT, Parquet, Excel, JSON lines)
  and ``fingerprint`` (SHA-256 of the file).
* :mod:`.schema`   ``infer_schema`` -> :class:`Schema` of :class:`ColumnType`.
* :mod:`.profile`  ``profile_dataset`` -> :class:`Profile` (statistics,
  histograms, correlations and warnings such as leakage or imbalance).

Submodules are imported on demand; this package itself imports nothing heavy.
"""
