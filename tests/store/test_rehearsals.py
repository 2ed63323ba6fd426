"""A rehearsal's call (`ivr twilio rehearse`) is claimed once, only while its rehearsal is active,
and is never owed to anyone: its voicemail or callback request sends no notice and no escalation."""
from __future__ import annotations

import datetime

from ivr.store.calls import CallRecords
from ivr.store.owed import OwedStore
from ivr.store.rehearsals import Rehearsals

NOW = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.timezone.utc)
HELPLINE, STAND_IN, CALLER = "+18005550100", "+18005550177", "+15017122661"


def test_only_the_first_call_from_the_stand_in_while_the_rehearsal_is_active_is_the_rehearsals(engine):
    rehearsals = Rehearsals(engine)
    rehearsals.start(HELPLINE, STAND_IN, NOW, datetime.timedelta(minutes=3))

    assert not rehearsals.claim_call(CALLER, HELPLINE, "CA-caller", NOW)           # a real caller
    assert rehearsals.claim_call(STAND_IN, HELPLINE, "CA-rehearsal", NOW)
    assert not rehearsals.claim_call(STAND_IN, HELPLINE, "CA-again", NOW)          # one call per rehearsal
    assert rehearsals.stand_ins() == {"CA-rehearsal": STAND_IN}


def test_a_call_from_the_stand_in_after_the_rehearsal_ended_is_an_ordinary_call(engine):
    rehearsals = Rehearsals(engine)
    rehearsals.start(HELPLINE, STAND_IN, NOW, datetime.timedelta(minutes=3))
    assert not rehearsals.claim_call(STAND_IN, HELPLINE, "CA-late", NOW + datetime.timedelta(minutes=4))
    assert rehearsals.stand_ins() == {}


def test_a_rehearsals_voicemail_and_callback_request_are_never_notified_nor_escalated(engine):
    rehearsals, records, owed = Rehearsals(engine), CallRecords(engine), OwedStore(engine)
    rehearsals.start(HELPLINE, STAND_IN, NOW, datetime.timedelta(minutes=3))
    rehearsals.claim_call(STAND_IN, HELPLINE, "CA-rehearsal", NOW)
    for sid in ("CA-rehearsal", "CA-caller"):
        records.voicemail_left(sid, "key", f"https://api.twilio.com/{sid}", 12, "en", NOW, HELPLINE)
        records.callback_requested(sid, "key", CALLER, "en", NOW, helpline_number=HELPLINE)
    later = NOW + datetime.timedelta(hours=2)

    for kind in ("voicemail", "callback"):
        assert [row.call_sid for row in owed.not_notified(kind)] == ["CA-caller"]
        assert [row.call_sid for row in owed.overdue(kind, datetime.timedelta(minutes=30), later)] == ["CA-caller"]
    records.close()


def test_two_calls_from_the_stand_in_at_the_same_moment_only_one_is_the_rehearsals(engine):
    import threading

    rehearsals = Rehearsals(engine)
    rehearsals.start(HELPLINE, STAND_IN, NOW, datetime.timedelta(minutes=3))
    barrier, claimed = threading.Barrier(4), []

    def arrive(sid):
        barrier.wait()
        if rehearsals.claim_call(STAND_IN, HELPLINE, sid, NOW):
            claimed.append(sid)

    threads = [threading.Thread(target=arrive, args=(f"CA-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 1
    assert rehearsals.stand_ins() == {claimed[0]: STAND_IN}
