"""The fast path (ivr/web/fast_path.py) answers a remembered menu press or call start exactly as the
view would, records it the same, and never answers what Twilio did not sign."""
from __future__ import annotations

from sqlalchemy import select

from ivr.store.schema import call_steps
from like_twilio import call_params, client_post, twilio_signature

SID = "CA" + "9" * 32
MENU = "http://localhost/voice/step?at=main:main-menu&lang=en&tries=0"


def steps(app) -> list:
    app.extensions["ivr"].calls.flush()
    with app.extensions["ivr"].database.connect() as connection:
        return [tuple(row) for row in connection.execute(
            select(call_steps.c.step, call_steps.c.answer).where(call_steps.c.call_sid == SID))]


def test_a_remembered_press_is_answered_as_the_view_answered_it_and_recorded_each_time(app, client):
    by_the_view = client_post(client, MENU, call_params(SID, Digits="3"))
    remembered = client_post(client, MENU, call_params(SID, Digits="3"))

    assert app.extensions["ivr"].answers.get(app.extensions["ivr"].flows.current().version,
                                             ("at=main:main-menu&lang=en&tries=0", "3")) is not None
    assert (remembered.status_code, remembered.content_type, remembered.data) == \
        (by_the_view.status_code, by_the_view.content_type, by_the_view.data)
    assert steps(app) == [("main:main-menu", "3"), ("main:main-menu", "3")]


def test_a_remembered_first_request_starts_a_call_record_each_time(app, client):
    first = client_post(client, "http://localhost/voice/incoming", call_params("CA" + "1" * 32))
    second = client_post(client, "http://localhost/voice/incoming", call_params("CA" + "2" * 32))

    assert first.data == second.data
    records = app.extensions["ivr"].calls
    records.flush()
    assert records.get("CA" + "1" * 32).started_at is not None
    assert records.get("CA" + "2" * 32).started_at is not None


def test_a_forged_press_is_refused_even_when_its_answer_is_remembered(app, client):
    client_post(client, MENU, call_params(SID, Digits="3"))
    params = call_params(SID, Digits="3")
    forged = client.post("/voice/step?at=main:main-menu&lang=en&tries=0", data=params,
                         headers={"X-Twilio-Signature": twilio_signature(MENU, params, token="not-the-token")})

    assert forged.status_code == 403
    assert steps(app) == [("main:main-menu", "3")]


def test_if_the_fast_path_fails_the_view_still_answers_the_caller(app, client, caplog):
    client_post(client, MENU, call_params(SID, Digits="3"))

    class Failing:
        def get(self, *args):
            raise RuntimeError("a fault nobody planned for")

        def keep(self, *args):
            pass
    app.extensions["ivr"].answers = Failing()
    # The view's own look-up fails too: the edge's safety net answers, never an error page.
    answered = client_post(client, MENU, call_params(SID, Digits="3"))

    assert answered.status_code == 200 and b"<Response>" in answered.data
    assert "the fast path failed" in caplog.text
