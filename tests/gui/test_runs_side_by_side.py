"""The Runs tab: filter by dataset and target; 2+ selected runs side by side."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel

from workbench.gui.project_model import ProjectModel
from workbench.gui.runs_table import RunsTable


def _choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered"
    combo.setCurrentIndex(index)


def test_filter_by_dataset_and_target_then_diff_two_runs(qtbot, trained_project):
    project = ProjectModel()
    project.open(trained_project)
    table = RunsTable(project)
    qtbot.addWidget(table)
    table.resize(1100, 800)
    table.show()
    all_runs = table.visible_run_ids()
    assert len(all_runs) == 4

    _choose(table.run_filter.dataset_combo, "houses")
    houses = table.visible_run_ids()
    assert [project.run(r).spec.dataset for r in houses] == ["houses"]
    _choose(table.run_filter.dataset_combo, "")
    _choose(table.run_filter.target_combo, "label")
    labelled = table.visible_run_ids()
    assert len(labelled) == 2 and all(project.run(r).spec.target == "label" for r in labelled)

    # Select both runs of the "label" target as a person would (click, ctrl-click).
    selection = table.view.selectionModel()
    rows = [r for r, (kind, rid) in enumerate(table.row_keys()) if rid in labelled]
    for r in rows:
        selection.select(table.model.index(r, 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    diff = table.diff
    assert diff.table.columnCount() == 2
    assert "algorithm" in diff.differing  # xgboost vs logistic regression
    assert any(name.startswith("metric ") for name in diff.differing)
    assert "target" not in diff.differing and "dataset" not in diff.differing
    assert any("logloss" in name for name in diff.curve_names)  # xgboost's curve overlaid
    if os.environ.get("WORKBENCH_SCREENSHOTS"):
        table.grab().save(str(Path(os.environ["WORKBENCH_SCREENSHOTS"]) / "runs_side_by_side.png"))
