"""The DataFrame table model: lazy cells, pandas sorting, copy as TSV."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from workbench.gui.table_model import DataFrameModel, format_value, sort_order


def big_frame(n: int = 1_000_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "x": rng.normal(size=n),
        "k": np.arange(n, dtype=np.int64),
        "s": pd.Series(np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n)]),
    })


def test_million_rows_answer_data_without_materialising(qtbot, monkeypatch):
    df = big_frame()
    # Converting a frame to a full cell matrix would go through to_numpy()
    # on the frame or values; fail loudly if the model ever does that.
    monkeypatch.setattr(pd.DataFrame, "to_numpy", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    start = time.perf_counter()
    model = DataFrameModel()
    model.set_frame(df)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    assert model.rowCount() == 1_000_000
    last = model.index(999_999, 1)
    assert model.data(last) == "999999"
    assert model.data(model.index(5, 2)) in {"a", "b", "c", "d"}
    assert time.perf_counter() - start < 3.0


def test_sort_by_column_is_a_permutation_done_by_pandas(qtbot):
    df = pd.DataFrame({"v": [3.0, np.nan, 1.0, 2.0], "name": ["c", "x", "a", "b"]})
    model = DataFrameModel(df)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert [model.data(model.index(r, 1)) for r in range(4)] == ["a", "b", "c", "x"]  # missing last
    # The row header keeps the file row number so a person can find the row.
    assert model.headerData(0, Qt.Orientation.Vertical) == "3"
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert [model.data(model.index(r, 0)) for r in range(3)] == ["3", "2", "1"]
    model.set_order(None)
    assert model.data(model.index(0, 1)) == "c"


def test_mixed_type_column_sorts_as_text():
    df = pd.DataFrame({"m": pd.Series([2, "b", 1, "a"], dtype=object)})
    order = sort_order(df, 0)
    assert sorted(order.tolist()) == [0, 1, 2, 3]


def test_missing_values_are_blank_and_tinted():
    df = pd.DataFrame({"x": [1.5, np.nan], "s": ["a", None]})
    model = DataFrameModel(df)
    assert model.data(model.index(1, 0)) == ""
    assert model.data(model.index(1, 1)) == ""
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None
    assert format_value(0.1234567891) == "0.123457"


def test_copy_text_is_tab_separated():
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    model = DataFrameModel(df)
    assert model.copy_text([0, 1], [0, 1]) == "1\tx\n2\ty"
