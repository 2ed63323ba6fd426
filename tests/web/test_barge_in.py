"""Keys work while we speak: a caller who presses 0 during any prompt of the shipped flows, in either
language, reaches a person; the crisis words and a menu's keys count from the first word too.

Inside a <Gather> Twilio stops a nested <Say>/<Play> at the first key (or word) and requests the
action; anywhere else the key is lost (ivr/sim/phone.py models both). Every prompt is found in the
FlowSet itself and reached by a whole call, signed as Twilio signs, with Twilio and the professionals'
phones simulated (ivr/sim) — a prompt staff add later is covered without an edit here. Simulated time
passes only while the caller listens on hold (caller_clock.py), so no call waits on the wall. The
calls to every prompt are made in-process (Flask's test client): what is tried there is what the
helpline answers, not HTTP; the other calls here go over real HTTP.
"""
from __future__ import annotations

import contextlib
import datetime
import itertools
import shutil
import tempfile
import threading
import zoneinfo
from collections import deque
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from flask import Flask, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.serving import make_server

from ivr.flow import model
from ivr.flow.loader import load_flows
from ivr.flow.hours import is_open
from ivr.sim.twilio import lone_phone
from ivr.sim.phone import HttpTransport, Phone, scripted
from ivr.sim.phone import TestClientTransport as InProcess
from ivr.sim.twilio import SimTwilio
from ivr.sim.webhooks import Helpline
from caller_clock import ListeningClock, Listener
from callers import HELPLINE
from template_databases import sqlite_copy
from like_twilio import AUTH_TOKEN, BACKUP_LINE, CALLER, wait_for

#: Wednesday 10:00 in New York: Ana Rivera, Marisol Peña and Ben Carter are on shift on the demo
#: roster, so asking for a person rings phones (and the connect step's prompt is heard).
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
#: A number a caller types at the callback step (a fictional 555-01xx number).
CALLBACK_NUMBER = "2025550199"
KEYS = "1234567890*#"


@pytest.fixture
def twilio():
    """Twilio in software from Wednesday 10:00 New York; the professionals' phones ring out, so a
    caller who asks for a person is put in line and stays there. Its time moves as callers listen."""
    sim = SimTwilio(Helpline(HttpTransport(), AUTH_TOKEN), ListeningClock(start=WEDNESDAY_10AM), AUTH_TOKEN,
                    default_phone="no-answer")
    sim.api_url = sim.serve()
    yield sim
    sim.clock.stop()
    sim.stop()


@pytest.fixture
def databases(tmp_path):
    """Where each helpline's SQLite file goes: in memory (/dev/shm) where the machine has it, so 80-odd
    databases made and dropped do not wait on a shared disk; the test's own folder otherwise."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="barge-in-", dir=shm))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def helpline(make_app, twilio, databases, sqlite_template):
    """`with helpline() as dial:` a helpline of its own for one call, served over real HTTP (or, with
    `over_http=False`, answering in-process): its own database, so nothing an earlier call left (a
    professional resting after a missed call, a place in line) changes what this caller hears.
    `dial(script)` makes the call (see `ring`)."""
    made = itertools.count()

    @contextlib.contextmanager
    def serve(over_http: bool = True):
        folder = databases / f"call-{next(made)}"
        folder.mkdir()
        app = make_app(flows_check_seconds=0, database_url=sqlite_copy(sqlite_template, folder))
        app.extensions["ivr"].clock = twilio.clock
        server = thread = None
        if over_http:
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                      name="barge-in-helpline", daemon=True)
            thread.start()
        try:
            if over_http:
                yield partial(ring, HttpTransport(), f"http://127.0.0.1:{server.server_port}", twilio)
            else:
                yield partial(ring, InProcess(app), "http://localhost", twilio)    # what the sim posts in-process
        finally:
            # Every professional's phone has stopped ringing (and said so) before the helpline goes.
            wait_for(lambda: rung_out(twilio), timeout=10)
            if server is not None:
                server.shutdown()
                thread.join(timeout=10)
                server.server_close()
            app.extensions["ivr"].close()
            app.extensions["ivr"].database.dispose()
    return serve


def rung_out(twilio: SimTwilio) -> bool:
    """Whether every professional's leg is over; if not, time goes on as it does after a caller hangs
    up, so a phone still ringing (or still held back by the calls per second) rings out at its Timeout."""
    ringing = [leg for leg in list(twilio.calls.values())
               if leg.direction == "outbound-api" and leg.status not in ("completed", "canceled", "no-answer", "busy",
                                                                         "failed")]
    twilio.clock.advance(max((leg.timeout for leg in ringing), default=0))
    return not ringing


@pytest.fixture
def flows(flows_dir) -> model.FlowSet:
    result = load_flows(flows_dir, today=WEDNESDAY_10AM.date())
    assert result.errors == [], "\n".join(str(p) for p in result.errors)
    return result.flows


def ring(transport, url: str, twilio: SimTwilio, script: list) -> Phone:
    """Call the helpline at `url` and answer with `script` (ivr.sim.phone.scripted); once the caller has
    pressed or spoken over a prompt they answer no menu more, and hang up at the next one."""
    caller = Phone(transport, AUTH_TOKEN, base_url=url, from_number=CALLER, to_number=HELPLINE, twilio=twilio,
                   outside_lines_answer=False)      # the backup line rings out: its own prompt is heard too
    caller.clock = Listener(twilio.clock)
    script_answer = scripted(script)

    def answer(heard):
        return None if pressed_at(heard) is not None else script_answer(heard)
    answer.during = script_answer.during
    caller.call(answer)
    assert not [h for h in caller.heard if h.kind in ("error", "cut-off")], transcript(caller.heard)
    return caller


def pressed_at(heard) -> int | None:
    """Where in `heard` the caller pressed or spoke over a prompt (taken or lost), if they did."""
    return next((i for i, h in enumerate(heard) if h.kind in ("barge-in", "ignored-key", "ignored-words")), None)


def transcript(heard) -> str:
    return "\n".join(str(h) for h in heard)


# -- every prompt of the flows, and the answers that bring a caller to it -------------------------
@dataclass(frozen=True)
class Prompted:
    """A prompt a caller hears at a step, in one language, and the answers that make them hear it."""
    step: model.Step
    prompt: model.Prompt
    language: str
    answers: tuple

    def __str__(self) -> str:
        return f"{self.step.ref} '{self.prompt.name}' [{self.language}]"


def prompts_heard(flows: model.FlowSet) -> tuple:
    """(every Prompted a caller can hear, the steps no caller reaches)."""
    found, reached = {}, set()
    for language in (known.code for known in flows.languages):
        for ref, (answers, chosen) in ways_in(flows, language).items():
            reached.add(ref)
            step = flows.step(ref)
            for prompt, then, every_language in prompts_at(step, flows):
                # Before a caller chooses, a prompt speaks the first language, or every one in turn.
                if chosen or every_language or language == flows.default_language:
                    found.setdefault((ref, prompt.name, language),
                                     Prompted(step, prompt, language, answers + then))
    return tuple(found.values()), sorted(set(flows.steps) - reached, key=str)


def ways_in(flows: model.FlowSet, language: str) -> dict:
    """step ref -> (the fewest answers that bring a caller speaking `language` to it, whether they
    have chosen their language by then), walking the flows as the engine plays them."""
    start = (flows.start, language == flows.default_language)
    ways = {start: ()}
    waiting = deque([start])
    while waiting:
        ref, chosen = here = waiting.popleft()
        for answers, goto, chosen_then in exits(flows, flows.step(ref), language, chosen):
            if goto is not None and (goto, chosen_then) not in ways:
                ways[(goto, chosen_then)] = ways[here] + answers
                waiting.append((goto, chosen_then))
    best = {}
    for (ref, chosen), answers in ways.items():
        if ref not in best or (chosen and not best[ref][1]):
            best[ref] = (answers, chosen)
    return best


def exits(flows, step, language: str, chosen: bool) -> list:
    """(answers, the step they lead to, language chosen by then) for each way on from `step`."""
    if isinstance(step, model.Say):
        return [((), step.goto, chosen)]
    if isinstance(step, model.Hours):
        opened = is_open(step.open, step.holidays, step.timezone, WEDNESDAY_10AM.astimezone(datetime.timezone.utc))
        return [((), step.if_open if opened else step.if_closed, chosen)]
    if isinstance(step, model.LanguageMenu):
        ways = [((option.key or said(option.words, language),), step.target(option), True)
                for option in step.options if option.language == language]
        return ways + (menu_exits(flows, step, language, chosen) if chosen else [])
    if isinstance(step, model.Menu):
        return [((option.key or said(option.words, language),), step.target(option), chosen)
                for option in step.options] + menu_exits(flows, step, language, chosen)
    if isinstance(step, model.Connect):
        return [((), step.if_nobody_answers, chosen)]                      # every phone rings out
    if isinstance(step, model.Queue):
        return [(("hold:" + option.key,), option.goto, chosen) for option in step.options if option.key]
    if isinstance(step, model.BackupLine):
        return [((), flows.fallback, chosen)]                              # the backup line rings out
    if isinstance(step, model.Voicemail):
        return [((), step.goto, chosen)]
    if isinstance(step, model.Callback):
        return [((CALLBACK_NUMBER, "1"), step.goto, chosen)]              # typed, read back, confirmed
    return []


def menu_exits(flows, menu: model.Menu, language: str, chosen: bool) -> list:
    ways = [((choice.key or said(choice.words, language),), choice.goto, chosen) for choice in flows.everywhere]
    if menu.back is not None:
        ways.append(((menu.back_key,), menu.back, chosen))
    return ways


def said(words: model.Words, language: str) -> str:
    return "say:" + (words.for_language(language) or words.all())[0]


def prompts_at(step, flows) -> list:
    """(prompt, answers at the step that make it speak, spoken in every language?) for each prompt
    a caller can hear at `step`."""
    every_language = getattr(step, "every_language", False)
    heard = [(getattr(step, "prompt", None), (), every_language)]
    if isinstance(step, model.Menu):
        heard += [(step.when_invalid, (a_wrong_key(step, flows),), every_language),
                  (step.when_silent, ("wait",), every_language)]
    if isinstance(step, model.Queue):
        heard.append((step.offer, (), False))
    if isinstance(step, model.BackupLine):
        heard.append((step.if_unanswered, (), False))
    return [(prompt, then, every) for prompt, then, every in heard if prompt is not None]


def a_wrong_key(menu: model.Menu, flows) -> str:
    taken = {option.key for option in menu.options} | {choice.key for choice in flows.everywhere}
    taken |= {menu.repeat_key} | ({menu.back_key} if menu.back is not None else set())
    return next(key for key in KEYS if key not in taken)


def reaches_a_person(heard) -> bool:
    """Put in the helpline's queue (<Enqueue>), still waiting on hold or while phones ring, talking
    with someone, or dialling the backup line."""
    return any(h.kind in ("hold", "talk") or (h.kind == "menu" and h.text in ("on hold", "ringing", "music"))
               or (h.kind == "dial" and h.text == BACKUP_LINE) for h in heard)


def what_went_wrong(heard) -> str | None:
    """None when a 0 during the prompt reached a person; otherwise why not, in a few words."""
    at = pressed_at(heard)
    if at is None:
        return "never heard it; the call went " + " | ".join(briefly(h) for h in heard[-3:])
    after = heard[at + 1:]
    if reaches_a_person(after):
        return None
    if heard[at].kind == "ignored-key":
        return "outside a <Gather>: the 0 was lost"
    return "the 0 was taken, then " + " | ".join(briefly(h) for h in after[:2])


def briefly(heard) -> str:
    text = str(heard)
    return text if len(text) <= 60 else text[:57] + "..."


def by_prompt(results: list) -> list:
    """'step 'prompt' [en, es]: what happened' lines, one per step, prompt and outcome."""
    languages = {}
    for prompted, outcome in results:
        languages.setdefault((f"{prompted.step.ref} '{prompted.prompt.name}'", outcome), []).append(prompted.language)
    return [f"  {where} [{', '.join(codes)}]" + (f": {outcome}" if outcome else "")
            for (where, outcome), codes in languages.items()]


# -- the tests -----------------------------------------------------------------------------------
def test_0_pressed_during_any_prompt_in_either_language_reaches_a_person(flows, helpline, twilio):
    heard_at, unreached = prompts_heard(flows)
    assert not unreached, f"no caller reaches these steps, so their prompts go untried: {unreached}"
    failed, lost_on_the_way = [], []
    for prompted in heard_at:
        with helpline(over_http=False) as dial:
            caller = dial([*prompted.answers, "0@during:" + prompted.prompt.text(prompted.language)])
        problem = what_went_wrong(caller.heard)
        if problem:
            failed.append((prompted, problem))
        elif caller.heard[pressed_at(caller.heard)].kind == "ignored-key":
            lost_on_the_way.append((prompted, ""))
    assert not failed, "\n".join(
        [f"0 pressed during these prompts did not reach a person ({len(failed)} of {len(heard_at)} tried):"]
        + by_prompt(failed)
        + (["Outside a <Gather> too, but the caller is on the way to a person whatever they press:"]
           + by_prompt(lost_on_the_way) if lost_on_the_way else []))


@pytest.mark.parametrize("language, crisis", [("en", "overdose"), ("es", "sobredosis")])
def test_a_crisis_word_said_during_the_welcome_reaches_the_emergency_message(flows, helpline, twilio, language,
                                                                             crisis):
    welcome = flows.step(model.Ref("main", "welcome")).prompt.text(language)
    emergency = flows.step(model.Ref("main", "emergency")).prompt

    with helpline() as dial:
        caller = dial([f"say:{crisis}@during:{welcome}"])

    at = pressed_at(caller.heard)
    assert at is not None and caller.heard[at].kind == "barge-in", transcript(caller.heard)
    assert {h.text for h in caller.heard[at:] if h.kind == "say"} & {text for _, text in emergency.texts}, \
        transcript(caller.heard)


def test_a_menu_key_pressed_during_the_main_menus_prompt_takes_that_choice(flows, helpline, twilio):
    main_menu = flows.step(model.Ref("main", "main-menu"))
    three = next(option for option in main_menu.options if option.key == "3")
    topic = flows.step(three.goto).prompt.text("en")

    with helpline() as dial:
        caller = dial(["1", "3@during:" + main_menu.prompt.text("en")])

    at = pressed_at(caller.heard)
    assert at is not None and caller.heard[at].kind == "barge-in", transcript(caller.heard)
    assert caller.heard[at + 1].text == topic, transcript(caller.heard)


# -- the simulated phone: what Twilio does with a key pressed over a prompt -----------------------
def canned_helpline(incoming: VoiceResponse) -> tuple:
    """A stand-in webhook: `incoming` first, and whatever the caller enters is kept and answered
    with a goodbye."""
    app, entered = Flask(__name__), []

    @app.post("/voice/incoming")
    def answer_the_call():
        return str(incoming)

    @app.post("/voice/entered")
    def keep_what_was_entered():
        entered.append({key: request.form[key] for key in ("Digits", "SpeechResult") if key in request.form})
        goodbye = VoiceResponse()
        goodbye.say("Goodbye.")
        goodbye.hangup()
        return str(goodbye)
    return app, entered


def a_menu(listens_for: str = "dtmf") -> VoiceResponse:
    response = VoiceResponse()
    response.say("Before the menu.")
    with response.gather(input=listens_for, action="/voice/entered", num_digits=1) as gather:
        gather.say("First choice.")
        gather.say("Second choice.")
    response.redirect("/voice/incoming")           # silence: the menu again
    return response


def a_goodbye() -> VoiceResponse:
    response = VoiceResponse()
    with response.gather(input="dtmf speech", action="/voice/entered", num_digits=1) as gather:
        gather.say("Thank you for calling.")
    response.hangup()
    return response


def dial_in(app: Flask, script: list) -> Phone:
    caller = lone_phone(InProcess(app), AUTH_TOKEN)
    caller.call(scripted(script))
    return caller


def test_a_key_during_a_prompt_inside_a_gather_stops_it_and_requests_the_action_with_the_digits():
    app, entered = canned_helpline(a_menu())

    caller = dial_in(app, ["4@during:first choice"])

    assert [(h.kind, h.text) for h in caller.heard][:4] == [
        ("say", "Before the menu."), ("say", "First choice."), ("barge-in", "4"), ("say", "Goodbye.")]
    assert entered == [{"Digits": "4"}]


def test_a_key_during_a_prompt_outside_a_gather_is_lost_and_the_caller_hears_on():
    app, entered = canned_helpline(a_menu())

    caller = dial_in(app, ["4@during:before the menu"])

    assert [h.kind for h in caller.heard][:5] == ["say", "ignored-key", "say", "say", "menu"]
    assert entered == []


@pytest.mark.parametrize("listens_for, taken", [("dtmf", False), ("dtmf speech", True)])
def test_words_during_a_prompt_count_only_where_the_gather_listens_for_speech(listens_for, taken):
    app, entered = canned_helpline(a_menu(listens_for))

    caller = dial_in(app, ["say:a person@during:second choice"])

    assert caller.heard[3].kind == ("barge-in" if taken else "ignored-words"), transcript(caller.heard)
    assert entered == ([{"SpeechResult": "a person"}] if taken else [])


def test_a_key_during_the_nth_prompt_of_the_next_document():
    app, entered = canned_helpline(a_menu())

    caller = dial_in(app, ["7@2"])

    assert [h.kind for h in caller.heard][:3] == ["say", "say", "barge-in"]
    assert entered == [{"Digits": "7"}]


def test_a_gather_that_only_lets_keys_work_while_we_speak_asks_nothing_and_silence_runs_on():
    app, entered = canned_helpline(a_goodbye())

    caller = dial_in(app, [])           # no answers: at a menu they would hang up

    assert [(h.kind, h.text) for h in caller.heard] == [("say", "Thank you for calling."), ("hangup", "")]
    assert entered == []
