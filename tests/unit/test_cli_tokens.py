"""`booking-pool activate` takes a token only from standard input or a file: on the command line
every user would see it in `ps`."""

from __future__ import annotations

import argparse

import pytest

from pool import cli

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
REST = ["--admin", "1", "--client", "client_001", "--company", "A"]


@pytest.mark.parametrize(
    "argv",
    [
        ["activate", "--slot", "1", "--token", TOKEN, *REST],
        ["activate", "--slot", "1", f"--token={TOKEN}", *REST],
    ],
)
def test_a_token_in_argv_is_refused_without_echoing_it(argv, capsys, monkeypatch):
    monkeypatch.setattr(cli, "redact_all_output", lambda: None)  # keep pytest's capture as is
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "--token -" in err and "--token-file" in err
    assert "AAHdqTcv" not in err


def test_the_token_comes_from_a_file_or_stdin(tmp_path, monkeypatch):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    args = cli.build_parser().parse_args(
        ["activate", "--slot", "1", "--token-file", str(path), *REST]
    )
    assert cli._read_token(args) == TOKEN
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(TOKEN + "\n"))
    args = argparse.Namespace(token="-", token_file=None)
    assert cli._read_token(args) == TOKEN
