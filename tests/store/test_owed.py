"""Voicemails and callbacks owed to callers, on a SQLite file and on a real PostgreSQL: two
colleagues pressing at the same moment cannot both claim a callback, both close one, or both be
the one to send its notice; a professional's list holds only their languages."""
from __future__ import annotations

import concurrent.futures
import datetime

import pytest

from ivr.store.calls import CallRecords
from ivr.store.owed import OwedStore

NOW = datetime.datetime(2026, 12, 2, 20, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def owed(engine):
    return OwedStore(engine)


def a_callback(engine, n: int, language: str = "es") -> int:
    records = CallRecords(engine)
    records.callback_requested(f"CA{n:032d}", "k" * 20, "+15017129934", language, NOW, helpline_number="+18005550100")
    return records.pending_callbacks()[-1].id


def a_voicemail(engine, n: int, language: str = "es", at=NOW) -> None:
    CallRecords(engine).voicemail_left(f"CA{n:032d}", "k" * 20, f"https://api.twilio.com/2010-04-01/Accounts/AC1/"
                                       f"Recordings/RE{n:032d}", 42, language, at, "+18005550100")


def at_once(work, count: int = 8) -> list:
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(work, range(count)))


def test_eight_colleagues_claiming_one_callback_at_once_leave_it_to_exactly_one(engine, owed):
    callback_id = a_callback(engine, 1)

    won = at_once(lambda i: owed.claim_callback(callback_id, f"person-{i}"))

    assert won.count(True) == 1
    assert owed.callback(callback_id).claimed_by == f"person-{won.index(True)}"


def test_a_callback_closed_twice_at_once_is_closed_once_and_its_number_erased(engine, owed):
    callback_id = a_callback(engine, 1)

    closed = at_once(lambda i: owed.callback_handled(callback_id, f"person-{i}"))

    row = owed.callback(callback_id)
    assert closed.count(True) == 1 and row.status == "done" and row.number == ""


def test_the_notice_of_a_voicemail_is_claimed_by_one_sender_only(engine, owed):
    a_voicemail(engine, 1)
    [row] = owed.not_notified("voicemail")

    claims = at_once(lambda i: owed.notified("voicemail", row.id, NOW))

    assert claims.count(True) == 1 and owed.not_notified("voicemail") == []


def test_a_voicemail_marked_handled_twice_at_once_keeps_the_first_who_did(engine, owed):
    a_voicemail(engine, 1)
    [row] = owed.voicemails(None, NOW)

    marked = at_once(lambda i: owed.voicemail_handled(row.id, f"person-{i}", NOW))

    assert marked.count(True) == 1
    assert owed.voicemail(row.id).handled_by == f"person-{marked.index(True)}"


def test_a_professionals_lists_hold_only_their_languages(engine, owed):
    a_voicemail(engine, 1, "es")
    a_voicemail(engine, 2, "en")
    a_callback(engine, 3, "es")
    a_callback(engine, 4, "en")

    assert [v.language for v in owed.voicemails(frozenset({"en"}), NOW)] == ["en"]
    assert [c.language for c in owed.callbacks(frozenset({"es"}))] == ["es"]
    assert len(owed.voicemails(None, NOW)) == 2


def test_a_voicemail_waiting_longer_than_the_limit_is_overdue_once(engine, owed):
    a_voicemail(engine, 1, at=NOW - datetime.timedelta(minutes=31))
    a_voicemail(engine, 2, at=NOW - datetime.timedelta(minutes=5))
    limit = datetime.timedelta(minutes=30)

    [late] = owed.overdue("voicemail", limit, NOW)
    assert late.call_sid.endswith("1")
    assert owed.escalated("voicemail", late.id, NOW) and not owed.escalated("voicemail", late.id, NOW)
    assert owed.overdue("voicemail", limit, NOW) == []


def test_handled_voicemails_stay_listed_a_week_after_the_unhandled(engine, owed):
    a_voicemail(engine, 1)
    a_voicemail(engine, 2)
    first, second = owed.voicemails(None, NOW)
    owed.voicemail_handled(first.id, "ana-rivera", NOW)

    assert [v.id for v in owed.voicemails(None, NOW)] == [second.id, first.id]
    assert [v.id for v in owed.voicemails(None, NOW + datetime.timedelta(days=8))] == [second.id]
