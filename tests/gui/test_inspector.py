"""The dataset inspector: table, columns, profile, sorting, adding files."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from workbench.gui.main_window import TAB_DATA

from workbench.gui.inspector import CORRELATIONS_TAB, TARGET_TAB, WARNINGS_TAB

from .conftest import click_item, open_tab


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
    click_item(qtbot, ins.columns, item)
    panel = ins.profile_panel
    assert panel.title.text() == "x2"
    labels = {panel.form.itemAt(r, panel.form.ItemRole.LabelRole).widget().text()
              for r in range(panel.form.rowCount())
              if panel.form.itemAt(r, panel.form.ItemRole.LabelRole) is not None}
    assert {"Missing:", "Mean:"} <= labels
    # A histogram was drawn for the numeric column, bars for a categorical one.
    assert panel.plot.kind == "histogram" and panel.plot.x_label == "x2"
    click_item(qtbot, ins.columns, ins.columns.findItems("color", Qt.MatchFlag.MatchStartsWith)[0])
    assert panel.plot.kind == "bars"
    assert {"Unique:"} <= {panel.form.itemAt(r, panel.form.ItemRole.LabelRole).widget().text()
                          for r in range(panel.form.rowCount())}
    assert "Mean:" not in {panel.form.itemAt(r, panel.form.ItemRole.LabelRole).widget().text()
                           for r in range(panel.form.rowCount())}


def test_correlation_heatmap_and_target_tab(qtbot, window):
    ins = window.inspector
    open_tab(qtbot, ins.tabs, CORRELATIONS_TAB)
    assert ins.heatmap.matrix.shape[0] >= 2  # numeric columns x1, x2, amount
    window.session.set_target("label")
    open_tab(qtbot, ins.tabs, TARGET_TAB)
    assert "label" in ins.target_plot.getPlotItem().titleLabel.text


def test_hidden_profile_tabs_are_drawn_when_opened(qtbot, window):
    # A profile's arrival redrew the heatmap, the target plot and the warning
    # rows while the Column tab was shown: tens of ms of the GUI thread in one
    # turn for views nobody saw.  They are drawn when their tab is opened.
    ins, session = window.inspector, window.session
    cleared = []
    item = ins.target_plot.getPlotItem()
    real = item.clear
    item.clear = lambda: (cleared.append(True), real())[1]
    click_dataset(qtbot, window, "houses")
    qtbot.waitUntil(lambda: session.dataset == "houses" and session.profile is not None, timeout=20000)
    assert ins.tabs.currentIndex() == 0
    assert cleared == [] and ins.heatmap.matrix.size == 0 and ins.warning_list.count() == 0
    assert ins.tabs.tabText(WARNINGS_TAB).startswith("Warnings (")  # the count is always current
    open_tab(qtbot, ins.tabs, CORRELATIONS_TAB)
    assert ins.heatmap.matrix.shape == (2, 2)
    open_tab(qtbot, ins.tabs, TARGET_TAB)
    assert cleared and "price" in item.titleLabel.text
    open_tab(qtbot, ins.tabs, WARNINGS_TAB)
    assert ins.warning_list.count() >= 1
    # The tab shown is kept current as things change.
    drawn = len(cleared)
    open_tab(qtbot, ins.tabs, TARGET_TAB)
    session.set_target("a")
    assert len(cleared) > drawn and "a" in item.titleLabel.text


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
    # Parsed in the data worker: a big CSV parsed in a thread here held the GIL for 364 ms.
    from workbench.gui.job_runners import ThreadRunner

    added = [e for e in window.jobs.entries() if e.kind == "add-dataset"]
    assert added and all(window.jobs.runner_factory(e) is not ThreadRunner for e in added)


def test_selecting_another_dataset_in_the_tree(qtbot, window):
    item = window.tree.item_for("dataset", "houses")
    click_item(qtbot, window.tree.tree, item)
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
    ins = window.inspector
    # The list gets its badges in the turn after the profile's.
    qtbot.waitUntil(lambda: window.session.dataset == "odd" and window.session.profile is not None
                    and ins.settled, timeout=20000)
    badge = ins.columns.findItems("const", Qt.MatchFlag.MatchStartsWith)[0]
    assert "⚠" in badge.text() and "one value" in badge.toolTip()
    open_tab(qtbot, ins.tabs, WARNINGS_TAB)
    assert ins.warning_list.count() >= 1
    # Choosing a target profiles again: the imbalance warning appears.
    window.session.set_target("y")
    qtbot.waitUntil(lambda: any("imbalanced" in t for t in ins.warning_texts()), timeout=20000)


# -- opening: table first, profile after ------------------------------------------------
import threading  # noqa: E402

import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402


def click_dataset(qtbot, window, name: str) -> None:
    item = window.tree.item_for("dataset", name)
    click_item(qtbot, window.tree.tree, item)


def plot_messages(plot) -> list[str]:
    from workbench.gui.distribution_chart import DistributionChart
    from workbench.gui.plots import Heatmap

    if isinstance(plot, DistributionChart):
        return [plot.message] if plot.kind == "message" else []

    items = plot.plot.items if isinstance(plot, Heatmap) else plot.getPlotItem().items
    return [i.textItem.toPlainText() for i in items if isinstance(i, pg.TextItem) and i.isVisible()]


@pytest.fixture
def held_profiles(monkeypatch):
    """Profile jobs reach their worker process only once the test sets the returned event."""
    from workbench.gui.jobs import JobsModel

    release = threading.Event()
    real = JobsModel.runner_factory

    def held(self, entry):
        factory = real(self, entry)
        if entry.kind != "profile":
            return factory

        def make(job, sink):
            runner = factory(job, sink)
            start = runner.start
            runner.start = lambda: threading.Thread(target=lambda: release.wait(20) and start(), daemon=True).start()
            return runner

        return make

    monkeypatch.setattr(JobsModel, "runner_factory", held)
    yield release
    release.set()


@pytest.fixture
def held_loads(monkeypatch):
    """Full loads of the datasets named in the returned dict wait for its event."""
    from workbench.engine import Project

    gates: dict[str, threading.Event] = {}
    real = Project.load_dataset

    def slow(self, name, ctx=None):
        if name in gates:
            gates[name].wait(20)
        return real(self, name, ctx)

    monkeypatch.setattr(Project, "load_dataset", slow)
    yield gates
    for gate in gates.values():
        gate.set()


def test_the_table_shows_before_the_profile_which_fills_in_later(qtbot, window, held_profiles):
    ins, session = window.inspector, window.session
    # The turn the rows arrive paints the table; the columns list and the
    # column's profile panel come in the next turn, with a paint of their
    # own (one turn of both was ~50 ms on a 5M-row frame).
    in_arrival_turn: list[int] = []
    session.frameLoaded.connect(lambda: in_arrival_turn.append(ins.columns.count()))
    click_dataset(qtbot, window, "houses")
    # The whole frame is loaded (a preview's rows may show a turn earlier).
    qtbot.waitUntil(lambda: session.dataset == "houses" and ins.model.rowCount() == 300
                    and session.frame is not None, timeout=20000)
    assert in_arrival_turn == [0]
    qtbot.waitUntil(lambda: ins.settled, timeout=2000)
    # Rows are there, the profile is not: every profile view says so.
    assert session.profiling and session.profile is None
    assert "300 rows × 3 columns" in ins.title.text() and "profiling" in ins.title.text()
    assert [ins.columns.item(i).text() for i in range(ins.columns.count())] == ["a", "b", "price"]
    assert ins.profile_panel.title.text() == "a"
    assert any("Profiling 300 rows" in m for m in plot_messages(ins.profile_panel.plot))
    open_tab(qtbot, ins.tabs, CORRELATIONS_TAB)
    assert any("Profiling" in m for m in plot_messages(ins.heatmap))
    assert ins.tabs.tabText(3) == "Warnings (…)"
    assert ins.heatmap.matrix.size == 0
    held_profiles.set()
    qtbot.waitUntil(lambda: session.profile is not None and ins.settled, timeout=20000)
    assert not session.profiling and "profiling" not in ins.title.text()
    # houses' last column, price, is the guessed target: the heatmap shows the features.
    assert ins.heatmap.matrix.shape == (2, 2)
    assert not ins.heatmap.message.isVisible()
    labels = {ins.profile_panel.form.itemAt(r, ins.profile_panel.form.ItemRole.LabelRole).widget().text()
              for r in range(ins.profile_panel.form.rowCount())}
    assert {"Mean:", "Missing:"} <= labels
    assert not plot_messages(ins.profile_panel.plot)  # a histogram instead
    assert ins.tabs.tabText(3).startswith("Warnings (")


def test_the_profile_views_draw_once_when_the_frame_arrives(qtbot, window, held_profiles, monkeypatch):
    # The frame's arrival, the form's restore and the profile's start each
    # asked the column panel and the target plot to draw: the same picture
    # two or three times in the one turn the frame arrives (each pyqtgraph
    # redraw is milliseconds of the GUI thread), first saying "No profile".
    ins, session = window.inspector, window.session
    open_tab(qtbot, ins.tabs, TARGET_TAB)  # the column panel is drawn on any tab
    drawn: list[tuple[str, bool]] = []
    chart = ins.profile_panel.plot
    def spy(real):
        return lambda *args: (drawn.append(("column", session.frame is not None)), real(*args))[1]

    for method in ("show_message", "show_histogram", "show_bars"):
        monkeypatch.setattr(chart, method, spy(getattr(chart, method)))
    item = ins.target_plot.getPlotItem()
    monkeypatch.setattr(item, "clear", lambda _real=item.clear: (
        drawn.append(("target", session.frame is not None)), _real())[1])
    click_dataset(qtbot, window, "houses")
    qtbot.waitUntil(lambda: session.dataset == "houses" and session.frame is not None, timeout=20000)
    qtbot.wait(50)
    with_frame = [name for name, loaded in drawn if loaded]
    assert sorted(with_frame) == ["column", "target"]
    assert any("Profiling 300 rows" in m for m in plot_messages(ins.profile_panel.plot))
    assert any("Profiling" in m for m in plot_messages(ins.target_plot))
    drawn.clear()
    held_profiles.set()
    qtbot.waitUntil(lambda: session.profile is not None and ins.settled, timeout=20000)
    qtbot.wait(50)  # nothing more comes
    assert sorted(name for name, _ in drawn) == ["column", "target"]  # the histograms
    assert not plot_messages(ins.profile_panel.plot)


def test_the_roles_lists_are_filled_once_when_a_dataset_arrives(qtbot, window, monkeypatch):
    # The frame's signal came before its form: the roles panel filled its
    # features list and preparation table with no target, then again with
    # the form's, in the same turn (3 ms each on 20 columns).  And it filled
    # them in the turn the frame arrived, behind the Data tab (~9 ms on 50
    # columns): now they are filled when the Model tab is opened.
    from workbench.gui.main_window import TAB_MODEL

    session, roles = window.session, window.roles
    fills: list[tuple[bool, str | None]] = []
    real = roles._fill_prep
    monkeypatch.setattr(roles, "_fill_prep", lambda: (fills.append((session.frame is not None, session.target)),
                                                       real())[1])
    click_dataset(qtbot, window, "houses")
    qtbot.waitUntil(lambda: session.dataset == "houses" and session.frame is not None, timeout=20000)
    qtbot.wait(50)
    assert window.tabs.currentIndex() == TAB_DATA and fills == []
    window.tabs.setCurrentIndex(TAB_MODEL)
    assert [f for f in fills if f[0]] == [(True, session.target)]
    assert session.target is not None and roles.target_combo.currentData() == session.target
    assert roles.features.count() == len(session.columns()) - 1


def test_a_preview_of_the_first_rows_shows_while_all_rows_load(qtbot, window, held_loads, monkeypatch):
    import workbench.gui.session as session_module

    monkeypatch.setattr(session_module, "PREVIEW_ROWS", 50)
    ins, session = window.inspector, window.session
    click_dataset(qtbot, window, "houses")
    qtbot.waitUntil(lambda: session.dataset == "houses" and session.frame is not None, timeout=20000)
    # customers was loaded once when the project opened: its cache is fresh.
    held_loads["customers"] = threading.Event()
    click_dataset(qtbot, window, "customers")
    qtbot.waitUntil(lambda: ins.model.rowCount() == 50, timeout=20000)
    assert session.frame is None
    assert "loading 400 rows" in ins.title.text() and "first 50" in ins.title.text()
    assert ins.model.columnCount() == 5
    # The person scrolled the preview: the whole frame adds the rows below,
    # it does not reset the table (a reset lays out every visible cell again
    # and would send them back to the top).
    ins.table.scrollTo(ins.model.index(40, 0))
    scrolled = ins.table.verticalScrollBar().value()
    assert scrolled > 0
    resets = []
    ins.model.modelReset.connect(lambda: resets.append(True))
    held_loads["customers"].set()
    qtbot.waitUntil(lambda: ins.model.rowCount() == 400, timeout=20000)
    assert ins.model.frame() is session.frame
    assert "400 rows × 5 columns" in ins.title.text()
    assert resets == [] and ins.table.verticalScrollBar().value() == scrolled
    # Column kinds arrive with the frame: the headers' tooltips say them.
    assert "(numeric)" in ins.model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


def test_switching_datasets_mid_load_shows_the_last_one_chosen(qtbot, window, held_loads, held_profiles):
    ins, session = window.inspector, window.session
    held_loads["houses"] = threading.Event()
    click_dataset(qtbot, window, "houses")
    qtbot.waitUntil(lambda: any(e.kind == "load" and e.title == "Load houses" and e.state.value == "running"
                                for e in window.jobs.entries()), timeout=10000)
    click_dataset(qtbot, window, "customers")  # while houses is still loading
    held_loads["houses"].set()
    held_profiles.set()
    qtbot.waitUntil(lambda: window.jobs.is_idle() and session.profile is not None, timeout=30000)
    assert session.dataset == "customers"
    assert ins.model.columnCount() == 5 and ins.model.rowCount() == 400
    assert ins.title.text().startswith("customers")
    assert "price" not in session.profile["columns"]
    houses_load = [e for e in window.jobs.entries() if e.title == "Load houses"][-1]
    assert houses_load.state.value == "cancelled"


def test_nothing_is_computed_from_the_data_on_the_gui_thread(qtbot, window, monkeypatch):
    # Profile views read the profile only: a value count or a correlation
    # of a 5M-row frame on the GUI thread freezes the window for seconds.
    import pandas as pd

    on_gui_thread = []
    for cls, name in ((pd.Series, "value_counts"), (pd.Series, "nunique"), (pd.DataFrame, "corr"),
                      (pd.Series, "isna"), (pd.DataFrame, "select_dtypes")):
        real = getattr(cls, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            if threading.current_thread() is threading.main_thread():
                on_gui_thread.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(cls, name, spy)
    ins, session = window.inspector, window.session
    click_dataset(qtbot, window, "houses")
    qtbot.waitUntil(lambda: session.dataset == "houses" and session.profile is not None, timeout=20000)
    for column in ("b", "price"):
        ins.select_column(column)
    session.set_target("price")
    qtbot.waitUntil(window.jobs.is_idle, timeout=20000)
    click_dataset(qtbot, window, "customers")
    qtbot.waitUntil(lambda: session.dataset == "customers" and session.profile is not None, timeout=20000)
    session.set_target("label")
    for column in ("color", "label", "x2"):
        ins.select_column(column)
    qtbot.waitUntil(window.jobs.is_idle, timeout=20000)
    for tab in (CORRELATIONS_TAB, TARGET_TAB, WARNINGS_TAB):
        open_tab(qtbot, ins.tabs, tab)
    assert ins.target_plot.getPlotItem().listDataItems() or ins.target_plot.getPlotItem().items
    assert on_gui_thread == []


def test_the_jobs_panel_keeps_loads_and_profiles_but_not_previews(qtbot, window):
    # A preview is over in milliseconds; one row per dataset click would bury
    # the jobs a person follows.
    click_dataset(qtbot, window, "houses")
    qtbot.waitUntil(lambda: window.session.dataset == "houses" and window.session.profile is not None, timeout=20000)
    click_dataset(qtbot, window, "customers")
    qtbot.waitUntil(lambda: window.session.dataset == "customers" and window.session.profile is not None,
                    timeout=20000)
    qtbot.waitUntil(window.jobs.is_idle, timeout=20000)
    titles = [e.title for e in window.jobs.entries()]
    assert any(t.startswith("Load customers") for t in titles)
    assert any(t.startswith("Profile customers") for t in titles)
    assert not any(t.startswith("Preview") for t in titles)


def test_data_problems_appear_as_warnings_with_one_click_actions(qtbot, tmp_path):
    """Duplicates, near-copies, numbers read as text: named, and dropped or ignored in one click."""
    import numpy as np
    import pandas as pd

    from workbench.engine import Project
    from workbench.gui.inspector import WarningActions
    from workbench.gui.main_window import MainWindow

    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"height_cm": rng.normal(170, 10, n), "weight": rng.normal(70, 8, n),
                       "price": rng.gamma(2, 10, n).round(2).astype(str), "label": rng.choice(["a", "b"], n)})
    df["height_in"] = df["height_cm"] / 2.54
    df.loc[40, "price"] = "price"  # a header line pasted into the middle
    df = pd.concat([df, df.iloc[:2]], ignore_index=True)
    df.to_csv(tmp_path / "people.csv", index=False)
    project = Project.init(tmp_path / "proj", name="p")
    project.add_dataset(tmp_path / "people.csv")
    window = MainWindow(project.root)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.session.profile is not None and not window.session.profiling, timeout=20000)
        ins = window.inspector
        open_tab(qtbot, ins.tabs, WARNINGS_TAB)
        rows = dict(zip(ins.warning_texts(), (ins.warning_list.itemWidget(ins.warning_list.item(i))
                                               for i in range(ins.warning_list.count()))))
        text = "\n".join(rows)
        assert "repeat an earlier row" in text
        assert "'height_cm' and 'height_in'" in text
        assert "'price'" in text and "row(s) 41" in text
        pair = next(w for t, w in rows.items() if "height_in" in t)
        assert isinstance(pair, WarningActions) and "height_in" in window.session.features
        qtbot.mouseClick(pair.drop_button, Qt.MouseButton.LeftButton)
        assert "height_in" not in window.session.features
        before = ins.warning_list.count()
        dup = next(w for t, w in rows.items() if "repeat an earlier row" in t)
        qtbot.mouseClick(dup.ignore_button, Qt.MouseButton.LeftButton)
        assert ins.warning_list.count() == before - 1
        assert "1 ignored" in ins.tabs.tabText(3)
    finally:
        window.shutdown()


def test_a_dataset_left_does_not_stay_in_memory(qtbot, window):
    # Every frame opened stayed alive while its "Load" row was in the jobs
    # panel (the row kept the job's value and the profile's on_done its
    # frame): switching between two 5M-row datasets grew by 800 MB a click.
    import gc
    import weakref

    session = window.session
    left = []
    for name in ("houses", "customers", "houses", "customers"):
        left.append(weakref.ref(session.frame))
        click_dataset(qtbot, window, name)
        qtbot.waitUntil(lambda name=name: session.dataset == name and session.frame is not None
                        and window.jobs.is_idle(), timeout=20000)
    gc.collect()
    assert [ref() is None for ref in left] == [True] * 4
    assert any(e.kind == "load" for e in window.jobs.entries())  # the rows are still listed


def test_a_new_frame_paints_the_table_once(qtbot, window):
    # Qt lays a view out from a timer after its model is reset; the first
    # paint came before that, with the old row numbers' width, and the layout
    # then repainted the whole table: two paints of every visible cell in
    # the turn a dataset arrives (~8-15 ms each on the bench's 5M rows).
    import pandas as pd

    from .conftest import PaintCounter

    ins = window.inspector
    paints = PaintCounter(ins.table.viewport())
    qtbot.wait(50)
    paints.n = 0
    bigger = pd.concat([window.session.frame] * 25, ignore_index=True)  # 10,000 rows: wider row numbers
    ins.model.set_frame(bigger)
    qtbot.wait(300)
    assert paints.n == 1
    # A preview's rows, then the whole frame added below them (as a big dataset opens).
    ins.model.set_frame(bigger.head(50).copy())
    qtbot.wait(300)
    paints.n = 0
    ins.model.extend_frame(bigger)
    qtbot.wait(300)
    assert paints.n == 1
