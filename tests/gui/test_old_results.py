"""A run whose result.json an older version wrote (or a person edited) still shows everywhere."""

from __future__ import annotations

import json

from workbench.engine import Project, RunSpec
from workbench.gui.project_model import ProjectModel
from workbench.gui.project_tree import ProjectTree
from workbench.gui.results import ResultsView
from workbench.gui.runs_compare import RunsDiff
from workbench.gui.runs_table import RunsTable

RUN_ID = "20240101-120000-random_forest-0ld1"

# The shapes the first versions wrote: "confusion" (not "confusion_matrix", no
# normalised rows), a flat importance mapping, no held-out row count, and a
# timing that was not a number.
OLD_RESULT = {
    "status": "completed",
    "task": "classification",
    "algorithm": "random_forest",
    "params": {"n_estimators": 50},
    "classes": ["no", "yes"],
    "rows": {"train": 120},
    "metrics": {"accuracy": 0.875, "f1_macro": None},
    "timings": {"total_s": "n/a"},
    "evaluation": {
        "confusion": {"labels": ["no", "yes"], "counts": [[50, 5], [10, 55]]},
        "importances": {"age": 0.7, "income": 0.3},
        "roc": [{"label": "yes", "fpr": [0.0, 0.2, 1.0], "tpr": [0.0, 0.8, 1.0], "auc": 0.9}],
    },
}


def old_project(tmp_path) -> ProjectModel:
    project = Project.init(tmp_path / "old")
    folder = project.runs_dir / RUN_ID
    folder.mkdir(parents=True)
    spec = RunSpec(dataset="customers", algorithm="random_forest", target="label", params={"n_estimators": 50})
    (folder / "spec.json").write_text(spec.to_json())
    (folder / "result.json").write_text(json.dumps(OLD_RESULT))
    model = ProjectModel()
    model.open(project.root)
    return model


def test_an_old_result_json_shows_in_the_runs_table_tree_and_results(qtbot, tmp_path):
    project = old_project(tmp_path)

    table = RunsTable(project)
    qtbot.addWidget(table)
    assert table.run_ids() == [RUN_ID]
    assert "accuracy" in table.metric_columns()

    tree = ProjectTree(project)
    qtbot.addWidget(tree)
    assert tree.item_for("run", RUN_ID).text(1) == "accuracy 0.875"

    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    view.show_run(project.run(RUN_ID))
    view.finish_drawing()
    # The header says what is known and nothing it is not (it used to stop at the missing test rows).
    assert "120 train / — test rows" in view.subheader.text()
    assert view.is_tab_visible("confusion") and view.is_tab_visible("importance") and view.is_tab_visible("curves")
    assert view.confusion.matrix.sum() == 120
    view.show_norm.setChecked(True)  # rows normalised from the counts the old file had
    assert abs(view.confusion.matrix[0].sum() - 1.0) < 1e-9
    assert view.metrics_model.item(0, 0).text() == "accuracy"

    diff = RunsDiff()
    qtbot.addWidget(diff)
    diff.set_runs([project.run(RUN_ID), project.run(RUN_ID)])
    assert "metric accuracy" not in diff.differing and "param n_estimators" not in diff.differing

    # Reading changed nothing on disk.
    assert json.loads((project.project.runs_dir / RUN_ID / "result.json").read_text()) == OLD_RESULT
