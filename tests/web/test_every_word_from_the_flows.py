"""Every sentence the helpline says — to a caller or to a professional it rings — comes from the
loaded flows: a prompt, or one of main.yaml's messages with its placeholders filled. Staff can
fix or translate anything a person hears without touching the code."""
from __future__ import annotations

import dataclasses
import re
import string
from urllib.parse import urlsplit

import pytest

from ivr.sim.phone import HttpTransport, Phone, scripted
from ivr.sim.professionals import PHONES
from like_twilio import AUTH_TOKEN, CALLER, parse_twiml, signed_post, call_params

ENGLISH, SPANISH = "1", "2"
#: A professional who presses 1 and talks a few seconds: the words are all said by then (the
#: simulator's person talks a minute, which is silence as far as this test goes).
BRIEF_PERSON = dataclasses.replace(PHONES["person"], talks_for=5)


def allowed_sentences(flows) -> tuple:
    """(every prompt text, a pattern for every message form with its placeholders as wildcards)."""
    texts = {text for prompt in flows.prompts.values() for _, text in prompt.texts}
    for step in flows.steps.values():
        for name in ("prompt", "offer", "when_invalid", "when_silent", "if_unanswered"):
            prompt = getattr(step, name, None)
            if prompt is not None:
                texts |= {text for _, text in prompt.texts}
    patterns = []
    for message in flows.messages.values():
        for _, forms in message.texts:
            for _, text in forms:
                pattern = ""
                for literal, field, _, _ in string.Formatter().parse(text):
                    pattern += re.escape(literal) + ("(.+)" if field is not None else "")
                patterns.append(re.compile(pattern + r"\Z"))
    return texts, patterns


def words_of(body: str) -> list:
    """The text of every <Say> in a TwiML document (SSML inside a <Say> is read as its words)."""
    document = parse_twiml(body)
    return ["".join(say.itertext()) for say in document.iter("Say")]


def from_the_flows(sentence: str, texts: set, patterns: list) -> bool:
    return sentence in texts or any(p.match(sentence) for p in patterns)


class HearsEachSentenceAtOnce:
    """A caller's sense of time: every sentence the helpline says is heard, and kept, at once (what
    is checked here is its words, not how long they take); the ringing tone, the hold music and
    pauses take as long as they do on Twilio's clock, so phones ring out and the hold page comes
    round as in a real call."""

    def __init__(self, caller: Phone):
        self.caller, self.clock = caller, caller.clock

    def sleep(self, seconds: float, interrupt=None) -> bool:
        if self.caller.heard and self.caller.heard[-1].kind == "say":
            return False
        return self.clock.sleep(seconds, interrupt)

    def __getattr__(self, name):
        return getattr(self.clock, name)


def call(server, twilio, *answers) -> Phone:
    caller = Phone(HttpTransport(), AUTH_TOKEN, base_url=server.url, from_number=CALLER, twilio=twilio)
    caller.clock = HearsEachSentenceAtOnce(caller)
    caller.call(scripted(list(answers)))
    return caller


@pytest.fixture
def spoken_by_the_helpline(live_server, twilio):
    """What the helpline said on every webhook of the calls a test makes."""
    def sentences() -> list:
        return [(urlsplit(url).path, sentence) for url, params, status, body in list(twilio.helpline.exchanges)
                if status == 200 and body.lstrip().startswith("<?xml") for sentence in words_of(body)]
    return sentences


def test_what_callers_and_professionals_hear_in_whole_calls_is_written_in_the_flows(
        live_server, twilio, app, spoken_by_the_helpline):
    flows = app.extensions["ivr"].flows.current()
    texts, patterns = allowed_sentences(flows)
    # The helpline keeps Twilio's simulated time, as the phones do: a leg placed each second of
    # the account's pace, a ring, a rest pass in the simulator's seconds, not the wall's.
    app.extensions["ivr"].clock = twilio.clock
    twilio.default_phone = BRIEF_PERSON
    call(live_server, twilio, ENGLISH, "1", "1", "9", "3", "0")            # topics, then a person
    call(live_server, twilio, SPANISH, "5", "0")                           # in Spanish
    twilio.default_phone = "no-answer"
    call(live_server, twilio, ENGLISH, "0", "hold:2", "2025550123#", "1")  # on hold, a callback

    heard = spoken_by_the_helpline()
    assert {route for route, _ in heard} >= {"/voice/incoming", "/voice/step", "/voice/offer"}
    strays = [(route, sentence) for route, sentence in heard if not from_the_flows(sentence, texts, patterns)]
    assert strays == []


def test_the_backup_line_speaks_the_flows_words_when_something_breaks(live_server, app):
    flows = app.extensions["ivr"].flows.current()
    texts, patterns = allowed_sentences(flows)

    response = signed_post(live_server.url + "/voice/fallback", call_params(ErrorCode="11200"))

    sentences = words_of(response.text)
    assert len(sentences) == 2 * len(flows.languages)         # what went wrong, and if even that fails
    assert all(from_the_flows(s, texts, patterns) for s in sentences), sentences
