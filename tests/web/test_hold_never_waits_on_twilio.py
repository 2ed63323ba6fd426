"""Leaving the queue stops the phones still ringing for the caller, and that takes REST requests
(one or two per phone, each up to the adapter's timeout). Twilio gives a hold page 15 s before it
takes the caller out of the queue with QueueResult=error
(https://www.twilio.com/docs/voice/twiml/enqueue), so none of those requests may run while the hold
page, a choice on hold or the queue's action is answered: here Twilio's REST API hangs for
BLOCKED_SECONDS on every request, and each of those pages still answers at once. Over real HTTP,
signed as Twilio signs, against the app as a whole (whichever module decides on hold)."""
from __future__ import annotations

import datetime
import threading
import time

import pytest

from like_twilio import BACKUP_LINE, CALL_PARAMS, call_params, dialed_numbers, parse_twiml, signed_post, wait_for

HELPLINE = CALL_PARAMS["To"]
QUEUE_STEP = "main:wait-for-someone"           # the shipped flows' queue step: max_wait 300, overflow backup
PAGE = f"at={QUEUE_STEP}&lang=en&tries=0"
#: Professionals of the shipped roster whose phones ring for the caller.
RINGING = ("ana-rivera", "marisol-pena", "ben-carter")
#: How long each REST request hangs: well past Twilio's 15 s for a hold page when added up.
BLOCKED_SECONDS = 12.0
#: What "at once" means here: far under Twilio's 15 s, whatever the machine.
AT_ONCE_SECONDS = 2.0


class HangingTwilio:
    """The REST adapter, with every request to Twilio hanging for BLOCKED_SECONDS (or until the
    test lets go); anything else is the real adapter's."""

    def __init__(self, adapter):
        self._adapter = adapter
        self.let_go = threading.Event()
        self.asked: list = []          # (what, its argument) of every request begun
        self.answered: list = []       # … and of every one that came back

    def __getattr__(self, name):
        return getattr(self._adapter, name)

    def _hang(self, what: str, argument: str):
        self.asked.append((what, argument))
        self.let_go.wait(BLOCKED_SECONDS)
        self.answered.append((what, argument))

    def stop_ringing(self, leg_sid: str) -> None:
        self._hang("stop_ringing", leg_sid)

    def leg_status(self, leg_sid: str) -> str:
        self._hang("leg_status", leg_sid)
        return "ringing"

    def ring(self, to, *args, **kwargs) -> str:
        self._hang("ring", to)
        return "CA" + "9" * 32

    def dequeue(self, queue_sid: str, call_sid: str, url: str) -> None:
        self._hang("dequeue", call_sid)


@pytest.fixture
def hanging(make_app, serve):
    """A helpline served over HTTP whose Twilio REST API hangs; let go before the helpline closes."""
    app = make_app()
    ivr = app.extensions["ivr"]
    twilio = HangingTwilio(ivr.api)
    ivr.api = twilio
    if ivr.control is not None:
        ivr.control.api = twilio
    yield ivr, serve(app).url, twilio
    twilio.let_go.set()


def phones_ringing_for(ivr, call_sid: str, *, waited_seconds: float) -> list:
    """A caller on hold for `waited_seconds`, with a phone ringing for them on each of RINGING's
    legs (placed, CallSid known): their leg sids."""
    now = ivr.now()
    ivr.waits.ask(call_sid, "en", "recovery", QUEUE_STEP, HELPLINE, now - datetime.timedelta(seconds=waited_seconds))
    legs = []
    for n, professional in enumerate(RINGING):
        offer = ivr.offers.claim(call_sid, 1, professional, now)
        legs.append(f"CA{call_sid[-8:]}{n:024d}")
        assert offer and ivr.offers.placed(offer, legs[-1], now)
    return legs


def answered_in(url: str, params: dict) -> tuple:
    began = time.monotonic()
    response = signed_post(url, params)
    return response, time.monotonic() - began


def phones_being_stopped(twilio: HangingTwilio, legs: list) -> bool:
    """The legs' phones are being stopped (a request for one of them has begun: they may be
    stopped one after another), and Twilio has answered none of those requests yet."""
    stopping = {argument for what, argument in twilio.asked if what == "stop_ringing"}
    return bool(stopping) and stopping <= set(legs) and not [a for w, a in twilio.answered if w == "stop_ringing"]


def test_the_hold_page_where_the_wait_runs_out_answers_leave_at_once_while_stopping_phones_hangs(hanging):
    ivr, url, twilio = hanging
    call_sid = "CA" + "1" * 32
    legs = phones_ringing_for(ivr, call_sid, waited_seconds=301)            # past max_wait: 300

    response, seconds = answered_in(f"{url}/voice/hold?{PAGE}", call_params(call_sid, QueueSid="QU" + "1" * 32))

    assert response.status_code == 200
    assert [verb.tag for verb in parse_twiml(response.text)] == ["Leave"]
    assert seconds < AT_ONCE_SECONDS
    assert wait_for(lambda: phones_being_stopped(twilio, legs), timeout=5)   # they are stopped, off its path


def test_a_choice_on_hold_answers_at_once_while_stopping_phones_hangs(hanging):
    ivr, url, twilio = hanging
    call_sid = "CA" + "2" * 32
    legs = phones_ringing_for(ivr, call_sid, waited_seconds=60)

    response, seconds = answered_in(f"{url}/voice/hold-key?{PAGE}",
                                    call_params(call_sid, Digits="3", QueueSid="QU" + "1" * 32))   # 3: partner line

    assert response.status_code == 200
    assert [verb.tag for verb in parse_twiml(response.text)] == ["Redirect"]       # back to the hold page
    assert seconds < AT_ONCE_SECONDS
    assert wait_for(lambda: phones_being_stopped(twilio, legs), timeout=5)

    # The hold page that follows lets the caller go, and the queue's action sends them on: at once too.
    hold, hold_seconds = answered_in(f"{url}/voice/hold?{PAGE}", call_params(call_sid, QueueSid="QU" + "1" * 32))
    queued, queued_seconds = answered_in(f"{url}/voice/queued?{PAGE}",
                                         call_params(call_sid, QueueResult="leave", QueueSid="QU" + "1" * 32))
    assert [verb.tag for verb in parse_twiml(hold.text)] == ["Leave"] and hold_seconds < AT_ONCE_SECONDS
    assert dialed_numbers(parse_twiml(queued.text)) == [BACKUP_LINE] and queued_seconds < AT_ONCE_SECONDS


@pytest.mark.parametrize("result", ["error", "system-error", "queue-full", "hangup"])
def test_leaving_the_queue_answers_at_once_while_stopping_phones_hangs(hanging, result):
    ivr, url, twilio = hanging
    call_sid = "CA" + "3" * 32
    legs = phones_ringing_for(ivr, call_sid, waited_seconds=60)

    response, seconds = answered_in(f"{url}/voice/queued?{PAGE}",
                                    call_params(call_sid, QueueResult=result, QueueSid="QU" + "1" * 32))

    assert response.status_code == 200
    document = parse_twiml(response.text)
    if result == "hangup":
        assert dialed_numbers(document) == []
    else:
        assert dialed_numbers(document) == [BACKUP_LINE], response.text       # the step's overflow
    assert seconds < AT_ONCE_SECONDS
    assert wait_for(lambda: phones_being_stopped(twilio, legs), timeout=5)
