"""Whole calls over real HTTP, from the first ring to the last word, as Twilio and a caller would
make them: asking for a person, nobody answering, waiting on hold, then a callback or overflow —
on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import datetime

import pytest
import sqlalchemy

from ivr.phone import HttpTransport, Phone, scripted
from like_twilio import AUTH_TOKEN, BACKUP_LINE, CALLER

#: A Wednesday, 10:00 in New York: Ana Rivera, Marisol Peña (Spanish) and Ben Carter are on shift.
NOW = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def helpline(make_app, serve, database_url):
    app = make_app(database_url=database_url)
    app.extensions["ivr"].clock = lambda: NOW
    return app, serve(app)


def call(server, *answers, outcome="no-answer") -> Phone:
    caller = Phone(HttpTransport(), AUTH_TOKEN, base_url=server.url, from_number=CALLER, dial_outcome=outcome)
    caller.call(scripted(list(answers)))
    assert not [h for h in caller.heard if h.kind in ("error", "cut-off")], caller.heard
    return caller


def kinds(caller) -> list:
    return [h.kind for h in caller.heard]


def outcome_of(app, caller) -> tuple:
    app.extensions["ivr"].calls.flush()
    with app.extensions["ivr"].database.connect() as connection:
        return tuple(connection.execute(sqlalchemy.text(
            "SELECT outcome FROM calls WHERE call_sid = :sid"), {"sid": caller.call_sid}).one())


def test_nobody_answers_then_on_hold_the_caller_asks_for_a_call_back_and_confirms_their_number(helpline):
    app, server = helpline
    caller = call(server, "2", "0", "wait", "2", "2025550199", "1")     # Spanish, a person, …

    heard = caller.heard
    dial = kinds(caller).index("dial")
    assert set(heard[dial].text.split(", ")) == {"+12025550101", "+12025550102"}   # Spanish speakers
    hold = kinds(caller).index("hold")
    assert heard[hold].text == "helpline-recovery-es"
    assert any("Usted es la próxima persona en la fila" in h.text for h in heard[hold:])
    assert any("Usted marcó 2 0 2, 5 5 5, 0 1 9 9" in h.text for h in heard[hold:])
    assert kinds(caller)[-1] == "hangup" and "988" in heard[-2].text                 # goodbye, with 988
    [pending] = app.extensions["ivr"].calls.pending_callbacks()
    assert (pending.number, pending.language) == ("+12025550199", "es")
    assert outcome_of(app, caller) == ("callback",)
    # The two who let it ring are left to rest, not rung again at once.
    presence = app.extensions["ivr"].presence.snapshot(NOW)
    assert {"ana-rivera", "marisol-pena"} <= presence.busy


def test_a_caller_who_waits_too_long_on_hold_goes_to_the_partner_line(helpline):
    app, server = helpline
    caller = call(server, "1", "0", *["wait"] * 12)                     # English; nobody ever free

    hold = kinds(caller).index("hold")
    overflow = next(i for i, h in enumerate(caller.heard) if h.kind == "dial" and h.text == BACKUP_LINE)
    assert overflow > hold
    assert kinds(caller)[hold:overflow].count("menu") == 10             # offered the keys every half minute
    assert outcome_of(app, caller) == ("overflow",)                     # whatever happens after


def test_a_caller_connected_to_a_professional_talks_and_the_call_ends(helpline):
    app, server = helpline
    caller = call(server, "1", "0", outcome="completed")

    assert kinds(caller)[-2:] == ["dial", "hangup"]
    assert outcome_of(app, caller) == ("talked",)
    assert "ana-rivera" not in app.extensions["ivr"].presence.snapshot(NOW).busy        # free again
