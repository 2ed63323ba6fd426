"""Every call the helpline places carries a FallbackUrl: when the helpline cannot tell a
professional's phone what to say, Twilio asks /voice/leg-fallback, the professional hears a short
apology and the leg ends, and the waiting caller goes on to someone else. The fallback needs
neither the database nor working flows. Over real HTTP, Twilio and the phones simulated."""
from __future__ import annotations

import concurrent.futures
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from callers import call, transcript
from like_twilio import call_params, parse_twiml, signed_post, spoken, wait_for
from test_callback_calls import call_back, line  # noqa: F401  (fixture)
from test_offers import (ANA, IDS, MARISOL, UNREACHABLE_DATABASE, WEDNESDAY_10AM, answers_to, leg_params,  # noqa: F401
                         SLOWER, leg_to, sid, start_line, talked_in, twilio, Leg)

APOLOGY = {"en": "Sorry, something went wrong on our side. This call cannot go on. Goodbye.",
           "es": "Lo sentimos, tuvimos un problema. Esta llamada no puede continuar. Adiós."}


def whisper_fails_for(line, professional_id: str) -> list:
    """The helpline's /voice/offer answers 500 on this professional's legs (a worker that died, a
    proxy in between that failed), as Twilio would meet it; every other request is served as usual.
    Returns the statuses those requests were answered with."""
    app, answered = line.app, []
    inner = app.wsgi_app

    def failing(environ, start_response):
        if environ.get("PATH_INFO") == "/voice/offer":
            offer = parse_qs(environ.get("QUERY_STRING", "")).get("offer", [""])[0]
            row = line.ivr.offers.get(offer)
            if row is not None and row.professional_id == professional_id:
                answered.append(500)
                start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")])
                return [b"internal error"]
        return inner(environ, start_response)
    app.wsgi_app = failing
    return answered


@SLOWER
def test_a_professional_whose_whisper_fails_hears_an_apology_and_the_caller_talks_with_someone_else(
        database_url, start_line):
    line = start_line(database_url)
    twilio = line.twilio
    twilio.phones.update({ANA: "person", MARISOL: "slow-person"})      # Ana answers first
    failed = whisper_fails_for(line, IDS[ANA])

    caller = call(line, "2", "0")

    assert failed == [500]
    ana = leg_to(twilio, ANA)
    [fell_back] = answers_to(twilio, "leg-fallback", ana)
    assert spoken(fell_back) == [APOLOGY["es"]]                         # in the caller's language
    assert [verb.tag for verb in fell_back][-1] == "Hangup"
    assert wait_for(lambda: twilio.calls[ana.sid].status == "completed")
    assert line.ivr.offers.get(ana.offer).state == "missed"
    [took] = answers_to(twilio, "offer-answer", leg_to(twilio, MARISOL))
    assert took.find("Dial/Conference").text == f"helpline-{caller.call_sid}"
    assert talked_in(caller) == [f"helpline-{caller.call_sid}"], transcript(caller)


def test_every_leg_placed_for_a_caller_names_the_fallback_for_its_offer_in_the_callers_language(start_line):
    line = start_line()
    twilio = line.twilio

    call(line, "2", "0")

    placed = [params for method, path, params in list(twilio.requests) if path.endswith("/Calls.json")]
    assert placed
    for params in placed:
        offer = parse_qs(urlsplit(params["Url"][0]).query)["offer"][0]
        assert params["FallbackUrl"] == [f"{line.url}/voice/leg-fallback?offer={offer}&lang=es"]
        assert params["FallbackMethod"] == ["POST"]


def test_a_callback_leg_names_the_fallback_too(line, twilio):  # noqa: F811
    app, server, callback_id = line

    result = call_back(app, server, twilio, callback_id)

    assert result.returncode == 0, result.stderr
    [placed] = [params for method, path, params in list(twilio.requests) if path.endswith("/Calls.json")]
    assert placed["FallbackUrl"] == [f"{server.url}/voice/leg-fallback?callback={callback_id}&lang=es"]
    assert placed["FallbackMethod"] == ["POST"]


def test_the_fallback_and_the_legs_last_callback_arriving_together_leave_the_offer_missed_once(
        database_url, start_line):
    line = start_line(database_url)
    offers = line.ivr.offers
    leg = Leg(ANA, offers.claim(sid(9), 1, IDS[ANA], WEDNESDAY_10AM), sid(10), {})
    assert offers.move(leg.offer, "answered", WEDNESDAY_10AM)
    together = threading.Barrier(2)

    def fallback():
        together.wait()
        return signed_post(f"{line.url}/voice/leg-fallback?offer={leg.offer}&lang=en",
                           leg_params(leg, ErrorCode="11200"))

    def completed():
        together.wait()
        return signed_post(f"{line.url}/voice/offer-status?offer={leg.offer}", leg_params(leg, CallStatus="completed"))

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        apology, callback = [future.result(timeout=30) for future in (pool.submit(fallback), pool.submit(completed))]

    assert apology.status_code == 200 and spoken(parse_twiml(apology.text)) == [APOLOGY["en"]]
    assert callback.status_code == 204
    assert offers.get(leg.offer).state == "missed"


# -- the fallback on its own ----------------------------------------------------------------------------
def leg_fallback_params(**extra) -> dict:
    return call_params("CA" + "7" * 32, Direction="outbound-api", ErrorCode="11200",
                       ErrorUrl="https://line.example/voice/offer?offer=ab", **extra)


@pytest.mark.parametrize("query, language", [("offer=" + "0" * 32 + "&lang=es", "es"), ("callback=7&lang=en", "en"),
                                             ("offer=" + "0" * 32 + "&lang=xx", "en")])
def test_the_fallback_apologises_and_hangs_up_with_the_database_down(start_line, query, language):
    line = start_line(UNREACHABLE_DATABASE)

    response = signed_post(f"{line.url}/voice/leg-fallback?{query}", leg_fallback_params())

    assert response.status_code == 200, response.text
    document = parse_twiml(response.text)
    assert spoken(document) == [APOLOGY[language]]
    assert [verb.tag for verb in document] == ["Say", "Hangup"]


def test_the_fallback_hangs_up_without_words_when_no_flows_ever_loaded(make_app, serve, tmp_path):
    server = serve(make_app(flows_dir=tmp_path / "no-such-flows"))

    response = signed_post(f"{server.url}/voice/leg-fallback?offer={'0' * 32}&lang=en", leg_fallback_params())

    assert response.status_code == 200, response.text
    assert [verb.tag for verb in parse_twiml(response.text)] == ["Hangup"]


def test_the_fallback_is_refused_unless_twilio_signed_it(live_server):
    url = f"{live_server.url}/voice/leg-fallback?offer={'0' * 32}&lang=en"

    forged = signed_post(url, leg_fallback_params(), token="not-our-auth-token")

    assert forged.status_code == 403
