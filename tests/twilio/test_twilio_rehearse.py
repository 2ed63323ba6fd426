"""`ivr twilio rehearse` with Twilio's exact requests recorded: the stand-in's Voice URL is set to
the helpline's stand-in webhook, and set back whatever happens — and a Voice URL Twilio will not
set back is reported as a failure, naming the URL to restore in the console."""
from __future__ import annotations

from sqlalchemy import select

from ivr.store.database import open_database
from ivr.store.schema import rehearsals
from rest_fakes import twilio_error
from test_twilio_setup import ACCOUNT, AUTH, BASE, HELPLINE, ivr_twilio, listed, number_resource

STAND_IN, STAND_IN_SID = "+18005550177", "PN" + "7" * 32
BEFORE = "https://demo.twilio.com/welcome/voice/"


def test_a_call_twilio_refuses_and_a_voice_url_it_will_not_set_back_are_both_reported(tmp_path):
    database = f"sqlite:///{tmp_path / 'helpline.db'}"
    stand_in = number_resource(STAND_IN, sid=STAND_IN_SID, voice_url=BEFORE)
    result, sent = ivr_twilio("rehearse", "--number", HELPLINE, "--from", STAND_IN, "--base-url", BASE,
                              env={"DATABASE_URL": database},
                              answers=[listed(number_resource()), listed(stand_in),
                                       (200, {**stand_in, "voice_url": "changed"}),
                                       twilio_error(400, 21210), twilio_error(500, 20500)])

    assert result.exit_code == 1
    update = f"{ACCOUNT}/IncomingPhoneNumbers/{STAND_IN_SID}.json"
    assert [(s.method, s.url) for s in sent[2:]] == [("POST", update), ("POST", f"{ACCOUNT}/Calls.json"),
                                                    ("POST", update)]
    assert sent[2].data["VoiceUrl"].startswith(f"{BASE}/voice/rehearsal-professional?rehearsal=")
    assert sent[3].data["From"] == STAND_IN and sent[3].data["To"] == HELPLINE
    assert sent[3].data["SendDigits"] == "wwwwww1wwww0" and "<Pause" in sent[3].data["Twiml"]
    assert sent[4].data == {"VoiceUrl": BEFORE, "VoiceMethod": "POST"} and sent[4].auth == AUTH
    assert "not seen: call placed: Twilio refused to place the rehearsal call: 400 21210" in result.stderr
    assert (f"not seen: stand-in number restored: could not restore {STAND_IN}'s Voice URL to {BEFORE}: "
            "Twilio refused to update the phone number: 500 20500; set it back in the console") in result.stderr
    assert "Traceback" not in result.output
    engine = open_database(database)
    with engine.connect() as connection:
        finished = connection.execute(select(rehearsals)).one()
    engine.dispose()
    assert finished.finished_at is not None          # over: its stand-in webhook now hangs up
