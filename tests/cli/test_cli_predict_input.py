"""``workbench predict``: problems of the input file named per column."""

import json

from cli_support import copy_sample


def test_predict_names_missing_columns_and_ignores_extra_ones(cli, tmp_path):
    import pandas as pd

    project = copy_sample("wine", tmp_path)
    code, out, err = cli("train", project, "wine", "--target", "cultivar", "--algorithm", "naive_bayes",
                         "--no-learning-curve", "--json")
    run_id = json.loads(out)["run_id"]
    data = pd.read_csv(project / "data" / "wine.csv").head(4)
    data.drop(columns=["alcohol", "hue"]).to_csv(tmp_path / "lacking.csv", index=False)
    code, out, err = cli("predict", project, run_id, tmp_path / "lacking.csv", "-o", tmp_path / "p.csv")
    assert code == 1
    assert err.strip().splitlines()[-1].startswith(
        "error: The data lacks 2 feature column(s) the model needs: alcohol, hue.")

    data.assign(batch="b1").to_csv(tmp_path / "extra.csv", index=False)
    code, out, err = cli("predict", project, run_id, tmp_path / "extra.csv", "-o", tmp_path / "p.csv")
    assert code == 0, err
    assert "Ignored 2 column(s) the model does not use: cultivar, batch." in err
    assert len(pd.read_csv(tmp_path / "p.csv")) == 4

    data.assign(hue=["0.9", "pale", "1.0", "1.1"]).to_csv(tmp_path / "typed.csv", index=False)
    code, out, err = cli("predict", project, run_id, tmp_path / "typed.csv", "-o", tmp_path / "p.csv")
    assert code == 1 and "'hue' should hold numbers but has 'pale' (row 2)" in err
