"""Global flags work wherever a person types them."""

from __future__ import annotations


def test_debug_after_the_subcommand_shows_the_traceback(cli, tmp_path):
    missing = tmp_path / "no-such-project"
    code, _, err = cli("runs", missing, "--debug")
    assert code == 1
    assert "Traceback" in err and err.rstrip().splitlines()[-1].startswith("error: ")


def test_without_debug_an_error_is_one_line(cli, tmp_path):
    code, _, err = cli("runs", tmp_path / "no-such-project")
    assert code == 1
    assert err.strip().count("\n") == 0 and err.startswith("error: ")
