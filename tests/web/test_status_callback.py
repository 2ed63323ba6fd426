"""Twilio's status callback records how a call ended: once, idempotently, never reopened."""
import datetime

import pytest
from sqlalchemy import func, select

from ivr.store.schema import calls
from like_twilio import call_params, client_post, wait_for

STATUS_URL = "http://localhost/voice/status"
SID = "CA" + "5" * 32
T0 = datetime.datetime(2026, 11, 25, 20, 0, tzinfo=datetime.timezone.utc)


class Clock:
    def __init__(self, now: datetime.datetime):
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
def clock(app) -> Clock:
    app.extensions["ivr"].clock = clock = Clock(T0)
    return clock


def utc(value: datetime.datetime | None):
    """SQLite hands back naive datetimes; the helpline stores UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=datetime.timezone.utc)


def record(app, sid: str = SID):
    records = app.extensions["ivr"].calls
    records.flush()
    return records.get(sid)


def rows_for(app, sid: str = SID) -> int:
    with app.extensions["ivr"].database.connect() as connection:
        return connection.execute(select(func.count()).select_from(calls).where(calls.c.call_sid == sid)).scalar()


def status(client, call_status: str, duration: str | None = None, sid: str = SID):
    extra = {"CallStatus": call_status, **({"CallDuration": duration} if duration is not None else {})}
    return client_post(client, STATUS_URL, call_params(sid, **extra))


def test_the_same_completed_callback_twice_leaves_one_row_with_one_end_and_the_duration(app, client, clock):
    first = status(client, "completed", "42")
    clock.now = T0 + datetime.timedelta(seconds=30)          # Twilio retried half a minute later
    second = status(client, "completed", "42")

    assert (first.status_code, second.status_code) == (204, 204)
    row = record(app)
    assert rows_for(app) == 1
    assert (row.status, row.duration_seconds) == ("completed", 42)
    assert utc(row.ended_at) == T0


@pytest.mark.parametrize("late", ["ringing", "in-progress", "queued"])
def test_a_late_earlier_status_after_completed_does_not_reopen_the_call(app, client, clock, late):
    status(client, "completed", "42")
    clock.now = T0 + datetime.timedelta(seconds=5)

    assert status(client, late).status_code == 204

    row = record(app)
    assert (row.status, row.duration_seconds) == ("completed", 42)
    assert utc(row.ended_at) == T0


def test_a_call_that_rang_then_completed_is_closed_with_its_duration(app, client, clock):
    status(client, "ringing")
    assert record(app).ended_at is None
    clock.now = T0 + datetime.timedelta(minutes=3)

    status(client, "completed", "180")

    row = record(app)
    assert (row.status, row.duration_seconds, utc(row.ended_at)) == ("completed", 180, clock.now)


def test_a_call_that_started_then_completed_keeps_when_it_started_and_when_it_ended(app, client, clock):
    assert client_post(client, "http://localhost/voice/incoming", call_params(SID)).status_code == 200
    assert wait_for(lambda: record(app))                      # the queued start is written
    clock.now = T0 + datetime.timedelta(minutes=7)

    status(client, "completed", "420")

    row = record(app)
    assert (utc(row.started_at), utc(row.ended_at), row.duration_seconds) == (T0, clock.now, 420)


def test_a_completed_callback_that_overtakes_the_queued_start_still_keeps_when_the_call_started(
        app, client, clock):
    """A caller who hangs up at once: Twilio's 'completed' can arrive before the start is written."""
    client_post(client, "http://localhost/voice/incoming", call_params(SID))
    clock.now = T0 + datetime.timedelta(seconds=1)
    status(client, "completed", "1")

    row = wait_for(lambda: (found := record(app)) is not None and found.started_at is not None and found)

    assert row, f"started_at was lost: {record(app)}"
    assert (utc(row.started_at), utc(row.ended_at), row.status) == (T0, clock.now, "completed")


@pytest.mark.parametrize("missing", ["CallSid", "CallStatus"])
def test_a_status_callback_without_its_call_sid_or_status_is_a_bad_request(app, client, missing):
    params = {key: value for key, value in call_params(SID, CallStatus="completed").items() if key != missing}

    response = client_post(client, STATUS_URL, params)

    assert response.status_code == 400
    assert record(app) is None


def test_a_status_callback_with_an_empty_call_sid_is_a_bad_request(client):
    assert client_post(client, STATUS_URL, call_params("", CallStatus="completed")).status_code == 400


@pytest.mark.parametrize("duration", ["", "soon", "99999999999999999999", "1" * 5000])
def test_a_call_duration_that_is_not_a_sensible_number_does_not_lose_the_end_of_the_call(
        app, client, clock, duration):
    response = status(client, "completed", duration)

    assert response.status_code == 204
    row = record(app)
    assert (row.status, utc(row.ended_at), row.duration_seconds) == ("completed", T0, None)
