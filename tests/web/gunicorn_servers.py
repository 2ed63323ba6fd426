"""Helpline servers under real gunicorn, for the tests that start, stop and restart them: the
`served` fixture (registered in conftest.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from free_ports import free_port
from like_twilio import AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
HASH_KEY = "test-caller-hash-key"


@dataclass
class Served:
    """One helpline server: its gunicorn master, its URL and its instance folder."""
    process: subprocess.Popen
    url: str
    instance: Path
    log: Path

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM the master, as a deploy or systemd does; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def spooled(self) -> list:
        """The files of records the database could not take yet (ivr/store/spool.py)."""
        return sorted((self.instance / "spool").glob("*.jsonl"))


@pytest.fixture
def served(tmp_path, flows_dir):
    """Start a helpline server: `served(name, database_url, workers=1)`. Each name is a folder of its
    own (instance folder, log); starting a name again reuses its instance folder, as a restart does."""
    running = []

    def start(name: str, database_url: str, workers: int = 1) -> Served:
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        port = free_port()
        env = {key: value for key, value in os.environ.items()
               if key not in ("PORT", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "GUNICORN_CMD_ARGS")}
        env.update({"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "DATABASE_URL": database_url,
                    "IVR_INSTANCE_DIR": str(folder / "instance"), "IVR_CALLER_HASH_KEY": HASH_KEY,
                    "IVR_FLOWS_DIR": str(flows_dir),
                    # gunicorn's control socket (gunicorn >= 25.1): one per server, not the user's one.
                    "XDG_RUNTIME_DIR": str(folder)})
        log = folder / f"gunicorn-{len(running)}.log"
        with open(log, "w") as out:
            process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers),
                                        "-b", f"127.0.0.1:{port}", "app:app"],
                                       cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        server = Served(process, f"http://127.0.0.1:{port}", folder / "instance", log)
        running.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, server.log_text()
            try:
                if requests.get(server.url + "/healthz", timeout=5).status_code == 200:
                    return server
            except (requests.ConnectionError, requests.Timeout):
                pass         # not listening yet, or its workers still starting on a loaded machine
            time.sleep(0.1)
        raise AssertionError("the helpline did not start:\n" + server.log_text())

    yield start
    for server in running:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
