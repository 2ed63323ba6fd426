"""Each web test gets its own helpline: its own instance folder, SQLite database and Auth Token,
and its own simulated Twilio (REST API served over real HTTP, the helpline's IVR_TWILIO_API_URL).

`live_server` serves the real app over real HTTP on 127.0.0.1 (port 0, threaded) and shuts it
down after the test.
"""
from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ivr.sim.phone import HttpTransport, TestClientTransport
from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID
from ivr.sim.twilio import SimTwilio
from ivr.web import create_app
from gunicorn_servers import served  # noqa: F401  (a fixture: a helpline under real gunicorn)
from template_databases import sqlite_copy
from like_twilio import AUTH_TOKEN, BACKUP_LINE, SHARED_KEY_ID, SHARED_KEY_SECRET, Recorded

SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture
def flows_dir(tmp_path) -> Path:
    """A copy of the shipped flows: an edit saved to flows/ during the run cannot reach this test."""
    return Path(shutil.copytree(SHIPPED_FLOWS, tmp_path / "flows"))


@pytest.fixture
def twilio():
    """Twilio in software: its REST API over real HTTP, professionals' phones that answer as a
    person pressing 1 unless a test says otherwise (`twilio.phones[number] = "voicemail"`), and
    a clock running 50 times faster than the wall's."""
    sim = SimTwilio(Recorded(), SimClock(speed=50.0), AUTH_TOKEN)
    sim.api_url = sim.serve()
    yield sim
    sim.stop()


@pytest.fixture
def settings_for(tmp_path, flows_dir, twilio, sqlite_template):
    """Settings overrides for a test's own helpline: its instance folder, database (a copy of the
    migrated template, unless the test names another) and token."""
    def overrides(**changes) -> dict:
        instance = tmp_path / "instance"
        database = changes.get("database_url") or sqlite_copy(sqlite_template, tmp_path)
        return {"instance_dir": instance, "database_url": database,
                "flows_dir": flows_dir, "audio_dir": tmp_path / "audio",
                "twilio_auth_token": AUTH_TOKEN, "caller_hash_key": "test-caller-hash-key",
                "shared_keys": {SHARED_KEY_ID: SHARED_KEY_SECRET}, "backup_line": BACKUP_LINE,
                "twilio_account_sid": ACCOUNT_SID, "twilio_api_url": twilio.api_url,
                **changes}
    return overrides


class ToTheHelpline:
    """How the simulated Twilio reaches a test's helpline: in-process for http://localhost URLs
    (what Flask's test client serves), over real HTTP for a served one."""

    def __init__(self, app: Flask):
        self.local, self.http = TestClientTransport(app), HttpTransport()

    def post(self, url: str, params: dict, headers: dict):
        return (self.local if url.startswith("http://localhost/") else self.http).post(url, params, headers)

    def post_within(self, url: str, params: dict, headers: dict, connect: float, read: float):
        if url.startswith("http://localhost/"):
            return self.local.post(url, params, headers)        # in this process: nothing to cut off
        return self.http.post_within(url, params, headers, connect, read)

    def get(self, url: str) -> bytes:
        return (self.local if url.startswith("http://localhost/") else self.http).get(url)


@pytest.fixture
def make_app(settings_for, twilio):
    built = []

    def build(**changes) -> Flask:
        app = create_app(settings_for(**changes))
        app.extensions["ivr"].start()
        twilio.helpline.transport = ToTheHelpline(app)
        built.append(app)
        return app
    yield build
    for app in built:        # no writer, notice or call-control thread of this test may act in the next one
        app.extensions["ivr"].close()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class LiveServer:
    app: Flask
    url: str          # http://127.0.0.1:<port>, no trailing slash


@pytest.fixture
def serve():
    """Serve an app over real HTTP in a background thread; every server is shut down after the test."""
    running = []

    def start(app: Flask) -> LiveServer:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="live-helpline", daemon=True)
        thread.start()
        running.append((server, thread))
        return LiveServer(app, f"http://127.0.0.1:{server.server_port}")

    yield start
    for server, thread in running:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_server(serve, app) -> LiveServer:
    return serve(app)
