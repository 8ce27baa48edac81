"""`serve`, `export-model`, `replay-live`: every error is one line, exit 2 (finding 6)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from conftest import ROOT, free_port, write_config

from banditops.cli import main


def _one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("banditops: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ('\n[store]\nurl = "nosuchdb://x"\n', "cannot open the ledger store nosuchdb://x"),
        ('\n[store]\nurl = "sqlite:////nonexistent/x.sqlite"\n', "unable to open database"),
        (
            '\n[store]\nurl = "postgresql+psycopg://app:s3cret@127.0.0.1:1/db"\n',
            "app:***@127.0.0.1:1",
        ),
        ("\n[guardrail]\nzzz = 1\n", "unknown keys in [guardrail]: ['zzz']"),
        ("\n[policy.params]\nzzz = 1\n", "has no parameter 'zzz'"),
    ],
)
def test_serve_bad_config(tmp_path, models_dir, capsys, extra, needle):
    path = write_config(tmp_path, models_dir, extra, policy="epsilon-greedy")
    if "policy.params" in extra:  # replace the params table of write_config
        path.write_text(path.read_text().replace("params = { epsilon = 0.3 }\n", "", 1))
    line = _one_line_error(capsys, ["serve", "--config", str(path), "--port", str(free_port())])
    assert needle in line
    assert "s3cret" not in line


def test_serve_unreadable_configs(tmp_path, capsys):
    bad = tmp_path / "d.toml"
    bad.write_bytes(b"\xff\xfe")
    assert "not UTF-8" in _one_line_error(capsys, ["serve", "--config", str(bad)])
    assert "is a directory" in _one_line_error(capsys, ["serve", "--config", str(tmp_path)])
    missing = str(tmp_path / "missing.toml")
    assert "does not exist" in _one_line_error(capsys, ["serve", "--config", missing])


@pytest.mark.parametrize(
    ("option", "needle"),
    [
        (["--port", "99999"], "port must be an integer in [1, 65535]"),
        (["--port", "-1"], "port must be"),
        (["--port", "0"], "port must be"),
        (["--workers", "0"], "workers must be"),
        (["--log-level", "nope"], "log level must be one of"),
    ],
)
def test_serve_bad_options(tmp_path, models_dir, capsys, option, needle):
    path = write_config(tmp_path, models_dir)
    assert needle in _one_line_error(capsys, ["serve", "--config", str(path), *option])
    assert not (tmp_path / "banditops-state.sqlite").exists()  # refused before any state


def test_serve_port_in_use(tmp_path, models_dir, capsys):
    path = write_config(tmp_path, models_dir)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_line_error(capsys, ["serve", "--config", str(path), "--port", str(port)])
    assert f"cannot listen on 127.0.0.1:{port}" in line


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--example", "/proc/x"], "cannot create directory /proc/x"),
        (["--example", "{file}"], "exists and is not a directory"),
        (["--example", "{tmp}/ex", "--rows", "-5"], "rows must be a positive integer"),
        (["--example", "{tmp}/ex", "--rows", "0"], "rows must be a positive integer"),
        (
            ["--dataset", "adult", "--version", "logreg@1", "--out", "/proc/x/m.skops"],
            "cannot create directory /proc/x",
        ),
        (["--dataset", "adult", "--version", "logreg@1", "--out", "m.joblib"], ".skops"),
    ],
)
def test_export_model_errors_before_training(tmp_path, capsys, argv, needle):
    (tmp_path / "afile").write_text("x")
    argv = [a.format(file=tmp_path / "afile", tmp=tmp_path) for a in argv]
    assert needle in _one_line_error(capsys, ["export-model", *argv])
    assert not (tmp_path / "ex").exists()


@pytest.mark.parametrize(
    ("option", "needle"),
    [
        (["--url", "http://127.0.0.1:1"], "cannot reach the router at http://127.0.0.1:1"),
        (["--url", "notaurl"], "router URL must be http(s)://HOST[:PORT]"),
        (["--url", "ftp://127.0.0.1:8000"], "router URL must be"),
        (["--url", "http://127.0.0.1:99999"], "router URL must be"),
        (["--url", "http://127.0.0.1:1", "--chunks", "0"], "chunks must be an integer >= 1"),
        (["--url", "http://127.0.0.1:1", "--chunk-size", "0"], "chunk_size must be"),
        (["--url", "http://127.0.0.1:1", "--label-delay", "-1"], "label_delay must be"),
        (["--url", "http://127.0.0.1:1", "--chunk-size", "5000"], "max_rows 1000"),
        (["--url", "http://127.0.0.1:1", "--token-env", "NO_SUCH_VAR_X"], "NO_SUCH_VAR_X"),
    ],
)
def test_replay_live_errors(tmp_path, models_dir, capsys, monkeypatch, option, needle):
    monkeypatch.delenv("NO_SUCH_VAR_X", raising=False)
    path = write_config(tmp_path, models_dir)
    assert needle in _one_line_error(capsys, ["replay-live", "--config", str(path), *option])


def test_replay_live_reports_an_error_status(
    tmp_path, models_dir, capsys, server_factory, shared_data_dir
):
    path = write_config(tmp_path, models_dir, "\n[limits]\nmax_rows = 20\n")
    server = server_factory(path)
    other = tmp_path / "other"
    other.mkdir()
    local = write_config(other, models_dir)  # thinks the router takes 1000 rows
    line = _one_line_error(
        capsys,
        ["replay-live", "--config", str(local), "--url", server.url, "--chunk-size", "50",
         "--data-dir", str(shared_data_dir)],
    )  # fmt: skip
    assert "POST /predict answered 413" in line and "at most 20 rows" in line


def test_the_console_script_prints_no_traceback(tmp_path):
    bad = tmp_path / "d.toml"
    bad.write_bytes(b"\xff\xfe")
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "banditops", "serve", "--config", str(bad)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"banditops: error: deployment config {bad} is not UTF-8 text (byte 0); TOML files "
        "are UTF-8"
    ]
