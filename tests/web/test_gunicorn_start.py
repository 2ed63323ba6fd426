"""`gunicorn -w 2 app:app` on a fresh database needs no set-up step: two workers create the schema
once, safely, and the first call is answered — on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy

from free_ports import free_port
from like_twilio import AUTH_TOKEN, CALL_PARAMS, parse_twiml, signed_post, spoken

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture
def start_gunicorn(tmp_path):
    running = []

    def start(database_url: str) -> str:
        port = free_port()
        env = {**os.environ, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "DATABASE_URL": database_url,
               "IVR_INSTANCE_DIR": str(tmp_path / "instance"), "IVR_CALLER_HASH_KEY": "test"}
        log = open(tmp_path / "gunicorn.log", "w")
        process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2",
                                    "-b", f"127.0.0.1:{port}", "app:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        running.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    yield start
    for process in running:
        process.terminate()
        process.wait(timeout=20)


def make_a_call(base_url: str) -> list:
    params = {**CALL_PARAMS, "CallSid": "CA" + "7" * 32}
    answer = signed_post(base_url + "/voice/incoming", params)
    assert answer.status_code == 200, answer.text
    ended = signed_post(base_url + "/voice/status", {**params, "CallStatus": "completed", "CallDuration": "42"})
    assert ended.status_code == 204, ended.text
    return spoken(parse_twiml(answer.text))


def assert_call_recorded(database_url: str) -> None:
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql("SELECT status, duration_seconds FROM calls").one()
    finally:
        engine.dispose()
    assert tuple(row) == ("completed", 42)


def test_two_workers_on_a_fresh_sqlite_file_answer_the_first_call(start_gunicorn, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    heard = make_a_call(start_gunicorn(url))
    assert "911" in " ".join(heard)
    assert_call_recorded(url)


def test_two_workers_on_a_fresh_postgresql_database_answer_the_first_call(start_gunicorn, empty_postgres_url):
    heard = make_a_call(start_gunicorn(empty_postgres_url))
    assert "911" in " ".join(heard)
    assert_call_recorded(empty_postgres_url)
