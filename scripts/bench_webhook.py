"""Requests/s of the helpline's webhook against a bare Flask view, side by side, under gunicorn -w 2.

The bar: a call's first request (/voice/incoming) and a menu press (/voice/step) each reach at
least 0.85 of the bare view's requests/s. Needs `wrk` (apt-get install wrk).
Run: .venv/bin/python scripts/bench_webhook.py [--seconds 5] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789abcdef"
BARE_APP = '''
from flask import Flask, Response
app = Flask(__name__)
TWIML = %r
@app.post("/voice/<path:anything>")
def bare(anything):
    return Response(TWIML, mimetype="text/xml")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app: str, port: int, chdir: Path, env: dict, log: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(chdir), app],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def wait_until_up(port: int, process) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn on {port} exited; see its log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn on {port} did not start")


def wrk(url: str, params: dict, seconds: int, workdir: Path) -> float:
    body = urllib.parse.urlencode(params)
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{body}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["X-Twilio-Signature"] = "{signature}"\n')
    out = subprocess.run(["wrk", "-t", "1", "-c", "8", "-d", f"{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url} answered errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="ivr-bench-"))
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_INSTANCE_DIR": str(work),
           "DATABASE_URL": f"sqlite:///{work / 'bench.db'}", "IVR_CALLER_HASH_KEY": "bench"}
    sys.path.insert(0, str(ROOT))
    os.environ.update(env)
    from ivr.web import create_app          # the bare view returns the real first TwiML document

    helpline = create_app()
    client = helpline.test_client()
    url0 = "http://localhost/voice/incoming"
    params = {"CallSid": "CA" + "1" * 32, "From": "+15550100123", "To": "+18005550100"}
    fixed = client.post("/voice/incoming", data=params, headers={
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url0, params)}).get_data(as_text=True)
    (work / "bare_app.py").write_text(BARE_APP % fixed)

    port_app, port_bare = free_port(), free_port()
    processes = [start_gunicorn("app:app", port_app, ROOT, env, work / "helpline.log"),
                 start_gunicorn("bare_app:app", port_bare, work, env, work / "bare.log")]
    try:
        wait_until_up(port_app, processes[0])
        wait_until_up(port_bare, processes[1])
        cases = {
            "bare Flask view (fixed TwiML)": (f"http://127.0.0.1:{port_bare}/voice/incoming", params),
            "first request /voice/incoming": (f"http://127.0.0.1:{port_app}/voice/incoming", params),
            "menu press /voice/step": (f"http://127.0.0.1:{port_app}/voice/step?at=main:main-menu&lang=en&tries=0",
                                       {**params, "Digits": "3"}),
        }
        for url, p in cases.values():           # warm up: imports, caches, connections
            wrk(url, p, 1, work)
        results = {name: [] for name in cases}
        for _ in range(args.rounds):            # interleaved, so drift hits every case alike
            for name, (url, p) in cases.items():
                results[name].append(wrk(url, p, args.seconds, work))
        bare = statistics.median(results["bare Flask view (fixed TwiML)"])
        print(f"gunicorn -w 2 on {os.cpu_count()} cores, wrk -t1 -c8, {args.rounds} rounds x {args.seconds}s, median")
        for name, values in results.items():
            rate = statistics.median(values)
            print(f"{name:34s} {rate:9.0f} req/s   {rate / bare:5.2f} of bare   (rounds: "
                  + ", ".join(f"{v:.0f}" for v in values) + ")")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
