"""On hold: a caller's place in line, the keys they may press, leaving when someone is free or when
the wait is too long — on SQLite and on a real PostgreSQL, with requests signed like Twilio's."""
from __future__ import annotations

import datetime

import pytest

from like_twilio import call_params, client_post, parse_twiml, problems_for_a_caller, spoken

HOLD = "http://localhost/voice/hold?at=main:wait-for-someone&lang={lang}&tries=0"
QUEUED = "http://localhost/voice/queued?at=main:wait-for-someone&lang={lang}&tries=0"
HOLD_KEY = "http://localhost/voice/hold-key?at=main:wait-for-someone&lang={lang}&tries=0"
#: A Wednesday, 10:00 in New York: Ana Rivera, Marisol Peña and Ben Carter are on shift.
WEDNESDAY_MORNING = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def helpline(request, make_app):
    overrides = {"flows_check_seconds": 0}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    app = make_app(**overrides)
    app.extensions["ivr"].clock = lambda: WEDNESDAY_MORNING
    return app


def everyone_away(app):
    roster = app.extensions["ivr"].roster.current()
    for person in roster.professionals:
        app.extensions["ivr"].presence.set_away(person.id, True, WEDNESDAY_MORNING)


def post(app, url, **params):
    response = client_post(app.test_client(), url, call_params(**params))
    assert response.status_code == 200, response.get_data(as_text=True)
    return parse_twiml(response.get_data(as_text=True))


@pytest.mark.parametrize("lang, words", [("en", "callers ahead of you"), ("es", "personas antes que usted")])
def test_while_nobody_is_free_the_caller_hears_their_place_the_choices_and_music(helpline, lang, words):
    everyone_away(helpline)
    document = post(helpline, HOLD.format(lang=lang), QueuePosition="3", QueueTime="40", AvgQueueTime="200")

    gather = document.find("Gather")
    assert gather is not None and gather.get("action").startswith("hold-key?")
    said = " ".join(spoken(document))
    assert f"2 {words}" in said
    assert "3" in said and ("minutes" in said or "minutos" in said)      # an honest estimate
    assert gather.find("Play").text.endswith("audio/music/hold.wav")


def test_the_first_caller_in_line_leaves_the_queue_as_soon_as_someone_is_free(helpline):
    document = post(helpline, HOLD.format(lang="es"), QueuePosition="1", QueueTime="20")
    assert [verb.tag for verb in document] == ["Leave"]

    ringing = post(helpline, QUEUED.format(lang="es"), QueueResult="leave", QueueTime="25")
    dial = ringing.find("Dial")
    assert dial is not None and problems_for_a_caller(ringing) == []
    assert {n.text for n in dial.findall("Number")} == {"+12025550101", "+12025550102"}   # Spanish speakers


def test_a_caller_second_in_line_keeps_waiting_even_when_someone_is_free(helpline):
    document = post(helpline, HOLD.format(lang="en"), QueuePosition="2", QueueTime="20")
    assert document.find("Leave") is None and document.find("Gather") is not None


@pytest.mark.parametrize("key, verb", [("1", "Record"), ("2", "Gather"), ("3", "Dial")])
def test_a_key_pressed_on_hold_takes_the_caller_to_their_choice(helpline, key, verb):
    everyone_away(helpline)
    assert [v.tag for v in post(helpline, HOLD_KEY.format(lang="en"), Digits=key)] == ["Leave"]

    document = post(helpline, QUEUED.format(lang="en"), QueueResult="leave", QueueTime="50")
    assert document.find(verb) is not None
    assert problems_for_a_caller(document) == []


def test_a_key_that_is_no_choice_keeps_the_caller_in_line(helpline):
    document = post(helpline, HOLD_KEY.format(lang="en"), Digits="7")
    assert document.find("Leave") is None


def test_after_the_longest_wait_the_caller_goes_to_the_partner_line(helpline):
    everyone_away(helpline)
    assert [v.tag for v in post(helpline, HOLD.format(lang="en"), QueuePosition="1", QueueTime="300")] == ["Leave"]

    document = post(helpline, QUEUED.format(lang="en"), QueueResult="leave", QueueTime="301")
    assert [n.text for n in document.iter("Number")] == [] and document.find("Dial").text == "+15005550006"


def test_a_caller_who_hangs_up_on_hold_gets_nothing_more(helpline):
    assert list(post(helpline, QUEUED.format(lang="en"), QueueResult="hangup", QueueTime="12")) == []
