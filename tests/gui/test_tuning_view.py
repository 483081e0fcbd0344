"""The tuning views: live trials, best-so-far curve, train best, setup form."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from workbench.engine import Log, get_algorithm  # noqa: E402
from workbench.engine.jobs.events import Trial  # noqa: E402
from workbench.gui.tuning_view import TuningSetupWidget, TuningView  # noqa: E402

SCORES = [0.80, None, 0.86, 0.83, 0.91, 0.88]


def trial_events():
    best = None
    for n, score in enumerate(SCORES):
        if score is not None:
            best = score if best is None else max(best, score)
        yield Trial(number=n, params={"max_depth": 2 + n, "criterion": "gini" if n % 2 else "entropy"},
                    score=score, score_std=None if score is None else 0.01,
                    state="complete" if score is not None else "pruned", duration_s=0.1 * n, best_score=best)


@pytest.fixture
def view(qtbot):
    w = TuningView(metric="accuracy", direction="max")
    qtbot.addWidget(w)
    return w


def test_trial_events_fill_the_table_and_the_best_so_far_curve(view, qtbot):
    for event in trial_events():
        view.add_event(event)
    view.add_event(Log(message="not a trial"))  # ignored
    assert view.model.rowCount() == len(SCORES)
    qtbot.waitUntil(lambda: len(view.scatter.data) == 5, timeout=2000)  # redraw runs from a timer
    x, y = view.best_curve.getData()
    # the step line never decreases and ends at the best score
    assert np.all(np.diff(y) >= 0) and y[-1] == pytest.approx(0.91)
    assert set(y) == {0.80, 0.86, 0.91}
    assert "trial 4" in view.summary.text() and "1 pruned" in view.summary.text()
    # sorting by the score column puts the best trial first (numbers, not text)
    view.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert view.proxy.index(0, 0).data() == "4"
    assert view.proxy.index(len(SCORES) - 1, 2).data() == "pruned"


def test_train_best_emits_the_best_params(view, qtbot):
    assert not view.train_button.isEnabled()
    for event in trial_events():
        view.on_trial(event)
    with qtbot.waitSignal(view.train_best_requested, timeout=1000) as blocker:
        qtbot.mouseClick(view.train_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [{"max_depth": 6, "criterion": "entropy"}]


def test_minimised_metric_keeps_the_lowest(qtbot):
    w = TuningView(metric="rmse", direction="min")
    qtbot.addWidget(w)
    for event in trial_events():
        w.on_trial(event)
    assert w.best_params() == {"max_depth": 2, "criterion": "entropy"}


def test_result_shows_importances_and_slices(view):
    trials = [e.to_dict() for e in trial_events()]
    done = [t for t in trials if t["state"] == "complete"]
    view.set_result({
        "status": "completed", "metric": "accuracy", "direction": "max", "trials": trials,
        "importances": {"max_depth": 0.7, "criterion": 0.3},
        "slices": {name: {"values": [t["params"][name] for t in done], "scores": [t["score"] for t in done],
                          "numbers": [t["number"] for t in done]} for name in ("max_depth", "criterion")},
        "settings": {"space": {"ranges": [{"name": "max_depth", "log": False}]}},
    })
    assert view.model.rowCount() == len(SCORES)  # no duplicates from the result
    assert [view.slice_combo.itemText(i) for i in range(view.slice_combo.count())] == ["max_depth", "criterion"]
    view.slice_combo.setCurrentText("criterion")
    ticks = view.slice_plot.getPlotItem().getAxis("bottom")._tickLevels
    assert ticks and {label for _, label in ticks[0]} == {"entropy", "gini"}


def test_setup_widget_has_a_row_per_tunable_param_and_emits_settings(qtbot):
    w = TuningSetupWidget()
    qtbot.addWidget(w)
    tree = get_algorithm("decision_tree")
    w.set_algorithm("decision_tree", "classification")
    assert w.row_names() == [p.name for p in tree.params_for("classification") if p.tunable]
    assert w.metric_combo.currentText() == "accuracy"
    # untick all but max_depth and narrow its range
    for r, name in enumerate(w.row_names()):
        if name != "max_depth":
            w.table.item(r, 0).setCheckState(Qt.CheckState.Unchecked)
    row = w.row_names().index("max_depth")
    w.table.item(row, 1).setText("3")
    w.table.item(row, 2).setText("9")
    w.strategy.setCurrentText("random")
    w.trials.setValue(7)
    with qtbot.waitSignal(w.start_requested, timeout=1000) as blocker:
        qtbot.mouseClick(w.start_button, Qt.MouseButton.LeftButton)
    settings = blocker.args[0]
    assert settings["include"] == ["max_depth"] and settings["n_trials"] == 7
    assert settings["strategy"] == "random" and settings["cv"] == 3
    rng = settings["space_overrides"]["max_depth"]
    assert (rng.low, rng.high, rng.include_none) == (3, 9, True)


def test_setup_widget_shows_a_bad_range_where_the_user_typed_it(qtbot):
    w = TuningSetupWidget()
    qtbot.addWidget(w)
    w.set_algorithm(get_algorithm("knn"), "regression")
    assert w.metric_combo.currentText() == "r2"
    row = w.row_names().index("n_neighbors")
    w.table.item(row, 1).setText("50")
    w.table.item(row, 2).setText("5")
    with qtbot.assertNotEmitted(w.start_requested):
        qtbot.mouseClick(w.start_button, Qt.MouseButton.LeftButton)
    assert "low must be < high" in w.error.text() and not w.error.isHidden()


def test_slice_axes_come_from_the_data_on_a_log_scale(view):
    values = [0.1, 0.5, 3.0, 40.0, 1000.0]
    view.set_result({
        "trials": [], "importances": {},
        "slices": {"C": {"values": values, "scores": [0.71, 0.74, 0.8, 0.79, 0.77]}},
        "settings": {"space": {"ranges": [{"name": "C", "log": True}]}},
    })
    (x0, x1), (y0, y1) = view.slice_plot.getPlotItem().viewRange()
    # The axis is in decades: 0.1 … 1000 is -1 … 3, with a small margin.
    assert -1.5 < x0 <= -1 and 3 <= x1 < 3.5, (x0, x1)
    assert 0.6 < y0 <= 0.71 and 0.8 <= y1 < 0.9, (y0, y1)
    assert view.slice_plot.getPlotItem().getAxis("bottom").logMode
