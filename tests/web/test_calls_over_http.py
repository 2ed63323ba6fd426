"""What a caller hears, over real HTTP: the live helpline driven the way Twilio drives it."""
from collections import deque
from urllib.parse import parse_qs, urljoin, urlsplit


import pytest

from ivr.flow import model
from ivr.sim.phone import HttpTransport, Phone, scripted
from ivr.sim.clock import SimClock
from callers import KnowsTheMenusByHeart
from like_twilio import (AUTH_TOKEN, BACKUP_LINE, CALLER, ROSTER_PHONES, call_params, parse_twiml, wait_for,
                         problems_for_a_caller, signed_post, spoken)

ENGLISH, SPANISH = "1", "2"          # the keys of the language menu
VOICE_LANGUAGE = {"en": "en-US", "es": "es-US"}


@pytest.fixture
def phone(live_server, twilio):
    """Ring the live helpline and answer each menu in turn (keys, 'say:words', 'wait'), then hang up.
    Professionals answer and press 1, or (nobody_answers) their phones ring out."""
    def ring(*answers, nobody_answers=False) -> Phone:
        if nobody_answers:
            twilio.default_phone = "no-answer"
        caller = Phone(HttpTransport(), AUTH_TOKEN, base_url=live_server.url, from_number=CALLER, twilio=twilio)
        caller.call(scripted(list(answers)))
        assert not [h for h in caller.heard if h.kind in ("error", "cut-off")], caller.heard
        return caller
    return ring


@pytest.fixture
def flows(app) -> model.FlowSet:
    """The flows the test's helpline has loaded (the app behind `live_server`)."""
    return app.extensions["ivr"].flows.current()


def prompt(flows, name: str, language: str, flow: str = "main") -> str:
    return flows.prompts[(flow, name)].text(language)


def menus_heard(heard) -> list:
    return [position for position, h in enumerate(heard) if h.kind == "menu"]


def said_between(heard, start: int, end: int | None = None) -> list:
    return [h for h in heard[start:end] if h.kind == "say"]


def step_url(live_server, step: str, language: str = "en", tries: int = 0, route: str = "step") -> str:
    return f"{live_server.url}/voice/{route}?at={step}&lang={language}&tries={tries}"


def rung(twilio) -> list:
    """The numbers the helpline's REST requests rang."""
    return [call.to for call in twilio.calls.values() if call.direction == "outbound-api"]


def state_in(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# -- the first words -------------------------------------------------------------------------------
def test_the_emergency_notice_with_911_and_988_is_the_first_thing_a_caller_hears(phone):
    heard = phone().heard                     # hangs up at the first menu

    first, second = heard[0], heard[1]
    assert (first.kind, first.language) == ("say", "en-US")
    assert (second.kind, second.language) == ("say", "es-US")
    for notice in (first, second):
        assert "911" in notice.text and "988" in notice.text
    assert "Thank you for calling" in heard[2].text       # the greeting only comes after it


def test_the_first_verb_of_the_first_answer_speaks_the_emergency_numbers(live_server):
    response = signed_post(live_server.url + "/voice/incoming", call_params())

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    document = parse_twiml(response.text)
    gather = document[0]                       # keys and words work from the first word
    assert gather.tag == "Gather" and "dtmf" in gather.get("input")
    first = gather[0]
    assert first.tag == "Say" and "911" in "".join(first.itertext()) and "988" in "".join(first.itertext())
    assert first.find("say-as").get("interpret-as") == "digits"          # nine one one
    assert problems_for_a_caller(document) == []


# -- the health information, in both languages -------------------------------------------------------
@pytest.mark.parametrize("language_key, language, topic, expected", [
    (ENGLISH, "en", "1", "Myoclonus is the medical name for quick muscle jerks"),
    (ENGLISH, "en", "say:myoclonus", "Myoclonus is the medical name for quick muscle jerks"),
    (ENGLISH, "en", "3", "opioid-induced neurotoxicity"),
    (ENGLISH, "en", "say:neurotoxicity", "opioid-induced neurotoxicity"),
    (SPANISH, "es", "1", "La mioclonía es el nombre médico de las sacudidas musculares"),
    (SPANISH, "es", "say:mioclonía", "La mioclonía es el nombre médico de las sacudidas musculares"),
    (SPANISH, "es", "3", "neurotoxicidad causada por opioides"),
    (SPANISH, "es", "say:neurotoxicidad", "neurotoxicidad causada por opioides"),
], ids=["en-myoclonus-key", "en-myoclonus-words", "en-neurotoxicity-key", "en-neurotoxicity-words",
        "es-myoclonus-key", "es-myoclonus-words", "es-neurotoxicity-key", "es-neurotoxicity-words"])
def test_myoclonus_and_neurotoxicity_information_is_heard_in_the_language_the_caller_chose(
        phone, language_key, language, topic, expected):
    heard = phone(language_key, topic).heard

    language_menu, main_menu, topic_menu = menus_heard(heard)[:3]
    topic_said = said_between(heard, main_menu + 1, topic_menu)
    assert any(expected in h.text for h in topic_said), topic_said
    after_choosing = said_between(heard, language_menu + 1)
    assert {h.language for h in after_choosing} == {VOICE_LANGUAGE[language]}


# -- wrong keys and silence --------------------------------------------------------------------------
@pytest.mark.parametrize("language_key, language", [(ENGLISH, "en"), (SPANISH, "es")])
@pytest.mark.parametrize("answer, sorry", [("7", "sorry-invalid"), ("wait", "sorry-silent")],
                         ids=["wrong-key", "silence"])
def test_a_wrong_key_or_silence_plays_the_sorry_prompt_then_the_same_menu_again(
        phone, flows, language_key, language, answer, sorry):
    heard = phone(language_key, answer).heard

    main_menu, again = menus_heard(heard)[1:3]
    assert [h.text for h in said_between(heard, main_menu + 1, again)] == [
        prompt(flows, sorry, language), prompt(flows, "main-menu-choices", language)]
    assert heard[main_menu - 1].text == heard[again - 1].text      # the very same menu prompt


def test_the_sorry_prompts_say_what_went_wrong(flows):
    assert prompt(flows, "sorry-invalid", "en") == "Sorry, that key is not one of the choices."
    assert prompt(flows, "sorry-silent", "en") == "Sorry, I did not hear a choice."


@pytest.mark.parametrize("answer, sorry", [({"Digits": "7"}, "sorry-invalid"), ({}, "sorry-silent")],
                         ids=["wrong-key", "silence"])
def test_a_retry_asks_the_same_menu_and_counts_the_try_in_the_next_url(live_server, flows, answer, sorry):
    url = step_url(live_server, "main:main-menu") + ("" if answer else "&heard=nothing")

    document = parse_twiml(signed_post(url, call_params(**answer)).text)

    verbs = [verb.tag for verb in document]
    assert verbs == ["Gather", "Redirect"]
    gather = document.find("Gather")          # the sorry too: a key works from its first word
    assert spoken(gather) == [prompt(flows, sorry, "en"), prompt(flows, "main-menu-choices", "en")]
    assert state_in(gather.get("action")) == {"at": "main:main-menu", "lang": "en", "tries": "1"}
    assert problems_for_a_caller(document) == []


@pytest.mark.parametrize("failures", [
    ("7", "8", "6"),
    ("wait", "wait", "wait"),
    ("7", "wait", "say:banana bread"),
], ids=["three-wrong-keys", "three-silences", "mixed"])
def test_three_failed_answers_at_a_menu_connect_the_caller_to_a_person(phone, flows, failures, twilio):
    caller = phone(ENGLISH, *failures)
    heard = caller.heard

    main_menu = menus_heard(heard)[1]
    hold = next(position for position, h in enumerate(heard) if h.kind == "hold")
    # Language, then the main menu three times before being put through (on a loaded machine the
    # professional may take long enough to press 1 that the caller hears the hold page's keys too).
    assert len(menus_heard(heard[:hold])) == 4
    assert heard[hold - 1].text == prompt(flows, "connecting", "en")
    assert hold > main_menu
    assert rung(twilio) and set(rung(twilio)) <= ROSTER_PHONES      # professionals on the roster ring
    assert [h.kind for h in heard][-2:] == ["talk", "hangup"]          # a conversation, then the end


# -- 0, and the words that work everywhere -----------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "es"])
def test_pressing_0_at_every_menu_of_the_loaded_flows_rings_professionals(live_server, flows, menu, language,
                                                                          twilio):
    assert isinstance(flows.step(menu), model.Menu)         # `menu`: each menu of the flows
    person = next(choice.goto for choice in flows.everywhere if choice.key == "0")

    response = signed_post(step_url(live_server, str(menu), language), call_params(Digits="0"))

    assert response.status_code == 200
    document = parse_twiml(response.text)
    enqueue = document.find("Enqueue")
    assert enqueue is not None, response.text
    assert state_in(enqueue.get("action"))["at"] == str(person)
    assert spoken(document) == [prompt(flows, "connecting", language)]
    assert problems_for_a_caller(document) == []
    assert wait_for(lambda: rung(twilio)) and set(rung(twilio)) <= ROSTER_PHONES


def test_saying_operator_connects_the_caller_to_a_person(phone, flows, twilio):
    heard = phone(ENGLISH, "say:operator").heard

    main_menu = menus_heard(heard)[1]
    connecting, hold = heard[main_menu + 1:main_menu + 3]
    assert (connecting.kind, connecting.text) == ("say", prompt(flows, "connecting", "en"))
    assert (hold.kind, hold.text) == ("hold", "helpline-recovery-en")
    assert set(rung(twilio)) <= ROSTER_PHONES
    assert [h.kind for h in heard][-2:] == ["talk", "hangup"]


def test_saying_sobredosis_gives_the_emergency_numbers_in_spanish_then_a_person(phone, flows, twilio):
    heard = phone(SPANISH, "say:sobredosis").heard

    main_menu = menus_heard(heard)[1]
    emergency, connecting, hold = heard[main_menu + 1:main_menu + 4]
    assert emergency.language == "es-US" and "911" in emergency.text and "988" in emergency.text
    assert connecting.text == prompt(flows, "connecting", "es")
    assert (hold.kind, hold.text) == ("hold", "helpline-recovery-es")
    assert [h.kind for h in heard][-2:] == ["talk", "hangup"]


# -- when nobody answers -----------------------------------------------------------------------------
@pytest.fixture
def a_minute_on_hold(flows_dir, app, twilio):
    """The shipped flows with a one-minute max_wait, before the app starts; the helpline keeps
    Twilio's simulated time, 10 times the wall's: the minute passes in six seconds, and the first
    round of ringing (20 s) still ends well before the wait does on a loaded machine."""
    main = flows_dir / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("max_wait: 300", "max_wait: 60"), encoding="utf-8")
    twilio.clock = SimClock(speed=10.0)
    app.extensions["ivr"].clock = twilio.clock


@pytest.mark.parametrize("outcome", ["no-answer", "busy", "voicemail", "silent"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_when_nobody_takes_the_call_the_caller_waits_on_hold_in_their_language_then_reaches_the_backup_line(
        a_minute_on_hold, live_server, flows, twilio, outcome, language):
    twilio.default_phone = outcome
    caller = Phone(HttpTransport(), AUTH_TOKEN, base_url=live_server.url, from_number=CALLER, twilio=twilio)
    caller.clock = KnowsTheMenusByHeart(twilio.clock, caller)      # the greeting and menus pass at once
    caller.call(scripted([ENGLISH if language == "en" else SPANISH, "0"]))
    heard = caller.heard
    assert not [h for h in heard if h.kind in ("error", "cut-off")], heard

    holds = [h for h in heard if h.kind == "hold"]
    assert [h.text for h in holds] == [f"helpline-recovery-{language}"] * 2      # ringing, then on hold
    assert prompt(flows, "on-hold", language) in [h.text for h in heard]
    assert not [h for h in heard if h.kind == "talk"]            # no voicemail box ever took it
    assert [h.text for h in heard if h.kind == "dial"] == [BACKUP_LINE]
    assert rung(twilio) and set(rung(twilio)) <= ROSTER_PHONES


def test_a_caller_nobody_answers_can_leave_a_voicemail_and_hears_goodbye(phone, flows):
    heard = phone(ENGLISH, "0", "hold:1", nobody_answers=True).heard

    kinds = [h.kind for h in heard]
    assert kinds[-3:] == ["record", "say", "hangup"]
    assert heard[-2].text == prompt(flows, "farewell", "en")


# -- every answer, everywhere a caller can go --------------------------------------------------------
MENU_ANSWERS = [{"Digits": key} for key in "0123456789*#"] + [
    {"SpeechResult": words, "Confidence": "0.9"} for words in ("operator", "sobredosis", "banana bread")]


def next_requests(url: str, document) -> list:
    """Every request Twilio could make next after this document, as (url, params)."""
    found = []
    for verb in document:
        action = urljoin(url, verb.get("action", "")) if verb.get("action") else None
        if verb.tag == "Gather":
            answers = MENU_ANSWERS if "speech" in verb.get("input", "") else [{"Digits": "5551234567"}]
            found += [(action, answer) for answer in answers]
        elif verb.tag == "Redirect":
            found.append((urljoin(url, verb.text.strip()), {}))
        elif verb.tag == "Dial" and action:
            found += [(action, {"DialCallStatus": outcome}) for outcome in ("completed", "no-answer", "busy")]
        elif verb.tag == "Enqueue" and action:
            # Leaving the hold queue (by <Leave> or a REST request), and its hold page. (A hang-up
            # ends this crawler's one call: tests/web/test_hold.py covers it.)
            found += [(action, {"QueueResult": result, "QueueTime": "0"}) for result in ("leave", "redirected")]
            found.append((urljoin(url, verb.get("waitUrl")), {"QueuePosition": "1", "QueueTime": "0"}))
        elif verb.tag == "Leave":
            # The caller leaves the queue: Twilio requests the <Enqueue> action of the hold page's call.
            found.append((url.replace("/voice/hold?", "/voice/queued?"), {"QueueResult": "leave", "QueueTime": "5"}))
        elif verb.tag == "Record":
            found.append((action, {"RecordingUrl": "https://api.twilio.com/recording/RE1", "RecordingDuration": "9"}))
    return found


def test_every_answer_to_every_request_a_call_can_make_is_twiml_that_never_cuts_the_caller_off(live_server, twilio):
    twilio.default_phone = "busy"          # every professional's line is busy: the caller stays in line
    start = (live_server.url + "/voice/incoming", {})
    waiting, seen, problems, verbs_seen = deque([start]), set(), [], set()
    while waiting:
        url, params = waiting.popleft()
        key = (url, tuple(sorted(params.items())))
        if key in seen:
            continue
        seen.add(key)
        assert len(seen) < 5000, "the call graph should be finite"
        response = signed_post(url, call_params(**params))
        assert response.status_code == 200, (url, params, response.status_code)
        document = parse_twiml(response.text)
        problems += [(url, params, problem) for problem in problems_for_a_caller(document)]
        verbs_seen |= {verb.tag for verb in document.iter()}      # a <Say> is inside a <Gather> now
        waiting.extend(next_requests(url, document))

    assert problems == []
    # The backup line's <Dial> needs a wait to run out or a second key on hold: test_hold.py has it.
    assert {"Say", "Gather", "Redirect", "Enqueue", "Leave", "Record", "Hangup"} <= verbs_seen
    assert len(seen) > 300


@pytest.mark.parametrize("twiml, problem", [
    ("<Response><Say>Hi</Say></Response>", "ends with <Say>"),
    ("<Response><Gather action='step'><Say>Menu</Say></Gather></Response>", "not followed by a <Redirect>"),
    ("<Response><Gather action='step'><Say>Bye</Say></Gather></Response>", "not followed by a <Redirect>"),
    ("<Response><Record action='done'/></Response>", "not followed by a <Redirect>"),
    ("<Response><Dial>+15005550006</Dial></Response>", "ends with <Dial>"),
    ("<Response><Enqueue>q</Enqueue><Queue/></Response>", "unknown TwiML <Queue>"),
    ("<Response/>", "empty document"),
])
def test_the_caller_check_itself_notices_a_document_that_would_cut_a_caller_off(twiml, problem):
    assert any(problem in found for found in problems_for_a_caller(parse_twiml(twiml)))
