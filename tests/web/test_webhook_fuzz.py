"""Properly signed but strange requests never break the webhook: no 500, and only TwiML for callers.

Through the in-process client for speed; every request is signed as Twilio would sign it, so these
reach the views, not the signature check. The safety net turns any exception into the backup line,
which would hide a crash from the status code alone: so an exception logged is a failure too.
"""
import random
import time
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from like_twilio import TWIML_VERBS, client_post, parse_twiml

ROUTES = ["/voice/step", "/voice/done", "/voice/dialed", "/voice/incoming", "/voice/status"]
KNOWN_PLACES = ["main:main-menu", "main:choose-language", "main:wait-for-someone", "main:talk-to-someone",
                "main:backup", "main:leave-voicemail", "main:request-callback", "main:goodbye",
                "health-info:oin-menu", "health-info:what-to-do-menu", "main:deleted-step", "", ":", "main:",
                ":main-menu", "main-menu", "main:main-menu:extra", "../../etc/passwd", "main:<x>&amp;"]
ODD_NUMBERS = ["", "0", "2", "3", "-1", "-99999999999999999999", "99999999999999999999", "1e9", "nan",
               " 2 ", "٣", "0x10", "1_000", "2.5", "9" * 5000]
KEYS = list("0123456789*#")
WORDS = ["operator", "sobredosis", "overdose", "English", "español", "banana bread", "uno", "zero"]
DIAL_OUTCOMES = ["completed", "no-answer", "busy", "failed", "canceled", "answered", ""]
CALL_STATUSES = ["queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"]
HUGE_SPEECH = "sobredosis operator " * 5000          # 100 KB
#: Twilio's voice parameters are a few hundred bytes; the helpline reads at most 64 KB of them.
ORDINARY_BODY = 32 * 1024


def url_for(route: str, query: dict) -> str:
    return "http://localhost" + route + ("?" + urlencode(query, quote_via=quote) if query else "")


def body_size(params: dict) -> int:
    return len(urlencode(params).encode())


def crashes(caplog) -> list:
    """Exceptions the webhook caught and logged since the last look, as 'ExceptionType: message'."""
    found = [f"{record.exc_info[0].__name__}: {str(record.exc_info[1])[:200]}"
             for record in caplog.records if record.exc_info]
    caplog.clear()
    return found


def check_answer(route: str, url: str, params: dict, response, caplog) -> None:
    where = f"{url[:200]} {dict((k[:40], v[:80]) for k, v in params.items())}"
    assert not (crashed := crashes(caplog)), f"{crashed} for {where}"
    assert response.status_code != 500, where
    if response.status_code == 403:
        # The helpline reads at most 64 KB of parameters, so a body larger than Twilio ever sends
        # no longer matches its signature. Anything of ordinary size that is signed is answered.
        assert body_size(params) >= ORDINARY_BODY, f"a properly signed request was refused: {where}"
        return
    if route == "/voice/status":
        assert response.status_code in (204, 400, 503), where
        return
    assert response.status_code == 200, where          # a caller never gets an error
    document = parse_twiml(response.get_data(as_text=True))
    unknown = {element.tag for element in document.iter() if element is not document} - TWIML_VERBS
    assert not unknown, where


# -- hypothesis ----------------------------------------------------------------------------------
texts = st.text(max_size=60)
queries = st.fixed_dictionaries({}, optional={
    "at": st.one_of(st.sampled_from(KNOWN_PLACES), st.text(max_size=300)),
    "lang": st.one_of(st.sampled_from(["en", "es", "", "fr", "EN", "es-US", "x" * 50]), texts),
    "tries": st.one_of(st.sampled_from(ODD_NUMBERS), st.integers(-10 ** 30, 10 ** 30).map(str), texts),
    "heard": st.sampled_from(["nothing", "", "something"]),
})
twilio_fields = st.fixed_dictionaries({}, optional={
    "CallSid": st.one_of(st.just("CA" + "7" * 32), st.just(""), st.text(max_size=200)),
    "From": st.one_of(st.just("+15017122661"), st.just(""), texts),
    "Digits": st.one_of(st.sampled_from(KEYS), texts, st.integers(0, 20_000).map(lambda n: "9" * n)),
    "SpeechResult": st.one_of(st.sampled_from(WORDS), texts, st.just(HUGE_SPEECH), st.just("\x00\r\n\t")),
    "Confidence": st.sampled_from(["0.9", "", "-1", "x"]),
    "DialCallStatus": st.one_of(st.sampled_from(DIAL_OUTCOMES), texts),
    "CallStatus": st.one_of(st.sampled_from(CALL_STATUSES), texts),
    "CallDuration": st.one_of(st.sampled_from(ODD_NUMBERS), texts),
    "ErrorCode": texts,
})
other_fields = st.dictionaries(st.text(min_size=1, max_size=20), texts, max_size=3)
forms = st.builds(lambda other, twilio: {**other, **twilio}, other_fields, twilio_fields)


@pytest.mark.parametrize("route", ROUTES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(query=queries, params=forms)
def test_any_signed_request_is_answered_without_a_server_error_and_callers_get_only_twiml(
        client, caplog, route, query, params):
    url = url_for(route, query)

    check_answer(route, url, params, client_post(client, url, params), caplog)


# -- a seeded random loop -------------------------------------------------------------------------
REQUESTS = 3000
TIME_LIMIT = 120.0          # seconds: a bound, so a slow machine gives a clear failure, not a hang


def random_text(rng: random.Random, size: int) -> str:
    alphabet = "0123456789*#abcxyz ñáé中文😀\u200b\u202e<>&\"'%+=;:/?"
    return "".join(rng.choice(alphabet) for _ in range(size))


def random_request(rng: random.Random) -> tuple:
    route = rng.choice(ROUTES)
    query = {}
    if rng.random() < 0.9:
        query["at"] = rng.choice(KNOWN_PLACES) if rng.random() < 0.7 else random_text(rng, rng.randrange(0, 200))
    if rng.random() < 0.9:
        query["lang"] = rng.choice(["en", "es", "", "fr", random_text(rng, 12)])
    if rng.random() < 0.9:
        query["tries"] = rng.choice(ODD_NUMBERS + [str(rng.randrange(-10 ** 6, 10 ** 6))])
    if rng.random() < 0.2:
        query["heard"] = "nothing"
    params = {}
    for name, make in [
        ("CallSid", lambda: rng.choice(["CA" + "8" * 32, "", random_text(rng, 70)])),
        ("From", lambda: rng.choice(["+15017122661", "", random_text(rng, 20)])),
        ("Digits", lambda: rng.choice(KEYS + ["", "9" * rng.randrange(2, 20_000), random_text(rng, 30)])),
        ("SpeechResult", lambda: rng.choice(WORDS + [HUGE_SPEECH, random_text(rng, 300)])),
        ("DialCallStatus", lambda: rng.choice(DIAL_OUTCOMES + [random_text(rng, 15)])),
        ("CallStatus", lambda: rng.choice(CALL_STATUSES + [random_text(rng, 30)])),
        ("CallDuration", lambda: rng.choice(ODD_NUMBERS + [str(rng.randrange(0, 10 ** 5))])),
    ]:
        if rng.random() < 0.6:
            params[name] = make()
    return route, url_for(route, query), params


def test_three_thousand_seeded_random_signed_requests_get_no_server_error(client, caplog):
    rng = random.Random(20261125)
    started, failures = time.monotonic(), {}

    for sent in range(REQUESTS):
        assert time.monotonic() - started < TIME_LIMIT, f"only {sent} requests in {TIME_LIMIT:.0f} s"
        route, url, params = random_request(rng)
        try:
            check_answer(route, url, params, client_post(client, url, params), caplog)
        except AssertionError as failure:          # gather every kind of failure, then report them all
            failures.setdefault((route, str(failure).split(" for ")[0][:120]), str(failure)[:600])

    assert not failures, "\n".join(failures.values())
