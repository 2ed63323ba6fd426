"""A caller's number is confidential: no log line of a whole call shows it, only its masked form."""
import logging
import re

from sqlalchemy import select

from ivr.sim.twilio import lone_phone
from ivr.sim.phone import HttpTransport, Phone, scripted
from ivr.privacy import mask_number
from ivr.store.schema import calls
from like_twilio import AUTH_TOKEN, CALLER, call_params, signed_post, wait_for

TYPED_CALLBACK_NUMBER = "5017129934"


def test_the_caller_number_never_appears_in_clear_in_the_logs_of_a_whole_call(live_server, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="werkzeug")      # the development server's request lines too
    twilio.default_phone = "no-answer"
    phone = Phone(HttpTransport(), AUTH_TOKEN, base_url=live_server.url, from_number=CALLER, twilio=twilio)

    # Spanish, neurotoxicity, a person; nobody answers; ask for a call back and type a number.
    phone.call(scripted(["2", "3", "0", "hold:2", TYPED_CALLBACK_NUMBER]))
    sid = phone.call_sid
    signed_post(live_server.url + "/voice/status", call_params(sid, CallStatus="completed", CallDuration="95"))
    signed_post(live_server.url + "/voice/fallback", call_params(sid, ErrorCode="11200"))
    signed_post(live_server.url + "/voice/incoming", call_params(sid), token="not-our-auth-token")  # refused

    logged = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    digits = re.sub(r"\D", "", CALLER)
    kinds = [h.kind for h in phone.heard]
    assert "hold" in kinds and kinds[-1] == "hangup"      # the whole call, to the goodbye
    assert '"POST /voice/incoming' in logged             # the server's request lines are among what is read
    assert CALLER not in logged
    assert digits not in logged
    assert digits[:7] not in logged                 # not even the first digits (+1 501 712…)
    assert CALLER[:8] not in logged
    assert TYPED_CALLBACK_NUMBER not in logged
    assert mask_number(CALLER) in logged            # +*******2661: enough to tell two calls apart


def test_the_call_record_keeps_a_keyed_hash_of_the_caller_and_never_the_number(live_server, app):
    phone = lone_phone(HttpTransport(), AUTH_TOKEN, base_url=live_server.url, from_number=CALLER)
    phone.call(scripted([]))
    records = app.extensions["ivr"].calls
    records.flush()

    row = wait_for(lambda: records.get(phone.call_sid))

    assert row is not None
    with app.extensions["ivr"].database.connect() as connection:
        stored = " ".join(str(value) for value in connection.execute(select(calls)).one())
    digits = re.sub(r"\D", "", CALLER)
    assert digits[:7] not in stored
    assert re.fullmatch(r"[0-9a-f]{20}", row.caller_key)
