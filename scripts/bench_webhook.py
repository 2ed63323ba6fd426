"""Requests/s of the helpline's webhook against a bare Flask view, side by side, under gunicorn -w 2.

The bar: with the full parameter set Twilio sends, a call's first request (/voice/incoming) and a
menu press (/voice/step) each reach at least 0.85 of the bare view's requests/s at 8, 32 and 100
connections, p99 under 25 ms at 100. Both servers run with the same (empty) gunicorn settings; the
helpline keeps its metrics in PROMETHEUS_MULTIPROC_DIR, as under gunicorn.conf.py. Needs `wrk`.
Also prints the in-process cost of a menu press with the shipped flows and a 10,000-step set.
Run: .venv/bin/python scripts/bench_webhook.py [--seconds 5] [--rounds 3] [--connections 8,32,100]
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


#: What Twilio sends on a voice webhook (https://www.twilio.com/docs/voice/twiml#request-parameters,
#: the Call resource's callback table), with the caller's and the line's places.
TWILIO_PARAMS = {
    "AccountSid": "AC" + "a" * 32, "ApiVersion": "2010-04-01", "CallSid": "CA" + "1" * 32,
    "CallStatus": "ringing", "Direction": "inbound",
    "CallToken": "%7B%22parentCallInfoToken%22%3A%22eyJhbGciOiJFUzI1NiJ9." + "x" * 220 + "%22%7D",
    "Called": "+18005550100", "CalledCity": "", "CalledCountry": "US", "CalledState": "", "CalledZip": "",
    "Caller": "+15550100123", "CallerCity": "BALTIMORE", "CallerCountry": "US", "CallerState": "MD",
    "CallerZip": "21201", "From": "+15550100123", "FromCity": "BALTIMORE", "FromCountry": "US",
    "FromState": "MD", "FromZip": "21201", "To": "+18005550100", "ToCity": "", "ToCountry": "US",
    "ToState": "", "ToZip": "", "StirVerstat": "TN-Validation-Passed-A",
}
#: A key pressed in a <Gather>: what Twilio adds (https://www.twilio.com/docs/voice/twiml/gather).
PRESS = {"Digits": "3", "FinishedOnKey": "", "msg": "Gather End", "CallStatus": "in-progress"}


def start_gunicorn(app: str, port: int, chdir: Path, env: dict, log: Path, config: Path,
                   worker: tuple = ()) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return subprocess.Popen([gunicorn, "-c", str(config), "-w", "2", *worker, "-b", f"127.0.0.1:{port}",
                             "--chdir", str(chdir), app],
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


def wrk(url: str, params: dict, seconds: int, workdir: Path, connections: int) -> tuple:
    """(requests/s, p99 latency in ms)."""
    body = urllib.parse.urlencode(params)
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{body}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["X-Twilio-Signature"] = "{signature}"\n')
    threads = 1 if connections <= 8 else 2
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"{url} answered errors:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    return rate, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def in_process_cost(flows_dir: Path, work: Path, presses: int = 3000) -> float:
    """µs per menu press through Flask's test client (signature, engine, TwiML), for these flows."""
    from ivr.web import create_app

    app = create_app({"flows_dir": flows_dir, "instance_dir": work / flows_dir.name,
                      "database_url": f"sqlite:///{work / (flows_dir.name + '.db')}"})
    app.extensions["ivr"].start()
    flows = app.extensions["ivr"].flows.current()
    # A key whose answer depends only on the flows (information, another menu), as the shipped main
    # menu's 3: the same kind of work in both flow sets. An hours step or a person is decided anew.
    from ivr.calls import engine
    from ivr.flow.model import PERSON_STEPS

    def remembered(ref, key) -> bool:
        turn = engine.advance(flows, engine.CallState(ref, flows.languages[0].code, 0), engine.Pressed(key),
                              app.extensions["ivr"].now())
        return not turn.timed and not isinstance(turn.step, PERSON_STEPS)
    menu, key = next((ref, option.key) for ref, step in flows.steps.items() if type(step).__name__ == "Menu"
                     for option in step.options if option.key and remembered(ref, option.key))
    url = f"http://localhost/voice/step?at={menu.flow}:{menu.step}&lang={flows.languages[0].code}&tries=0"
    params = {**TWILIO_PARAMS, **PRESS, "Digits": key}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    client = app.test_client()
    body = urllib.parse.urlencode(params)
    post = lambda: client.post(url[len("http://localhost"):], data=body, headers={  # noqa: E731
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    assert post().status_code == 200
    started = time.perf_counter()
    for _ in range(presses):
        post()
    cost = (time.perf_counter() - started) / presses * 1e6
    app.extensions["ivr"].close()
    return cost


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", default="8,32,100")
    parser.add_argument("--worker", choices=["sync", "gthread"], default="sync",
                        help="gunicorn's worker class for both servers; gthread keeps connections open, "
                             "as Twilio's and a proxy's are (4 threads, keep-alive 75 s)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="ivr-bench-"))
    (work / "metrics").mkdir()
    (work / "empty.conf.py").write_text("# the same (no) settings for both servers\n")
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_INSTANCE_DIR": str(work),
           "DATABASE_URL": f"sqlite:///{work / 'bench.db'}", "IVR_CALLER_HASH_KEY": "bench"}
    helpline_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics")}
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    os.environ.update(env)
    from ivr.web import create_app          # the bare view returns the real first TwiML document

    helpline = create_app()
    helpline.extensions["ivr"].start()
    client = helpline.test_client()
    url0 = "http://localhost/voice/incoming"
    params = dict(TWILIO_PARAMS)
    fixed = client.post("/voice/incoming", data=params, headers={
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url0, params)}).get_data(as_text=True)
    helpline.extensions["ivr"].close()
    (work / "bare_app.py").write_text(BARE_APP % fixed)

    port_app, port_bare = free_port(), free_port()
    worker = ("-k", "gthread", "--threads", "4", "--keep-alive", "75") if args.worker == "gthread" else ()
    processes = [start_gunicorn("app:app", port_app, ROOT, helpline_env, work / "helpline.log",
                                work / "empty.conf.py", worker),
                 start_gunicorn("bare_app:app", port_bare, work, env, work / "bare.log", work / "empty.conf.py",
                                worker)]
    connections = [int(c) for c in args.connections.split(",")]
    try:
        wait_until_up(port_app, processes[0])
        wait_until_up(port_bare, processes[1])
        cases = {
            "bare Flask view (fixed TwiML)": (f"http://127.0.0.1:{port_bare}/voice/incoming", params),
            "first request /voice/incoming": (f"http://127.0.0.1:{port_app}/voice/incoming", params),
            "menu press /voice/step": (f"http://127.0.0.1:{port_app}/voice/step?at=main:main-menu&lang=en&tries=0",
                                       {**params, **PRESS}),
        }
        for url, p in cases.values():           # warm up: imports, caches, connections
            wrk(url, p, 1, work, 8)
        print(f"gunicorn -w 2 ({args.worker}) on {os.cpu_count()} cores, {len(TWILIO_PARAMS)} Twilio parameters signed, "
              f"{args.rounds} rounds x {args.seconds}s, median; {time.strftime('%Y-%m-%d %H:%M')}")
        for count in connections:
            results = {name: [] for name in cases}
            for _ in range(args.rounds):        # interleaved, so drift hits every case alike
                for name, (url, p) in cases.items():
                    results[name].append(wrk(url, p, args.seconds, work, count))
            bare = statistics.median(rate for rate, _ in results["bare Flask view (fixed TwiML)"])
            print(f"-- {count} connections")
            for name, values in results.items():
                rate = statistics.median(r for r, _ in values)
                p99 = statistics.median(ms for _, ms in values)
                print(f"{name:34s} {rate:7.0f} req/s  {rate / bare:5.2f} of bare  p99 {p99:6.1f} ms  (rounds: "
                      + ", ".join(f"{r:.0f}" for r, _ in values) + ")")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
    from flowgen import big_flow, write_flows

    big = write_flows(work / "big-flows", big_flow(10_000, seed=0))
    shipped = in_process_cost(ROOT / "flows", work)
    large = in_process_cost(big, work)
    print(f"in-process menu press: shipped flows {shipped:.0f} µs, 10,000-step flows {large:.0f} µs")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
