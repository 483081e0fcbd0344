"""The dataset inspector: table, columns, profile, sorting, adding files."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from workbench.gui.main_window import TAB_DATA


def test_opening_a_project_shows_its_first_dataset(window):
    ins = window.inspector
    assert window.tabs.currentIndex() == TAB_DATA
    assert "400 rows" in ins.title.text()
    assert ins.model.rowCount() == 400
    columns = [ins.columns.item(i).data(Qt.ItemDataRole.UserRole) for i in range(ins.columns.count())]
    assert columns == ["x1", "x2", "color", "amount", "label"]


def test_column_search_filters_the_list(qtbot, window):
    ins = window.inspector
    qtbot.keyClicks(ins.search, "x")
    visible = [ins.columns.item(i).text() for i in range(ins.columns.count()) if not ins.columns.item(i).isHidden()]
    assert visible == ["x1", "x2"]
    ins.search.clear()
    assert all(not ins.columns.item(i).isHidden() for i in range(ins.columns.count()))


def test_selecting_a_column_shows_its_profile(qtbot, window):
    ins = window.inspector
    item = ins.columns.findItems("x2", Qt.MatchFlag.MatchStartsWith)[0]
    rect = ins.columns.visualItemRect(item)
    qtbot.mouseClick(ins.columns.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    panel = ins.profile_panel
    assert panel.title.text() == "x2"
    labels = {panel.form.itemAt(r, panel.form.ItemRole.LabelRole).widget().text()
              for r in range(panel.form.rowCount())
              if panel.form.itemAt(r, panel.form.ItemRole.LabelRole) is not None}
    assert {"Missing:", "Mean:"} <= labels
    # A histogram was drawn for the numeric column.
    assert panel.plot.getPlotItem().listDataItems() or panel.plot.getPlotItem().items


def test_correlation_heatmap_and_target_tab(qtbot, window):
    ins = window.inspector
    assert ins.heatmap.matrix.shape[0] >= 2  # numeric columns x1, x2, amount
    window.session.set_target("label")
    assert "label" in ins.target_plot.getPlotItem().titleLabel.text


def test_header_click_sorts_the_table(qtbot, window):
    ins = window.inspector
    header = ins.table.horizontalHeader()
    x = header.sectionViewportPosition(0) + header.sectionSize(0) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    values = [float(ins.model.data(ins.model.index(r, 0))) for r in range(20)]
    assert values == sorted(values) or values == sorted(values, reverse=True)


def test_malformed_file_shows_the_engine_message_inline(qtbot, window, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02\x03binary\x00garbage" * 50)
    ins = window.inspector
    ins.add_files([str(bad)])
    qtbot.waitUntil(lambda: ins.error.isVisible(), timeout=20000)
    assert "broken.csv" in ins.error.text() or "binary" in ins.error.text().lower()
    assert "broken" not in window.project.datasets()
    assert window.isVisible()  # the window keeps running


def test_dropping_a_file_adds_and_selects_it(qtbot, window, tmp_path):
    good = tmp_path / "extra.csv"
    good.write_text("a,b\n1,2\n3,4\n5,6\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(good))])
    ins = window.inspector
    event = QDropEvent(ins.rect().center().toPointF(), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    ins.dropEvent(event)
    qtbot.waitUntil(lambda: "extra" in window.project.datasets(), timeout=20000)
    qtbot.waitUntil(lambda: window.session.dataset == "extra" and window.session.frame is not None, timeout=20000)
    assert ins.model.rowCount() == 3
    assert window.tree.item_for("dataset", "extra") is not None


def test_selecting_another_dataset_in_the_tree(qtbot, window):
    item = window.tree.item_for("dataset", "houses")
    rect = window.tree.tree.visualItemRect(item)
    qtbot.mouseClick(window.tree.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.session.dataset == "houses" and window.session.frame is not None, timeout=20000)
    assert window.inspector.model.columnCount() == 3


def test_big_frames_sort_in_a_worker(qtbot, window, monkeypatch):
    import workbench.gui.inspector as inspector_module

    monkeypatch.setattr(inspector_module, "SYNC_SORT_MAX_ROWS", 10)
    ins = window.inspector
    ins.table.horizontalHeader().setSortIndicator(3, Qt.SortOrder.DescendingOrder)  # amount
    qtbot.waitUntil(lambda: any(e.kind == "sort" and e.state.finished for e in window.jobs.entries()), timeout=10000)
    values = [float(ins.model.data(ins.model.index(r, 3))) for r in range(30)]
    assert values == sorted(values, reverse=True)


def test_profile_warnings_are_shown_next_to_their_columns(qtbot, window, tmp_path):
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"const": 1, "x": np.arange(60) % 7, "y": ["a"] * 57 + ["b"] * 3})
    frame.to_csv(tmp_path / "odd.csv", index=False)
    window.inspector.add_files([str(tmp_path / "odd.csv")])
    qtbot.waitUntil(lambda: window.session.dataset == "odd" and window.session.profile is not None, timeout=20000)
    ins = window.inspector
    badge = ins.columns.findItems("const", Qt.MatchFlag.MatchStartsWith)[0]
    assert "⚠" in badge.text() and "one value" in badge.toolTip()
    assert ins.warning_list.count() >= 1
    # Choosing a target profiles again: the imbalance warning appears.
    window.session.set_target("y")
    qtbot.waitUntil(lambda: any("imbalanced" in ins.warning_list.item(i).text()
                                for i in range(ins.warning_list.count())), timeout=20000)
