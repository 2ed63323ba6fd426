"""Twilio's status callbacks as the simulator sends them in its 'retried-and-late' mode — each
twice, progress events and the final one's retry late, every copy with the SequenceNumber it was
sent with — reach a served helpline in whatever order they arrive, and the call ends completed,
on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import collections

import pytest

from ivr.sim.state import Call
from like_twilio import CALLER, wait_for

#: A call's life as its status callbacks tell it: (CallStatus, the StatusCallbackEvent asked for).
LIFE = [("initiated", "initiated"), ("ringing", "ringing"), ("in-progress", "answered"), ("completed", "completed")]
SEEDS = range(4)


def a_call_to(url: str, sid: str) -> Call:
    return Call(sid, "+18005550100", CALLER, "outbound-api", status_callback=url,
                events=tuple(event for _, event in LIFE), started=0.0)


def live_through(twilio, call: Call) -> None:
    for status, event in LIFE:
        twilio.progress(call, status, event)
    for thread in list(twilio.threads):
        thread.join(timeout=30)


@pytest.mark.parametrize("seed", SEEDS)
def test_status_callbacks_sent_twice_and_out_of_order_leave_the_call_completed(
        make_app, serve, twilio, database_url, seed):
    import random

    twilio.callbacks, twilio.random = "retried-and-late", random.Random(seed)
    app = make_app(database_url=database_url)
    server = serve(app)
    sid = f"CA{seed:032d}"

    live_through(twilio, a_call_to(f"{server.url}/voice/status", sid))

    sent = [params for url, params, status in twilio.helpline.log if params.get("CallSid") == sid]
    assert [status for url, params, status in twilio.helpline.log if params.get("CallSid") == sid] == [204] * 8
    assert wait_for(lambda: app.extensions["ivr"].calls.get(sid) is not None, timeout=5)
    call = app.extensions["ivr"].calls.get(sid)
    assert (call.status, call.status_sequence) == ("completed", 3)
    assert call.duration_seconds is not None and call.ended_at is not None
    assert len(sent) == 8


def test_the_simulators_sequence_numbers_follow_the_order_sent_and_a_retry_repeats_its_own(twilio):
    for seed in SEEDS:
        import random

        twilio.callbacks, twilio.random = "retried-and-late", random.Random(seed)
        twilio.helpline.log.clear()
        twilio.helpline.transport = _Nowhere()
        live_through(twilio, a_call_to("http://127.0.0.1:9/voice/status", f"CA{seed:032d}"))

        arrived = [(params["SequenceNumber"], params["CallStatus"]) for url, params, status in twilio.helpline.log]
        copies = collections.Counter(arrived)
        assert copies == {(str(number), status): 2 for number, (status, _) in enumerate(LIFE)}
        first_final = next(i for i, (_, status) in enumerate(arrived) if status == "completed")
        assert first_final < max(i for i, (_, status) in enumerate(arrived) if status != "completed")


class _Nowhere:
    """A helpline that answers every request at once (the arrival order is what is looked at)."""

    def post(self, url, params, headers):
        return 204, ""


def test_status_callbacks_kept_on_disk_during_an_outage_and_written_later_leave_the_call_completed(
        make_app, serve, database_url):
    from outages import outage
    from like_twilio import call_params, signed_post

    app = make_app(database_url=database_url)
    server = serve(app)
    sid = "CA" + "3" * 32
    assert signed_post(f"{server.url}/voice/incoming", call_params(sid)).status_code == 200
    app.extensions["ivr"].calls.flush()

    with outage(app.extensions["ivr"].settings.database_url):
        # The final status first, then the progress Twilio had sent before it, and a retry.
        for status, number in [("completed", 3), ("in-progress", 2), ("ringing", 1), ("completed", 3)]:
            extra = {"CallDuration": "75"} if status == "completed" else {}
            answer = signed_post(f"{server.url}/voice/status", call_params(
                sid, CallStatus=status, SequenceNumber=str(number), **extra))
            assert answer.status_code == 204

    def settled():
        call = app.extensions["ivr"].calls.get(sid)
        return call is not None and (call.status, call.status_sequence, call.duration_seconds) == ("completed", 3, 75)
    assert wait_for(lambda: app.extensions["ivr"].calls.waiting_records() == 0, timeout=20)
    assert settled(), app.extensions["ivr"].calls.get(sid)
