"""An unexpected error in any webhook is answered safely, never with Twilio's 'application error':
the caller reaches the backup line, a professional's leg is let go, a held caller leaves the music
for the queue to decide, and callbacks Twilio retries get a 503."""
from __future__ import annotations

import pytest

from like_twilio import BACKUP_LINE, call_params, client_post, dialed_numbers, parse_twiml

Q = "?at=main:wait-for-someone&lang=en&tries=0"


class Broken:
    """Stands in for a store that fails in a way nobody planned for."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RuntimeError("an unexpected failure")
        return fail


@pytest.fixture
def broken_app(app):
    services = app.extensions["ivr"]
    real = services.presence, services.control
    services.presence = Broken()
    broken = Broken()                  # who waits, who is offered, what a leg does
    _control_of(services, broken)
    yield app
    services.presence = real[0]         # the real ones, closed with the app
    _control_of(services, real[1])


def _control_of(services, control) -> None:
    services.control = control
    for user in (services.caller_line, services.on_hold, services.offer_leg, services.presence_texts):
        user.control = control


def post(app, route, **params):
    return client_post(app.test_client(), "http://localhost" + route, call_params(**params))


@pytest.mark.parametrize("route, params, verbs", [
    ("/voice/hold-key" + Q, {"Digits": "1"}, ["Leave"]),
    ("/voice/hold" + Q, {"QueuePosition": "1"}, ["Leave"]),
    ("/voice/offer?offer=0123abcd", {"CallStatus": "in-progress"}, ["Hangup"]),
    ("/voice/offer-answer?offer=0123abcd", {"Digits": "1"}, ["Hangup"]),
])
def test_an_unexpected_error_on_hold_or_in_a_whisper_is_answered_with_twiml_that_fits_there(
        broken_app, route, params, verbs, caplog):
    response = post(broken_app, route, **params)

    assert response.status_code == 200
    assert [verb.tag for verb in parse_twiml(response.get_data(as_text=True))] == verbs
    assert "an unexpected failure" in caplog.text


def test_an_unexpected_error_when_leaving_the_queue_sends_the_caller_to_the_backup_line(broken_app):
    response = post(broken_app, "/voice/queued" + Q, QueueResult="leave", QueueTime="30")

    assert response.status_code == 200
    assert dialed_numbers(parse_twiml(response.get_data(as_text=True))) == [BACKUP_LINE]


def test_an_unexpected_error_on_a_leg_callback_asks_twilio_to_retry(broken_app):
    assert post(broken_app, "/voice/offer-status?offer=0123abcd", CallStatus="completed").status_code == 503


def test_an_unexpected_error_on_a_texts_status_callback_asks_twilio_to_retry(broken_app):
    broken_app.extensions["ivr"].text_delivery.texts = Broken()
    response = post(broken_app, "/sms/status", MessageSid="SM" + "1" * 32, MessageStatus="failed", ErrorCode="30032")
    assert response.status_code == 503                   # kept by Twilio's retry, not answered as a text


def test_an_unexpected_error_on_a_text_gets_an_empty_reply(broken_app):
    response = post(broken_app, "/sms/incoming", From="+12025550101", Body="OFF")

    assert response.status_code == 200
    assert list(parse_twiml(response.get_data(as_text=True))) == []
