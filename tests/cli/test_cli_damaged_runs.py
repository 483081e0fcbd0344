"""A damaged run folder: `runs` lists it, `show` says what is wrong in one line."""

import json

from cli_support import copy_sample


def test_runs_lists_a_damaged_run_and_show_says_why_in_one_line(cli, tmp_path):
    proj = copy_sample("penguins_sex", tmp_path)
    ids = []
    for _ in range(2):
        code, out, err = cli("train", proj, "penguins", "--target", "sex", "--algorithm", "naive_bayes", "--json")
        assert code == 0, err
        ids.append(json.loads(out)["run_id"])
    good, bad = ids
    (proj / "runs" / bad / "result.json").write_text("{\"status\": \"compl")

    code, out, err = cli("runs", proj, "--json")
    assert code == 0, err
    status = {r["run_id"]: r["status"] for r in json.loads(out)}
    assert status == {good: "completed", bad: "damaged"}
    code, out, _ = cli("runs", proj)
    assert code == 0 and "damaged" in out

    code, out, err = cli("show", proj, bad)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert f"Run {bad} is damaged: result.json is corrupt" in err
    code, out, _ = cli("show", proj, good)
    assert code == 0 and "[completed]" in out
    code, out, err = cli("export", proj, bad)
    assert code == 1 and err.count("\n") == 1 and f"Run {bad} is damaged" in err
