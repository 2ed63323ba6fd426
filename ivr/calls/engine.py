"""The pure call engine: given the flows, where a call is and what the caller did, what happens next.

No Flask, no Twilio, no database: the webhook, the `ivr call` simulator and the tests all drive
this same code. A call's whole state is a CallState value, so any worker can take the next turn.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from ..flow import model
from ..flow.messages import compose
from ..flow.model import Ref
from ..flow.hours import is_open
from ..flow.speech import contains_phrase, normalize, spoken_key

MAX_HOPS = 64     # the validator forbids silent loops; this only guards a flow that slipped past


@dataclass(frozen=True)
class CallState:
    step: Ref
    language: str
    tries: int = 0


@dataclass(frozen=True)
class Utterance:
    """One prompt spoken in one language (a recording when there is one)."""
    prompt: model.Prompt
    language: str
    pause: int = 0

    @property
    def text(self) -> str:
        return self.prompt.text(self.language)

    @property
    def audio(self) -> str | None:
        return self.prompt.audio_for(self.language)


@dataclass(frozen=True)
class Turn:
    """What the caller hears now, and the step that then waits for them (a menu, a person, …)."""
    said: tuple            # Utterances before the waiting step
    asked: tuple           # the waiting step's own prompt (inside the menu, for a menu)
    step: model.Step
    state: CallState
    timed: bool = False    # an hours step chose the way: the same answer may differ at another time


# -- what a caller can do ------------------------------------------------------------------------
@dataclass(frozen=True)
class Pressed:
    digits: str


@dataclass(frozen=True)
class Spoke:
    text: str


@dataclass(frozen=True)
class Silence:
    pass


@dataclass(frozen=True)
class Finished:
    """The waiting step is done: nobody answered, the voicemail was left, the callback saved."""


def begin(flows: model.FlowSet, now: datetime.datetime, dialled: str = "") -> Turn:
    """The first turn of a call: in the language of the line dialled (a Spanish line starts in
    Spanish, listening for Spanish words), else the flows' first language."""
    return enter(flows, flows.start, flows.language_of_line(dialled), now)


def advance(flows: model.FlowSet, state: CallState, event, now: datetime.datetime) -> Turn:
    language = state.language if any(l.code == state.language for l in flows.languages) \
        else flows.default_language
    step = flows.step(state.step)
    if isinstance(step, model.Menu) and not isinstance(event, Finished):
        return answer_menu(flows, step, CallState(step.ref, language, state.tries), event, now)
    if step is not None and isinstance(event, (Pressed, Spoke)) and not isinstance(step, model.Menu):
        return interrupted(flows, step, CallState(step.ref, language, state.tries), event, now)
    if isinstance(event, Finished) and step is not None:
        said = ()
        if isinstance(step, model.BackupLine) and step.if_unanswered is not None:
            said = _speak(step.if_unanswered, language, False, flows)   # never back in line unannounced
        return enter(flows, after_finished(flows, step), language, now, said=said, tries=state.tries)
    # A step that no longer exists (the flow was edited mid-call) or an answer that fits nothing.
    return enter(flows, flows.fallback, language, now)


def after_finished(flows, step: model.Step) -> Ref:
    """Where a call goes when a waiting step reports it is over."""
    if isinstance(step, model.Connect):
        return step.if_nobody_answers            # nobody picked up
    if isinstance(step, (model.Voicemail, model.Callback)):
        return step.goto
    if isinstance(step, model.BackupLine):
        return flows.fallback                    # the backup line did not answer: try our own people
    if isinstance(step, model.Queue):
        return step.overflow                     # waited as long as the flow allows
    return step.ref                              # a stale report: play this step again


def interrupted(flows, step: model.Step, state: CallState, event, now) -> Turn:
    """A key or words while what leads to a step that takes no keys itself was being said (a
    goodbye, a voicemail's instructions, 'please hold'): a choice that goes somewhere else is
    taken; anything else cuts the speech short and the step goes on."""
    goto = answer_on_hold(flows, step, event)
    if goto is not None:
        return enter(flows, goto, state.language, now)
    return Turn((), (), step, state)


def answer_on_hold(flows, step, event) -> Ref | None:
    """A key or words while waiting for a person (on hold or while phones ring): the step they
    lead to — the step's own options, the crisis words — or None to keep waiting."""
    key, words = None, []
    if isinstance(event, Pressed):
        key = event.digits if len(event.digits) == 1 else None
    elif isinstance(event, Spoke):
        words = normalize(event.text).split()
        key = spoken_key(words, flows.number_words)
    for choice in flows.everywhere:
        if (key is not None and key == choice.key) or _heard(words, choice.words):
            # "0" while already waiting for a person keeps their place; crisis words always act.
            waiting = isinstance(step, (model.Connect, model.Queue)) \
                and isinstance(flows.step(choice.goto), (model.Connect, model.Queue))
            return None if waiting else choice.goto
    for option in getattr(step, "options", ()):
        if (key is not None and key == option.key) or _heard(words, option.words):
            return option.goto
    return None


def answer_menu(flows, menu: model.Menu, state: CallState, event, now) -> Turn:
    if isinstance(event, Silence):
        return retry(flows, menu, state, menu.when_silent, now)
    key, words = None, []
    if isinstance(event, Pressed):
        if len(event.digits) != 1:
            return retry(flows, menu, state, menu.when_invalid, now)
        key = event.digits
    elif isinstance(event, Spoke):
        words = normalize(event.text).split()
        key = spoken_key(words, flows.number_words)
    for choice in flows.everywhere:
        if (key is not None and key == choice.key) or _heard(words, choice.words):
            language = state.language
            if isinstance(menu, model.LanguageMenu) and key is None:
                # Before a language is chosen, words in a language ("sobredosis") choose it: what
                # follows — the 911/988 message, the professional rung — is in theirs.
                language = _language_heard(words, choice.words) or language
            return enter(flows, choice.goto, language, now)
    for option in menu.options:
        if (key is not None and key == option.key) or _heard(words, option.words):
            language = option.language or state.language
            return enter(flows, menu.target(option), language, now)
    if key is not None and key == menu.repeat_key:
        return enter(flows, menu.ref, state.language, now, tries=state.tries)
    if key is not None and key == menu.back_key and menu.back is not None:
        return enter(flows, menu.back, state.language, now)
    if not key and not words:
        return retry(flows, menu, state, menu.when_silent, now)
    return retry(flows, menu, state, menu.when_invalid, now)


def retry(flows, menu: model.Menu, state: CallState, sorry: model.Prompt | None, now) -> Turn:
    tries = state.tries + 1
    if tries >= menu.tries:
        return enter(flows, menu.after_tries or flows.fallback, state.language, now)
    said = _speak(sorry, state.language, menu.every_language, flows) if sorry else ()
    return enter(flows, menu.ref, state.language, now, said=said, tries=tries)


def enter(flows, ref: Ref, language: str, now, said: tuple = (), tries: int = 0) -> Turn:
    """Play steps that need no answer until one waits for the caller."""
    if not any(known.code == language for known in flows.languages):
        language = flows.default_language      # a language the flows do not have (a stale URL)
    timed = False
    for _ in range(MAX_HOPS):
        step = flows.step(ref)
        if step is None:
            step = flows.step(flows.fallback)
        if isinstance(step, model.Say):
            said += _speak(step.prompt, language, step.every_language, flows, step.pause)
            ref = step.goto
            continue
        if isinstance(step, model.Hours):
            timed = True
            ref = step.if_open if is_open(step.open, step.holidays, step.timezone, now) else step.if_closed
            continue
        asked = _speak(step.prompt, language, getattr(step, "every_language", False), flows)
        return Turn(said, asked, step, CallState(step.ref, language, tries), timed)
    step = flows.step(flows.fallback)
    return Turn(said, _speak(step.prompt, language, False, flows), step, CallState(step.ref, language), timed)


def _speak(prompt, language, every_language, flows, pause=0) -> tuple:
    if prompt is None:
        return ()
    if not every_language:
        return (Utterance(prompt, language, pause),)
    codes = [l.code for l in flows.languages]
    # The caller's own language first, when they have one, then the others.
    codes.sort(key=lambda code: code != language)
    return tuple(Utterance(prompt, code, pause if i == len(codes) - 1 else 0) for i, code in enumerate(codes))


def message(flows: model.FlowSet, name: str, code: str, /, **values) -> Utterance:
    """One of the flows' messages in language `code`, put together now ('There are 3 callers
    ahead of you.'); `values` fill its placeholders ({count}, {language}, …)."""
    text = compose(flows.messages.get(name), code, **values)
    return Utterance(model.Prompt(name, ((code, text),)), code)


def message_in_every_language(flows: model.FlowSet, name: str) -> tuple:
    return tuple(message(flows, name, language.code) for language in flows.languages)


def _language_heard(words: list, wanted: model.Words) -> str | None:
    for language, phrases in wanted.phrases:
        if any(contains_phrase(words, phrase) for phrase in phrases):
            return language
    return None


def _heard(words: list, wanted: model.Words) -> bool:
    return bool(words) and any(contains_phrase(words, phrase) for phrase in wanted.all())
