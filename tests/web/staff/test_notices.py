"""Nobody misses a voicemail or a callback: the professionals on shift who speak its language are
texted at once from the helpline's number — no caller number, no words of the message —, and one
still owed after the escalation time is texted to the leads, each text once, whichever instance
sends it; a text Twilio refused is tried again. Over real HTTP with Twilio simulated."""
from __future__ import annotations

import concurrent.futures
import datetime
import re
import zoneinfo
from pathlib import Path

import pytest

from ivr.sim.phone import HttpTransport, Phone, scripted
from callers import simulated_twilio
from like_twilio import AUTH_TOKEN, CALL_PARAMS, CALLER, wait_for
from conftest import make_account

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
#: Wednesday 10:00 in New York: Ana Rivera (en, es), Marisol Peña (es, en) and Ben Carter (en) on shift.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)
ANA, MARISOL, BEN, CARMEN = "+12025550101", "+12025550102", "+12025550103", "+12025550104"
HELPLINE = CALL_PARAMS["To"]
AUDIO = Path(__file__).resolve().parents[3] / "audio"
TYPED = "5017129934"


@pytest.fixture
def twilio():
    sim = simulated_twilio(100.0, WEDNESDAY_10AM)
    sim.default_phone = "no-answer"                  # nobody picks up: callers leave messages
    yield sim
    sim.stop()


def leave(line, *script) -> Phone:
    phone = Phone(HttpTransport(), AUTH_TOKEN, base_url=line.url, from_number=CALLER, twilio=line.twilio)
    phone.call(scripted(list(script)))
    return phone


def texts(line) -> list:
    return list(line.twilio.messages)


def test_a_spanish_voicemail_texts_the_spanish_speakers_on_shift_and_nobody_else(line):
    leave(line, "2", "0", "hold:1")                       # Spanish, a person, then a voicemail

    assert wait_for(lambda: len(texts(line)) == 2, timeout=10)
    [voicemail] = line.ivr.owed.voicemails(None, line.clock())
    sent = texts(line)
    assert sorted(m["to"] for m in sent) == sorted([ANA, MARISOL])
    for message in sent:
        assert message["from"] == HELPLINE
        assert re.fullmatch(rf"New voicemail \(Spanish, \d+:\d\d\)\. Open: {line.url}/staff/voicemails/{voicemail.id}",
                            message["body"]), message["body"]
        assert CALLER[-10:] not in message["body"] and CALLER[-4:] not in message["body"]


def test_a_callback_request_texts_those_on_shift_for_its_language_but_not_one_who_is_away(line):
    line.ivr.presence.set_away("ben-carter", True, line.clock())

    leave(line, "1", "0", "hold:2", TYPED, "1")                 # English, a person, then a callback

    assert wait_for(lambda: len(texts(line)) == 2, timeout=10)
    assert sorted(m["to"] for m in texts(line)) == sorted([ANA, MARISOL])
    assert all(m["body"].startswith("New callback request (English). Open: ") for m in texts(line))
    assert all(TYPED not in m["body"] and TYPED[-4:] not in m["body"] for m in texts(line))


def test_a_voicemail_still_owed_after_thirty_minutes_is_texted_to_the_lead_once(line):
    make_account(line.app, "Carmen Díaz", "lead", "carmen-diaz")
    leave(line, "2", "0", "hold:1")
    assert wait_for(lambda: len(texts(line)) == 2, timeout=10)

    line.clock.move_on(29 * 60)
    line.ivr.notices.sweep()
    assert len(texts(line)) == 2                           # not yet
    line.clock.move_on(2 * 60)
    line.ivr.notices.sweep()
    line.ivr.notices.sweep()

    [escalation] = texts(line)[2:]
    assert escalation["to"] == CARMEN
    assert escalation["body"].startswith("Voicemail waiting 30 min, not handled (Spanish). Open: ")


def test_a_voicemail_handled_in_time_is_not_escalated(line):
    make_account(line.app, "Carmen Díaz", "lead", "carmen-diaz")
    leave(line, "2", "0", "hold:1")
    assert wait_for(lambda: len(texts(line)) == 2, timeout=10)
    [voicemail] = line.ivr.owed.voicemails(None, line.clock())
    line.ivr.owed.voicemail_handled(voicemail.id, "ana-rivera", line.clock())

    line.clock.move_on(45 * 60)
    line.ivr.notices.sweep()

    assert len(texts(line)) == 2


def test_with_nobody_on_shift_for_its_language_the_leads_are_texted_at_once(line, flows_dir):
    make_account(line.app, "Carmen Díaz", "lead", "carmen-diaz")
    for person in ("ana-rivera", "marisol-pena"):          # the Spanish speakers on shift step away
        line.ivr.presence.set_away(person, True, line.clock())

    leave(line, "2", "0", "hold:1")

    assert wait_for(lambda: len(texts(line)) == 1, timeout=10)
    assert texts(line)[0]["to"] == CARMEN


def test_two_instances_sweeping_at_the_same_moment_send_each_text_once(line, make_app):
    other = make_app(flows_check_seconds=0, audio_dir=AUDIO)        # the same database, another instance
    other.extensions["ivr"].clock = line.clock
    line.ivr.notices.close()                                         # no thread of its own: only the sweeps below
    leave(line, "2", "0", "hold:1")
    leave(line, "1", "0", "hold:2", TYPED, "1")
    assert texts(line) == []
    for notices in (line.ivr.notices, other.extensions["ivr"].notices):
        notices.base_url = line.url

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: (line.ivr.notices if i % 2 else other.extensions["ivr"].notices).sweep(), range(8)))

    assert sorted(m["to"] for m in texts(line)) == sorted([ANA, MARISOL, ANA, MARISOL, BEN])


def test_a_text_twilio_refuses_is_sent_at_the_next_sweep(line):
    line.twilio.refuse_messages = True
    leave(line, "2", "0", "hold:1")
    assert wait_for(lambda: line.ivr.owed.not_notified("voicemail"), timeout=10)
    assert texts(line) == []

    line.twilio.refuse_messages = False
    line.ivr.notices.sweep()

    assert sorted(m["to"] for m in texts(line)) == sorted([ANA, MARISOL])


def test_a_recording_twilio_could_not_delete_when_handled_is_deleted_at_the_next_sweep(line):
    leave(line, "2", "0", "hold:1")
    [voicemail] = line.ivr.owed.voicemails(None, line.clock())
    line.ivr.owed.voicemail_handled(voicemail.id, "ana-rivera", line.clock())    # as if the delete had failed
    assert len(line.twilio.recordings) == 1

    line.ivr.notices.sweep()

    assert line.twilio.recordings == {}
    assert line.ivr.owed.voicemail(voicemail.id).recording_deleted_at is not None
