"""The simulated Twilio of `make run`: one for as long as the local helpline runs.

The helpline rings professionals and fetches voicemails through its REST API; `ivr call --url`
places its calls through it (the caller's side runs here, the terminal only shows and answers).
So a voicemail left in one call still plays on the staff pages after that call has ended, and
every call of a session shares one account, as on a real number.

Its clock is the wall clock (speed 1): the helpline beside it writes real times, and a simulated
clock is never written next to them.
"""
from __future__ import annotations

import queue
import threading
import uuid
from dataclasses import dataclass, field

from flask import jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

from .clock import QuickListener, SimClock
from .professionals import PHONES
from .twilio import Helpline, SimTwilio

#: Where the terminal's calls are asked about; the REST API's authentication covers them too.
PHONE_PATH = "/dev/phone"
#: How long a terminal's request for news waits for some before answering "nothing yet".
NEWS_WAIT_SECONDS = 10.0


@dataclass
class TerminalCall:
    """One call placed for a terminal: what the caller heard so far, and (when the terminal answers
    at the keyboard) the answer it is waiting for."""
    heard: list = field(default_factory=list)
    asked: int = 0               # questions asked so far: the terminal answers each once
    ended: bool = False
    failed: bool = False
    legs: list = field(default_factory=list)
    answers: queue.Queue = field(default_factory=queue.Queue)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def note(self, **changes) -> None:
        with self.changed:
            for name, value in changes.items():
                setattr(self, name, value)
            self.changed.notify_all()

    def news(self, after: int, answered: int, wait: float) -> dict:
        """What the terminal has not shown or answered yet, once there is some (or after `wait` s)."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.heard) > after or self.asked > answered or self.ended,
                                  timeout=wait)
            return {"heard": [str(h) for h in self.heard[after:]], "asked": self.asked,
                    "ended": self.ended, "failed": self.failed, "legs": self.legs}


class Unlogged(WSGIRequestHandler):
    """The simulated Twilio's requests stay out of `make run`'s log: it shows the helpline's."""

    def log_request(self, *args, **kwargs):
        pass


class DevTwilio:
    """A SimTwilio on a fixed port, with the calls of `ivr call --url` run inside it."""

    def __init__(self, auth_token: str, port: int):
        from .phone import HttpTransport

        self.port = port
        self.sim = SimTwilio(Helpline(HttpTransport(), auth_token), SimClock(1.0), auth_token)
        self.calls: dict = {}
        self._server = None

    def serve(self) -> str:
        app = self.sim.rest_app()
        app.add_url_rule(PHONE_PATH, "here", lambda: jsonify({"calls": len(self.calls)}))
        app.add_url_rule(PHONE_PATH + "/calls", "place", self._place, methods=["POST"])
        app.add_url_rule(PHONE_PATH + "/calls/<call_id>", "news", self._news)
        app.add_url_rule(PHONE_PATH + "/calls/<call_id>/answer", "answer", self._answer, methods=["POST"])
        self._server = make_server("127.0.0.1", self.port, app, threaded=True, request_handler=Unlogged)
        threading.Thread(target=self._server.serve_forever, name="dev-twilio", daemon=True).start()
        self.sim.api_url = f"http://127.0.0.1:{self.port}"
        return self.sim.api_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        self.sim.stop()

    # -- the terminal's side ----------------------------------------------------------------------
    def _place(self):
        from .phone import HttpTransport, Phone, scripted

        form = request.form
        behaviour = form.get("professionals", "person")
        if behaviour not in PHONES or not form.get("url"):
            return jsonify({"message": f"professionals must be one of {sorted(PHONES)}, and url given"}), 400
        # One account, one way the professionals' phones behave: the newest call's (a developer
        # tries one thing at a time).
        self.sim.default_phone = behaviour
        phone = Phone(HttpTransport(), self.sim.auth_token, base_url=form["url"],
                      from_number=form.get("from", "+15550100123"), to_number=form.get("to", "+18005550100"),
                      twilio=self.sim)
        listening = form.get("listening_speed", 1.0, type=float)
        if listening != 1.0:
            phone.clock = QuickListener(self.sim.clock, min(max(listening, 0.1), 1000.0))
        call_id = uuid.uuid4().hex
        terminal = self.calls[call_id] = TerminalCall(heard=phone.heard)
        script = form.get("script")
        answer = scripted(script.split(",")) if script is not None else self._keyboard(terminal)
        threading.Thread(target=self._run, args=(phone, answer, terminal), name="dev-call", daemon=True).start()
        return jsonify({"id": call_id}), 201

    def _run(self, phone, answer, terminal: TerminalCall) -> None:
        before = set(self.sim.calls)
        try:
            phone.call(answer, on_heard=lambda heard: terminal.note())
            failed = any(h.kind in ("error", "cut-off") for h in phone.heard)
        except Exception as error:      # the terminal must hear why, not wait forever
            terminal.heard.append(f"(error: the simulated call failed: {error.__class__.__name__})")
            failed = True
        legs = [f"professional's phone {leg.to}: {leg.status}"
                + (f", answered by {leg.answered_by}" if leg.answered_by else "")
                for sid, leg in list(self.sim.calls.items()) if sid not in before and leg.direction == "outbound-api"]
        terminal.note(ended=True, failed=failed, legs=legs)

    @staticmethod
    def _keyboard(terminal: TerminalCall):
        """An `answer` that asks the terminal, and waits (as a caller thinks) for its reply."""
        def answer(_heard):
            terminal.note(asked=terminal.asked + 1)
            try:
                return terminal.answers.get(timeout=600)
            except queue.Empty:
                return None             # a terminal gone quiet for ten minutes: hang up
        return answer

    def _news(self, call_id):
        terminal = self.calls.get(call_id)
        if terminal is None:
            return jsonify({"message": "no such call"}), 404
        news = terminal.news(request.args.get("after", 0, type=int), request.args.get("answered", 0, type=int),
                             NEWS_WAIT_SECONDS)
        if news["ended"]:
            self.calls.pop(call_id, None)     # told its end: a helpline running for days keeps no old calls
        return jsonify(news)

    def _answer(self, call_id):
        terminal = self.calls.get(call_id)
        if terminal is None:
            return jsonify({"message": "no such call"}), 404
        terminal.answers.put(request.form.get("reply"))     # absent: hang up
        return "", 204


# -- the terminal: `ivr call --url` ------------------------------------------------------------------
class NoDevTwilio(Exception):
    """Nothing answers as a development Twilio at that port."""


class Terminal:
    """`ivr call --url`'s end of a call placed through the DevTwilio of a running `make run`."""

    def __init__(self, port: int, account_sid: str, auth_token: str):
        import requests

        self.base = f"http://127.0.0.1:{port}{PHONE_PATH}"
        self.session = requests.Session()
        self.session.auth = (account_sid, auth_token)

    def here(self) -> bool:
        """Is a development Twilio of this account serving that port?"""
        import requests

        try:
            return self.session.get(self.base, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def call(self, url: str, script: str | None, professionals: str, from_number: str, to_number: str,
             show, keyboard, listening_speed: float = 1.0) -> tuple[bool, list]:
        """Place the call, `show` each line heard as it comes, ask `keyboard` when the caller must
        answer; (whether it was cut off or answered an error, how the professionals' phones ended)."""
        form = {"url": url, "professionals": professionals, "from": from_number, "to": to_number,
                "listening_speed": listening_speed}
        if script is not None:
            form["script"] = script
        placed = self.session.post(self.base + "/calls", data=form, timeout=10)
        placed.raise_for_status()
        call = f"{self.base}/calls/{placed.json()['id']}"
        shown = answered = 0
        while True:
            news = self.session.get(call, params={"after": shown, "answered": answered},
                                    timeout=NEWS_WAIT_SECONDS + 10).json()
            for line in news["heard"]:
                show(line)
            shown += len(news["heard"])
            if news["ended"]:
                return news["failed"], news["legs"]
            if news["asked"] > answered:
                answered += 1
                reply = keyboard(None)
                self.session.post(call + "/answer", data={} if reply is None else {"reply": reply}, timeout=10)


def serve_beside(settings) -> DevTwilio | None:
    """For `make run`: when the helpline's Twilio is this machine's development account
    (IVR_TWILIO_API_URL=http://127.0.0.1:PORT, the simulator's account SID), serve it here for as
    long as the helpline runs. Anything else (a real account, a stand-in elsewhere) is left alone."""
    from urllib.parse import urlsplit

    from .state import ACCOUNT_SID

    where = urlsplit(settings.twilio_api_url)
    if where.hostname not in ("127.0.0.1", "localhost") or not where.port \
            or settings.twilio_account_sid != ACCOUNT_SID:
        return None
    dev = DevTwilio(settings.twilio_auth_token, where.port)
    try:
        dev.serve()
    except OSError as error:
        print(f"the simulated Twilio cannot be served on port {where.port} ({error.strerror or error}); "
              "professionals are rung through whatever answers there")
        return None
    print(f"Simulated Twilio (professionals' phones, recordings) on http://127.0.0.1:{where.port}")
    return dev
