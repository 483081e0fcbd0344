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


class CountingModel(DataFrameModel):
    def __init__(self, frame=None) -> None:
        super().__init__(frame)
        self.header_calls = 0

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt API
        self.header_calls += 1
        return super().headerData(section, orientation, role)


def test_a_big_table_gets_its_row_numbers_width_without_asking_every_row(qtbot):
    # QHeaderView sizes itself from the labels of its first and last 100
    # rows, 8 roles each: ~1,600 Python calls at every reset of a big table.
    from workbench.gui.widgets import number_rows

    df = pd.DataFrame({"x": np.arange(123_456.0)})
    views = []
    for numbered in (False, True):
        model = CountingModel()
        view = number_rows(QTableView()) if numbered else QTableView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.resize(400, 300)
        view.show()
        qtbot.waitExposed(view)
        model.header_calls = 0
        model.set_frame(df)
        view.viewport().repaint()
        qtbot.wait(20)
        views.append((view, model.header_calls))
    (plain, plain_calls), (numbered, numbered_calls) = views
    assert numbered.verticalHeader().width() == plain.verticalHeader().width() > 30  # the same look
    assert numbered_calls < 500 < plain_calls


def test_cell_texts_made_by_the_block_are_each_cells_own_text():
    from workbench.gui.table_model import TEXT_BLOCK

    n = TEXT_BLOCK * 3 + 5
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "f": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        "f32": rng.normal(size=n).astype(np.float32),
        "i": np.arange(n),
        "b": rng.random(n) < 0.5,
        "s": pd.array(np.where(rng.random(n) < 0.1, None, "t" + pd.Series(range(n)).astype(str)), dtype="string"),
        "a": pd.array(["x", None] * (n // 2) + ["x"] * (n % 2), dtype="string[pyarrow]"),
        "n": pd.array([1, None] * (n // 2) + [1] * (n % 2), dtype="Int64"),
        "d": pd.date_range("2024-01-01", periods=n, freq="h").where(rng.random(n) > 0.1),
        "c": pd.Categorical(rng.choice(["lo", "hi"], n)),
    })
    model = DataFrameModel(df)

    def each_cell():
        return [[format_value(model.value(r, c)) for c in range(df.shape[1])] for r in range(n)]

    def shown():
        return [[model.data(model.index(r, c)) for c in range(df.shape[1])] for r in range(n)]

    assert shown() == each_cell()
    model.sort(0, Qt.SortOrder.DescendingOrder)  # a permutation: the blocks are made again
    assert shown() == each_cell()
    assert model.data(model.index(n - 1, 0)) == ""  # missing sorts last
    model.set_order(None)
    model.extend_frame(pd.concat([df, df.head(3)], ignore_index=True))
    assert model.data(model.index(n + 2, 2)) == "2"  # the last block grew


def test_the_layout_hook_of_a_table_goes_with_the_table(qtbot):
    # lay_out_at_once connects the model to its view; a model that outlives
    # its view (the inspector's has no parent) must not call into a deleted one.
    # (pytest-qt fails the test on an exception raised in a slot.)
    import shiboken6

    from workbench.gui.widgets import lay_out_at_once, number_rows

    model = DataFrameModel(pd.DataFrame({"a": range(10)}))
    view = number_rows(QTableView())
    view.setModel(model)
    lay_out_at_once(view)
    shiboken6.delete(view)
    model.set_frame(pd.DataFrame({"a": range(1000)}))  # a reset: no slot left to run
    assert model.rowCount() == 1000
