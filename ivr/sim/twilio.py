"""The Twilio side of the simulator: REST API v2010 (as much as the helpline uses), queues,
conferences, the recordings a <Record> leaves and the status callbacks of the calls it places —
each as Twilio's docs describe it.

Served over real HTTP (`serve()`), so the helpline reaches it exactly as it would reach Twilio:
through `twilio.rest.Client`, at IVR_TWILIO_API_URL.
"""
from __future__ import annotations

import email.utils
import random
import threading

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from .account import SimAccount, add_account_routes, call_into_number, runs_number
from .clock import SimClock
from .media import add_media_routes, add_recording
from .phone import Phone
from .professionals import run_leg
from .state import ACCOUNT_SID, API, FINAL, TWILIO_API, Call, Conference, Queue, error, new_sid
from .webhooks import Helpline


class SimTwilio:
    def __init__(self, helpline: Helpline, clock: SimClock, auth_token: str, phones: dict | None = None,
                 default_phone: str = "person", callbacks: str = "in-order", seed: int | None = None):
        """`phones`: number -> behaviour name (see professionals.py); `callbacks`: 'in-order', or
        'retried-and-late' — every callback sent twice at once, progress events late (as Twilio's
        docs allow: "there is no guarantee they will arrive in the same order",
        https://www.twilio.com/docs/voice/api/call-resource, StatusCallback)."""
        self.helpline, self.clock, self.auth_token = helpline, clock, auth_token
        self.phones, self.default_phone, self.callbacks = dict(phones or {}), default_phone, callbacks
        self.calls: dict = {}
        self.queues: dict = {}
        self.conferences: dict = {}
        self.recordings: dict = {}   # sid -> Recording, until the helpline deletes it
        self.messages: list = []     # every text message sent through the REST API, in order
        self.refuse_messages = False
        self.refuse_call_lists = False   # reading the Calls list fails (a 503), as a Twilio out of reach would
        self.max_queue_size = 1000   # of each queue made from now on (a REST Queue update sets it at Twilio)
        # The QueueResult a caller's queue action gets when their hold page fails (not reached, an
        # error status, not TwiML): 'error' or 'system-error' (see phone.py, Phone._hold).
        self.failed_hold_page_result = "error"
        self.calls_per_second = 1    # the account's CPS (Twilio's default)
        self._next_turn = 0.0        # simulated second the next call may start
        self.caller_ids: set | None = None     # numbers a call may come From (None: any)
        self.lose_callbacks = 0.0    # the share of status callbacks never sent (any event may be lost)
        self.lose_seed: int | None = None      # set: which ones are lost is the same on every run
        self.lost_callbacks: list = []
        self._placed_to: dict = {}   # number -> calls placed to it so far
        self.linked_hangups: dict = {}   # inbound CallSid -> the hangup of the REST call it came from

        self.account = SimAccount()  # its numbers and their toll-free verifications, blocked texts (account.py)
        self.api_url = TWILIO_API    # where the REST API is served, once it is
        self.requests: list = []     # (method, path, {name: [values]}) of every REST request
        self.lock = threading.RLock()
        self.random = random.Random(seed)
        self._server = None
        self.threads: list = []

    # -- serving --------------------------------------------------------------------------------
    def serve(self) -> str:
        """Serve the REST API on 127.0.0.1 (a free port); its base URL."""
        self._server = make_server("127.0.0.1", 0, self.rest_app(), threaded=True)
        thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="sim-twilio", daemon=True)
        thread.start()
        self.api_url = f"http://127.0.0.1:{self._server.server_port}"
        return self.api_url

    def serve_on(self, port: int) -> str:
        self._server = make_server("127.0.0.1", port, self.rest_app(), threaded=True)
        threading.Thread(target=self._server.serve_forever, name="sim-twilio", daemon=True).start()
        self.api_url = f"http://127.0.0.1:{port}"
        return self.api_url

    def stop(self) -> None:
        for call in list(self.calls.values()):
            call.hangup.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join(timeout=5)

    def start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self.lock:                 # started under the lock: stop() never joins one not yet running
            thread.start()
            self.threads.append(thread)

    # -- the REST API ---------------------------------------------------------------------------
    def rest_app(self) -> Flask:
        app = Flask("sim-twilio")

        @app.before_request
        def authenticate():
            given = request.form if request.method == "POST" else request.args       # a GET's filters
            self.requests.append((request.method, request.path, given.to_dict(flat=False)))
            auth = request.authorization
            if auth is None or auth.username != ACCOUNT_SID or auth.password != self.auth_token:
                return error(401, 20003, "Authenticate")
            return None

        @app.post(API + "/Calls.json")
        def create_call(account):
            form = request.form
            # Url, or else Twiml: "TwiML instructions for the call Twilio will use without fetching
            # Twiml from url" (Create a Call, https://www.twilio.com/docs/voice/api/call-resource).
            for name in ("To", "From", "Url" if not form.get("Twiml") else "Twiml"):
                if not form.get(name):
                    return error(400, 21201 if name == "To" else 21212, f"No '{name}' number is specified")
            if self.caller_ids is not None and form["From"] not in self.caller_ids \
                    and form["From"] not in self.account.numbers:
                # "The From number used to make outbound call not a Twilio number or not a verified
                # caller ID" (https://www.twilio.com/docs/errors/21210).
                return error(400, 21210, "The source phone number provided, " + form["From"]
                             + ", is not yet verified for your account.")
            call = Call(new_sid(), form["To"], form["From"], "outbound-api", url=form.get("Url", ""),
                        fallback_url=form.get("FallbackUrl", ""), status_callback=form.get("StatusCallback", ""),
                        events=tuple(form.getlist("StatusCallbackEvent")) or ("completed",),
                        timeout=int(form.get("Timeout", "60")), machine_detection=form.get("MachineDetection", ""),
                        send_digits=form.get("SendDigits", ""))
            with self.lock:
                self.calls[call.sid] = call
                call.ordinal = self._placed_to.get(call.to, 0)
                self._placed_to[call.to] = call.ordinal + 1
                # Beyond the account's calls per second Twilio queues a call: it stays 'queued'
                # until its turn (https://www.twilio.com/docs/glossary/cps).
                turn = max(self.clock.seconds(), self._next_turn)
                self._next_turn = turn + 1.0 / self.calls_per_second
            self.start(self._leg_in_turn, call, turn)
            return jsonify(self.resource(call)), 201

        @app.post(API + "/Calls/<sid>.json")
        def update_call(account, sid):
            call = self.calls.get(sid.removesuffix(".json"))
            if call is None:
                return error(404, 20404, f"The requested resource /Calls/{sid}.json was not found")
            status, url = request.form.get("Status"), request.form.get("Url")
            if call.status in FINAL and url:
                return error(400, 21220, "Call is not in-progress. Cannot redirect.")
            if status == "canceled" and call.status in ("queued", "initiated", "ringing"):
                call.hangup.set()    # "will attempt to hang up calls that are queued or ringing"
            elif status == "completed" and call.status not in FINAL:
                call.hangup.set()    # "will attempt to hang up a call even if it's already in progress"
            elif url:
                call.dequeue_url = url
                self.leave_queue(call)
                call.wake.set()
            return jsonify(self.resource(call))

        @app.get(API + "/Calls.json")
        def list_calls(account):
            # Read multiple Calls, filtered by ParentCallSid ("Only include calls spawned by calls
            # with this SID"), To and Status (https://www.twilio.com/docs/voice/api/call-resource,
            # as the twilio library documents them); one page holds them all.
            if self.refuse_call_lists:
                return error(503, 20500, "Service Unavailable")
            wanted = {"parent_sid": request.args.get("ParentCallSid"), "to": request.args.get("To"),
                      "status": request.args.get("Status")}
            with self.lock:
                found = [self.resource(call) for call in self.calls.values()
                         if all(value is None or getattr(call, name) == value for name, value in wanted.items())]
            return jsonify({"calls": found, "next_page_uri": None, "page": 0, "page_size": 50, "start": 0,
                            "end": max(0, len(found) - 1), "first_page_uri": request.full_path,
                            "previous_page_uri": None, "uri": request.full_path})

        @app.get(API + "/Calls/<sid>.json")
        def fetch_call(account, sid):
            call = self.calls.get(sid)
            if call is None:
                return error(404, 20404, f"The requested resource /Calls/{sid}.json was not found")
            return jsonify(self.resource(call))

        @app.post(API + "/Queues/<queue_sid>/Members/<call_sid>.json")
        def dequeue(account, queue_sid, call_sid):
            queue = next((q for q in self.queues.values() if q.sid == queue_sid), None)
            call = self.calls.get(call_sid)
            if queue is None or call is None or call_sid not in [sid for sid, _ in queue.members]:
                return error(404, 20404, "The requested resource was not found")
            if not request.form.get("Url"):
                return error(400, 20001, "Url is required")
            call.dequeue_url = request.form["Url"]
            self.leave_queue(call)
            call.wake.set()
            return jsonify({"call_sid": call_sid, "queue_sid": queue_sid, "position": 0, "wait_time": 0})

        add_media_routes(app, self)
        add_account_routes(app, self)
        return app

    def _leg_in_turn(self, call: Call, turn: float) -> None:
        if self.clock.sleep(turn - self.clock.seconds(), call.hangup):
            self.progress(call, "canceled", "completed")       # "canceled" before it ever started
            return
        if runs_number(self, call):     # a number of this account: its own Voice URL answers
            call_into_number(self, call)
            return
        run_leg(self, call, self.phones.get(call.to, self.default_phone))

    def add_recording(self, call_sid: str, duration: int) -> tuple:
        """A <Record> of `call_sid` ended: (its RecordingSid, its RecordingUrl) — see media.py."""
        return add_recording(self, call_sid, duration)

    def resource(self, call: Call) -> dict:
        def date(seconds):
            if seconds is None:
                return None
            moment = self.clock.start.timestamp() + seconds
            return email.utils.formatdate(moment, usegmt=True)
        duration = None if call.started is None or call.ended is None else str(int(call.ended - call.started))
        return {"sid": call.sid, "account_sid": ACCOUNT_SID, "to": call.to, "from": call.from_,
                "status": call.status, "direction": call.direction, "answered_by": call.answered_by or None,
                "parent_call_sid": call.parent_sid or None,
                "start_time": date(call.started), "end_time": date(call.ended), "duration": duration,
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call.sid}.json"}

    # -- the caller's side (used by ivr.sim.phone) --------------------------------------------------
    def incoming_call(self, sid: str, from_: str, to: str) -> Call:
        call = Call(sid, to, from_, "inbound", status="in-progress", started=self.clock.seconds())
        # A call placed through the REST API To a number of the account arrives as this one: ending
        # either ends the other (account.py).
        call.hangup = self.linked_hangups.pop(sid, call.hangup)
        with self.lock:
            self.calls[sid] = call
        return call

    def enqueue(self, call: Call, name: str) -> Queue | None:
        """The queue the call now waits in; None when it is full (the caller is not let in, and
        the action is requested with QueueResult=queue-full: https://www.twilio.com/docs/voice/twiml/enqueue)."""
        with self.lock:
            queue = self.queues.get(name)
            if queue is None:
                # "If the named queue hasn't yet been created, Twilio will create one."
                queue = self.queues[name] = Queue(new_sid("QU"), name, max_size=self.max_queue_size)
            if len(queue.members) >= queue.max_size:
                return None
            queue.members.append((call.sid, self.clock.seconds()))
            call.dequeue_url = ""
            call.wake.clear()
            return queue

    def leave_queue(self, call: Call) -> None:
        with self.lock:
            for queue in self.queues.values():
                for sid, since in list(queue.members):
                    if sid == call.sid:
                        queue.members.remove((sid, since))
                        queue.waits.append(self.clock.seconds() - since)

    def queue_params(self, call: Call, queue: Queue) -> dict:
        """What Twilio sends to a waitUrl (https://www.twilio.com/docs/voice/twiml/enqueue):
        QueueTime is this stay in the queue only."""
        with self.lock:
            position = next((i + 1 for i, (sid, _) in enumerate(queue.members) if sid == call.sid), 0)
            since = next((t for sid, t in queue.members if sid == call.sid), self.clock.seconds())
            average = sum(queue.waits) / len(queue.waits) if queue.waits else 0
            return {"QueueSid": queue.sid, "QueuePosition": str(position),
                    "QueueTime": str(int(self.clock.seconds() - since)), "AvgQueueTime": str(int(average)),
                    "CurrentQueueSize": str(len(queue.members)), "MaxQueueSize": "1000"}

    def join(self, call: Call, name: str, end_on_exit: bool) -> Conference:
        with self.lock:
            conference = self.conferences.get(name)
            if conference is None or conference.over.is_set():
                conference = self.conferences[name] = Conference(name)
            conference.members[call.sid] = end_on_exit
            if len(conference.members) >= 2:
                conference.talked = True
            return conference

    def leave(self, call: Call, conference: Conference) -> None:
        """A participant leaves; with endConferenceOnExit the conference ends for everyone."""
        with self.lock:
            end = conference.members.pop(call.sid, False)
            if end or not conference.members:
                conference.over.set()

    # -- status callbacks -----------------------------------------------------------------------
    def progress(self, call: Call, status: str, event: str) -> None:
        """The call reached `status`; tell the helpline if it asked for `event`.

        SequenceNumber: this call's status callbacks counted in the order sent, from 0, a retry
        repeating its number. Twilio sends a SequenceNumber with status callbacks, but the stored
        copy of its docs searched for this change did not state its exact meaning, so the helpline
        relies on it only to hold back an older progress status, never a final one. That callbacks
        may come out of order, and that a failed one is tried again (so comes twice), is what
        https://www.twilio.com/docs/voice/api/call-resource (StatusCallback) and the connection
        overrides page (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides)
        say; `callbacks='retried-and-late'` plays both."""
        call.status = status
        if status in FINAL:
            call.ended = self.clock.seconds()
        if not call.status_callback or event not in call.events:
            return
        params = {"CallSid": call.sid, "AccountSid": ACCOUNT_SID, "From": call.from_, "To": call.to,
                  "CallStatus": status, "Direction": call.direction, "ApiVersion": "2010-04-01",
                  "SequenceNumber": call.next_sequence(), "CallbackSource": "call-progress-events",
                  "Timestamp": email.utils.formatdate(usegmt=True)}
        if status in FINAL:
            params["CallDuration"] = str(int(call.ended - call.started)) if call.started is not None else "0"
        if call.answered_by:
            params["AnsweredBy"] = call.answered_by
        if self._lost(call, status):
            self.lost_callbacks.append(params)       # never sent: Twilio gave up, or it was refused
            return
        if self.callbacks == "in-order":
            self.helpline.post(call.status_callback, params)
            return
        # Retried and late ("there is no guarantee they will arrive in the same order",
        # https://www.twilio.com/docs/voice/api/call-resource, StatusCallback):
        # every callback twice, each copy at its own moment — progress events up to 3 s late, the
        # final one's retry too — so a final status may come before, between or after the progress
        # that preceded it, and twice; both copies carry the SequenceNumber it was sent with.
        for copy in range(2):
            late = status not in FINAL or copy == 1
            self.start(self._late_post, call.status_callback, params, self.random.uniform(0.5, 3.0) if late else 0.0)

    def _lost(self, call: Call, status: str) -> bool:
        """Whether this status callback is never sent: a callback can expire in Twilio's queue
        before it is sent (https://www.twilio.com/docs/api/errors/15002). With `lose_seed` the
        draw is this callback's own — the seed, the number called, how many calls went to it
        before, the status — so the same ones are lost on every run, whatever order the legs'
        threads send them in."""
        if not self.lose_callbacks:
            return False
        if self.lose_seed is None:
            return self.random.random() < self.lose_callbacks
        draw = random.Random(f"{self.lose_seed}:{call.to}:{call.ordinal}:{status}")
        return draw.random() < self.lose_callbacks

    def _late_post(self, url: str, params: dict, delay: float) -> None:
        if delay:
            self.clock.sleep(delay)
        self.helpline.post(url, dict(params))


def lone_phone(transport, auth_token: str, clock: SimClock | None = None, **fields) -> Phone:
    """A caller with a simulated Twilio of its own (nobody else calls through it), on a fast clock."""
    clock = clock or SimClock(speed=1000.0)
    return Phone(transport, auth_token, twilio=SimTwilio(Helpline(transport, auth_token), clock, auth_token), **fields)
