"""Every `ivr` command, against each thing a shift lead gets wrong or meets: a mistyped option, a
database that cannot be reached, a server (the helpline, Twilio) that is stopped. Each answers
with one clear line and a non-zero exit, never a traceback; a command that needs neither the
database nor a server does its work as usual."""
from __future__ import annotations

import datetime
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main

SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "flows"
UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/helpline?connect_timeout=2"
NUMBER = ["--number", "+18005550100", "--base-url", "https://helpline.example.org"]

#: Every leaf command, with arguments that would otherwise make it work.
COMMANDS = {
    "check": ["check", "{flows}"],
    "review --due": ["review", "--due", "--flows", "{flows}"],
    "schema": ["schema"],
    "call": ["call", "--press", "1", "--flows", "{flows}"],
    "call --url": ["call", "--url", "{stopped}", "--press", "1"],
    "db upgrade": ["db", "upgrade"],
    "presence": ["presence", "Ana Rivera", "status"],
    "staff list": ["staff", "list"],
    "staff add": ["staff", "add", "Lena Lead", "--role", "lead"],
    "staff link": ["staff", "link", "lena-lead"],
    "callbacks list": ["callbacks", "list"],
    "callbacks done": ["callbacks", "done", "1"],
    "callbacks call": ["callbacks", "call", "1", "--by", "Ana Rivera"],
    "twilio backup-twiml": ["twilio", "backup-twiml"],
    "twilio configure": ["twilio", "configure", *NUMBER],
    "twilio check": ["twilio", "check", *NUMBER],
    "twilio rehearse": ["twilio", "rehearse", *NUMBER, "--from", "+18005550177"],
}
NEEDS_THE_DATABASE = {"db upgrade", "presence", "staff list", "staff add", "staff link", "callbacks list",
                      "callbacks done", "callbacks call", "twilio rehearse"}
NEEDS_A_SERVER = {"call --url": "could not reach the helpline", "twilio configure": "could not be reached",
                  "twilio check": "could not be reached", "twilio rehearse": "could not be reached",
                  "callbacks call": "could not be reached"}


def stopped_port() -> int:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return free.getsockname()[1]


@pytest.fixture
def run(tmp_path, monkeypatch):
    """`run(name, extra_args)`: the command, with Twilio credentials and a helpline URL set, its Twilio and
    helpline both stopped; the database is a fresh SQLite one with a pending callback (1) unless the
    test changes DATABASE_URL."""
    from ivr.store.calls import CallRecords
    from ivr.store.database import open_database

    flows = shutil.copytree(SHIPPED_FLOWS, tmp_path / "flows")
    stopped = f"http://127.0.0.1:{stopped_port()}"
    for name in ("IVR_ENV", "IVR_TWILIO_SHARED_KEY_SID", "IVR_TWILIO_SHARED_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    database = f"sqlite:///{tmp_path / 'helpline.db'}"
    records = CallRecords(open_database(database), hash_key="k" * 32)
    records.callback_requested("CA" + "1" * 32, "caller", "+16175550123", "en",
                               datetime.datetime.now(datetime.timezone.utc), helpline_number="+18005550100")
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("IVR_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("IVR_FLOWS_DIR", str(flows))
    monkeypatch.setenv("IVR_PUBLIC_URL", "https://helpline.example.org")
    monkeypatch.setenv("IVR_TWILIO_API_URL", stopped)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t" * 32)

    def invoke(name: str, *extra: str):
        args = [arg.format(flows=flows, stopped=stopped) for arg in COMMANDS[name]]
        return CliRunner().invoke(main, [*args, *extra], prog_name="ivr")
    return invoke


def said(result) -> list:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return [line for line in result.output.splitlines() if line.strip()]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_mistyped_option_is_one_line_naming_the_command_and_its_help(run, name):
    result = run(name, "--no-such-option")

    assert result.exit_code == 2
    words = COMMANDS[name]
    command = "ivr " + " ".join(words[:2] if words[0] in ("db", "staff", "callbacks", "twilio") else words[:1])
    assert said(result) == [f"{command}: No such option '--no-such-option'. (see: {command} --help)"]


@pytest.mark.parametrize("name", COMMANDS)
def test_an_unreachable_database_is_one_line_for_a_command_that_needs_it_and_nothing_to_one_that_does_not(
        run, name, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE_DATABASE)
    result = run(name)

    lines = said(result)
    if name in NEEDS_A_SERVER:        # its server (stopped too) may be met first
        assert result.exit_code != 0 and len(lines) == 1, result.output
    elif name in NEEDS_THE_DATABASE:
        assert result.exit_code == 1, result.output
        assert len(lines) == 1 and "database" in lines[0], result.output
    else:
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_a_stopped_server_is_one_line_for_a_command_that_needs_it(run, name):
    result = run(name)

    lines = said(result)
    if name in NEEDS_A_SERVER:
        assert result.exit_code != 0, result.output
        assert len(lines) == 1 and NEEDS_A_SERVER[name] in lines[0], result.output
    else:
        assert result.exit_code in (0, 1), result.output     # its own work: 1 only for "no such callback"
