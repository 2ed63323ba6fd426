"""Two instances of the helpline — two gunicorn servers, each with its own instance folder — share one
PostgreSQL database, and one call goes back and forth between them, request by request, as a load
balancer in front of both may send it. The caller hears the right things at every step (the call's
place travels in the URLs Twilio signs), and its record is whole in the shared database afterwards.

`served` (used by test_graceful_stop.py too) starts the repository's own way of serving: gunicorn,
reading gunicorn.conf.py from the repository's root, as in production.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import sqlalchemy

from ivr.flow.loader import load_flows
from ivr.privacy import caller_key
from like_twilio import CALLER, CALL_PARAMS, call_params, parse_twiml, signed_post, spoken, wait_for
from gunicorn_servers import HASH_KEY, Served

ROOT = Path(__file__).resolve().parents[2]
#: The one URL Twilio knows: the load balancer's, which sends each request to either instance.
PUBLIC = "http://helpline.test"


class OneCall:
    """Twilio's side of one call to the public URL: each request signed for that URL, as Twilio
    signs it, and sent to the instance the test names (each sees Host: helpline.test)."""

    def __init__(self, call_sid: str):
        self.params = call_params(call_sid)
        self.url = PUBLIC + "/voice/incoming"
        self.document = None

    def post(self, server: Served, url: str, **extra):
        response = signed_post(server.url + url[len(PUBLIC):], {**self.params, **extra},
                               headers={"Host": PUBLIC.split("://")[1]}, signed_url=url)
        assert response.status_code in (200, 204), response.text
        return response

    def fetch(self, server: Served, url: str, **extra) -> list:
        """What the caller hears from the TwiML at `url`: the text of each <Say>, with its language."""
        self.document = parse_twiml(self.post(server, url, **extra).text)
        self.url = url      # Twilio resolves the next relative URL against the document's own
        return list(zip(spoken(self.document), (say.get("language") for say in self.document.iter("Say"))))

    def incoming(self, server: Served) -> list:
        return self.fetch(server, self.url)

    def press(self, server: Served, key: str) -> list:
        return self.fetch(server, urljoin(self.url, self.document.find("Gather").get("action")), Digits=key)

    def silence(self, server: Served) -> list:
        """Nothing pressed nor said: the <Gather> ends and Twilio follows the <Redirect> after it."""
        return self.fetch(server, urljoin(self.url, self.document.find("Redirect").text))

    def ended(self, server: Served, duration: int) -> None:
        self.post(server, PUBLIC + "/voice/status", CallStatus="completed", CallDuration=str(duration))


def the_call(database_url: str, call_sid: str) -> tuple:
    """(the calls row, [(step, answer), ...] in the order taken) in the database."""
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(sqlalchemy.text(
                "SELECT status, duration_seconds, caller_key, started_at, ended_at, outcome FROM calls "
                "WHERE call_sid = :sid"), {"sid": call_sid}).first()
            steps = connection.execute(sqlalchemy.text(
                "SELECT step, answer FROM call_steps WHERE call_sid = :sid ORDER BY at, id"), {"sid": call_sid}).all()
    finally:
        engine.dispose()
    return row, [tuple(step) for step in steps]


def test_one_call_carried_between_two_instances_request_by_request_plays_and_is_recorded_whole(
        served, postgres_url, flows_dir):
    flows = load_flows(flows_dir).flows
    spanish = flows.language("es").speech

    def prompt(name: str, flow: str = "main") -> str:
        return flows.prompts[(flow, name)].text("es")

    a, b = served("a", postgres_url), served("b", postgres_url)
    call = OneCall("CA" + "2a" * 16)

    heard = call.incoming(a)
    # The first words of every call are what to do in an emergency, in English and then Spanish.
    assert [text for text, _ in heard[:2]] == [flows.prompts[("main", "emergency-first")].text("en"),
                                               prompt("emergency-first")]
    assert (prompt("choose-language"), spanish) in heard

    heard = call.press(b, "2")                          # Spanish, answered by the other instance
    assert prompt("main-menu-choices") in [text for text, _ in heard]
    assert {language for _, language in heard} == {spanish}

    heard = call.press(a, "3")                          # opioid-induced neurotoxicity
    assert prompt("oin-what", "health-info") in [text for text, _ in heard]
    assert {language for _, language in heard} == {spanish}

    heard = call.silence(b)
    assert [text for text, _ in heard] == [prompt("sorry-silent"), prompt("topic-menu", "health-info")]

    heard = call.press(a, "2")                          # the next topic: an early warning
    assert prompt("warning-facts", "health-info") in [text for text, _ in heard]

    heard = call.press(b, "9")                          # back to the main menu, still in Spanish
    assert [text for text, _ in heard] == [prompt("main-menu-choices")]

    call.ended(b, duration=95)

    path = [("main:choose-language", "2"), ("main:main-menu", "3"), ("health-info:oin-menu", "silence"),
            ("health-info:oin-menu", "2"), ("health-info:warning-menu", "9")]

    def whole():
        row, steps = the_call(postgres_url, call.params["CallSid"])
        return (row, steps) if row is not None and row.started_at is not None and steps == path else None

    # A wrote the call's start and two steps, B three steps and its end, each from its own writer.
    found = wait_for(whole, timeout=10)
    assert found, the_call(postgres_url, call.params["CallSid"])
    row, steps = found
    assert (row.status, row.duration_seconds, row.outcome) == ("completed", 95, "information")
    assert row.caller_key == caller_key(CALLER, HASH_KEY)      # both instances hash with the same key
    assert row.started_at is not None and row.ended_at is not None and row.started_at <= row.ended_at

    assert a.stop() == 0 and b.stop() == 0
    for server, first_request, last_request in ((a, "POST /voice/incoming", "POST /voice/step"),
                                                (b, "POST /voice/step", "POST /voice/status")):
        log = server.log_text()
        assert first_request in log and last_request in log      # each served its share of the call
        assert server.spooled() == []                           # the database took everything
        for number in (CALLER, CALL_PARAMS["To"]):
            assert number[2:] not in log                        # no caller's number in clear, anywhere
