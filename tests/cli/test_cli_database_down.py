"""Every `ivr` command that needs the database answers an unreachable one with one clear line and a
non-zero exit, never a traceback (the staff and callback commands printed 140 lines)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main

SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "flows"
#: Nothing listens on port 1: the connection is refused at once.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/helpline?connect_timeout=2"


@pytest.fixture
def run(tmp_path, monkeypatch):
    flows = shutil.copytree(SHIPPED_FLOWS, tmp_path / "flows")
    for name in ("IVR_PUBLIC_URL", "IVR_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("IVR_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("IVR_FLOWS_DIR", str(flows))
    return lambda *args: CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("command", [
    ("staff", "list"), ("staff", "add", "Ana Rivera", "--role", "professional"), ("staff", "link", "ana-rivera"),
    ("callbacks", "list"), ("callbacks", "done", "1"), ("presence", "Ana Rivera", "off")],
    ids=lambda command: " ".join(command[:2]))
def test_a_command_meeting_an_unreachable_database_says_so_in_one_line(run, command):
    result = run(*command)

    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "database is unavailable" in lines[0], result.output
    assert "Traceback" not in result.output
