"""Each text's status on a SQLite file and on a real PostgreSQL: it only moves forward (a repeated
or late status callback changes nothing), the call said instead of an undelivered notice is
claimed by exactly one of many instances asking at the same moment, and Twilio's problems keep
no phone number."""
from __future__ import annotations

import concurrent.futures
import datetime
import threading

from ivr.store.notice_texts import NoticeTexts
from ivr.store.twilio_problems import TwilioProblems

NOW = datetime.datetime(2026, 12, 7, 15, 0, tzinfo=datetime.timezone.utc)
SID, ANA, HELPLINE = "SM" + "1" * 32, "+12025550101", "+18005550100"


def at_once(work, count: int = 8) -> list:
    """`work(i)` in `count` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def released(i):
        barrier.wait()
        return work(i)
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(released, range(count)))


def test_a_texts_status_moves_only_forward_whatever_order_its_callbacks_come_in(engine):
    texts = NoticeTexts(engine)
    texts.sent(SID, "voicemail", 7, ANA, HELPLINE, "es", "queued", NOW)

    assert texts.reported(SID, "delivered", None, NOW)
    assert not texts.reported(SID, "sent", None, NOW)            # late
    assert not texts.reported(SID, "delivered", None, NOW)       # repeated
    assert not texts.reported(SID, "failed", 30032, NOW)         # an end never replaces another
    assert texts.text(SID).status == "delivered"
    assert texts.to_call_instead() == []


def test_a_failure_reported_before_twilios_answer_to_the_send_is_kept(engine):
    texts = NoticeTexts(engine)
    assert texts.reported(SID, "failed", 30032, NOW)             # the callback beat the REST answer
    texts.sent(SID, "voicemail", 7, ANA, HELPLINE, "es", "queued", NOW)

    [row] = texts.to_call_instead()
    assert (row.status, row.error_code, row.phone, row.kind, row.item_id) == ("failed", 30032, ANA, "voicemail", 7)


def test_eight_instances_taking_the_same_failed_callback_at_once_record_it_once(engine):
    texts = NoticeTexts(engine)
    texts.sent(SID, "callback", 3, ANA, HELPLINE, "en", "queued", NOW)

    moved = at_once(lambda i: texts.reported(SID, "failed" if i % 2 else "undelivered", 30032, NOW))

    assert moved.count(True) == 1


def test_eight_callbacks_about_a_text_nobody_recorded_make_one_row(engine):
    texts = NoticeTexts(engine)
    moved = at_once(lambda i: texts.reported(SID, "failed", 30032, NOW))
    assert moved.count(True) == 1
    assert texts.text(SID).kind == "text"


def test_the_call_instead_of_an_undelivered_text_is_claimed_by_exactly_one_of_eight_instances(engine):
    texts = NoticeTexts(engine)
    texts.sent(SID, "voicemail", 7, ANA, HELPLINE, "es", "queued", NOW)
    texts.reported(SID, "undelivered", 30032, NOW)

    claims = at_once(lambda i: texts.call_claimed(SID, NOW))

    assert claims.count(True) == 1
    assert texts.to_call_instead() == []


def test_a_call_that_could_not_be_placed_is_claimed_again_at_the_next_sweep(engine):
    texts = NoticeTexts(engine)
    texts.sent(SID, "voicemail", 7, ANA, HELPLINE, "es", "queued", NOW)
    texts.reported(SID, "failed", 30032, NOW)
    assert texts.call_claimed(SID, NOW)

    texts.call_not_placed_after_all(SID)

    assert texts.call_claimed(SID, NOW)


def test_a_problems_detail_never_keeps_a_phone_number(engine):
    problems = TwilioProblems(engine)
    problems.record("leg-refused", 21210, "From +1 (800) 555-0100 to 202.555.0101 refused", NOW)

    [row] = problems.recent(NOW - datetime.timedelta(minutes=1))
    assert row.detail == "From (number) to (number) refused"
    assert (row.kind, row.code) == ("leg-refused", 21210)
    assert problems.recent(NOW + datetime.timedelta(seconds=1)) == []


def test_problems_are_counted_by_kind_beyond_what_is_listed(engine):
    problems = TwilioProblems(engine)
    for _ in range(60):
        problems.record("text-not-delivered", 30032, "a voicemail notice, reported failed", NOW)
    problems.record("leg-refused", 21210, "a professional's leg", NOW)

    assert len(problems.recent(NOW - datetime.timedelta(hours=1))) == 50
    assert problems.counts(NOW - datetime.timedelta(hours=1)) == {"text-not-delivered": 60, "leg-refused": 1}
