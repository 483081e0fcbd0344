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


def test_extending_a_preview_inserts_the_rows_below_and_keeps_the_shown_ones(qtbot):
    df = pd.DataFrame({"a": np.arange(1000.0), "b": ["x"] * 1000})
    model = DataFrameModel()
    model.set_frame(df.head(10))
    resets, inserted = [], []
    model.modelReset.connect(lambda: resets.append(True))
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    model.extend_frame(df, {"a": "numeric", "b": "categorical"})
    assert (resets, inserted) == ([], [(10, 999)])
    assert model.rowCount() == 1000 and model.data(model.index(999, 0)) == "999"
    assert "(categorical)" in model.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    # Anything but "the same table with more rows" is a reset: other columns, other types, a sorted preview.
    for shown, new in ((df.head(10), df[["b", "a"]]), (df.head(10), df.astype({"a": "int64"}))):
        model.set_frame(shown)
        resets.clear()
        model.extend_frame(new)
        assert resets == [True] and model.frame() is new
    model.set_frame(df.head(10))
    model.sort(0, Qt.SortOrder.DescendingOrder)
    resets.clear()
    model.extend_frame(df)
    assert resets == [True] and model.data(model.index(0, 0)) == "0"


def _cell_color(view: QTableView, row: int, column: int):
    rect = view.visualRect(view.model().index(row, column))
    image = view.viewport().grab().toImage()
    return image.pixelColor(rect.right() - 3, rect.center().y())


def test_painted_cells_show_what_the_model_says(qtbot):
    # The view paints through multiData (one call per cell): the text, a
    # missing cell's tint and a subclass's own roles reach the screen.
    from workbench.gui.predict_view import PredictionsModel

    df = pd.DataFrame({"x": [1.5, np.nan, 2.5, 3.5], "s": ["a", "b", "c", "d"]})
    model = PredictionsModel()
    model.set_predictions(df, np.array([False, False, True, False]), "input had a problem")
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    plain = _cell_color(view, 0, 1)
    assert _cell_color(view, 1, 0) != plain  # missing: tinted
    assert _cell_color(view, 2, 1) != plain  # a problem row: tinted
    # Qt reuses the role slots from cell to cell: nothing leaks to the next one.
    assert _cell_color(view, 1, 1) == plain
    assert _cell_color(view, 3, 0) == _cell_color(view, 3, 1) == plain
    assert model.data(model.index(2, 0), Qt.ItemDataRole.ToolTipRole) == "input had a problem"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
