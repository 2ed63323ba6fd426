"""The typed, immutable call-flow model that the validator builds and the engine plays."""
from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from typing import NamedTuple

from .speech import normalize
from .pronounce import NO_RULES, Pronunciation
from .step_types import default


class Ref(NamedTuple):
    """A step anywhere in the flow set: 'health-info:oin-signs' or, within a flow, 'oin-signs'.

    A tuple, so hashing it (every step look-up does) happens in C.
    """
    flow: str
    step: str

    def __str__(self) -> str:
        return f"{self.flow}:{self.step}"

    @classmethod
    def parse(cls, text: str, current_flow: str) -> "Ref":
        flow, sep, step = text.partition(":")
        return cls(flow, step) if sep else cls(current_flow, text)

    def written_from(self, flow: str) -> str:
        """How a staff member in `flow` would write this reference."""
        return self.step if self.flow == flow else str(self)


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    voice: str
    speech: str          # the speech-recognition locale Twilio expects, e.g. 'es-US'
    numbers: tuple = ()  # helpline numbers that start a call in this language (a Spanish line)
    press: tuple = ()    # the words that announce a key ('press' 3), so a menu's prompt can be checked
    digits: tuple = ()   # the words for 0 to 9, in order: a caller saying 'two' has pressed 2
    pronounce: Pronunciation = NO_RULES   # how the voice says 911, myoclonus… (pronounce.py)


@dataclass(frozen=True)
class Message:
    """A sentence the helpline puts together when it speaks (see messages.py): per language, its
    plural forms, e.g. (('one', 'There is 1 caller ahead of you.'), ('other', 'There are {count}…'))."""
    name: str
    texts: tuple          # ((language, ((form, text), ...)), ...)
    file: str = ""
    line: int = 0
    column: int = 0

    def forms(self, language: str) -> dict:
        return dict(dict(self.texts).get(language, ()))


@dataclass(frozen=True)
class Prompt:
    name: str
    texts: tuple          # ((language, text), ...)
    audio: tuple = ()     # ((language, file name under audio/<language>/), ...)
    health: bool = False
    source: str = ""
    reviewed_by: str = ""
    reviewed_on: datetime.date | None = None
    file: str = ""
    line: int = 0
    column: int = 0

    def text(self, language: str) -> str:
        return dict(self.texts).get(language, "")

    def audio_for(self, language: str) -> str | None:
        return dict(self.audio).get(language)


@dataclass(frozen=True)
class Words:
    """Phrases a caller may say, per language."""
    phrases: tuple = ()   # ((language, (phrase, ...)), ...)

    def for_language(self, language: str) -> tuple:
        return dict(self.phrases).get(language, ())

    def all(self) -> tuple:
        return tuple(p for _, group in self.phrases for p in group)


@dataclass(frozen=True)
class Option:
    key: str | None
    words: Words
    goto: Ref | None
    language: str | None = None      # set on the options of a language step
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Everywhere:
    """A choice every menu hears: 0 for a person, crisis words for the emergency step."""
    name: str
    key: str | None
    words: Words
    goto: Ref
    urgent: bool = False      # heard before anything else, even amid other choices' words
    line: int = 0
    column: int = 0
    file: str = ""


@dataclass(frozen=True)
class Step:
    flow: str
    name: str
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)

    kind = "step"

    @property
    def ref(self) -> Ref:
        return Ref(self.flow, self.name)

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"

    def exits(self) -> tuple:
        """Every step this one can lead to, whatever the caller does."""
        return ()


@dataclass(frozen=True)
class Say(Step):
    prompt: Prompt | None = None
    goto: Ref | None = None
    pause: int = default("say", "pause")
    every_language: bool = False
    kind = "say"

    def exits(self):
        return (self.goto,)


@dataclass(frozen=True)
class Menu(Step):
    prompt: Prompt | None = None
    options: tuple = ()
    goto: Ref | None = None            # language steps: where a choice leads by default
    back: Ref | None = None
    back_key: str = default("menu", "back_key")
    repeat_key: str = default("menu", "repeat_key")
    timeout: int = default("menu", "timeout")
    tries: int = default("menu", "tries")
    after_tries: Ref | None = None
    when_invalid: Prompt | None = None
    when_silent: Prompt | None = None
    every_language: bool = False
    kind = "menu"

    def target(self, option: Option) -> Ref | None:
        return option.goto or self.goto

    def exits(self):
        return tuple(self.target(o) for o in self.options) + (self.back, self.after_tries)


@dataclass(frozen=True)
class LanguageMenu(Menu):
    kind = "language"


@dataclass(frozen=True)
class Hours(Step):
    timezone: str = "UTC"
    open: tuple = ()                    # ((weekday 0=Mon, start minute, end minute), ...)
    holidays: frozenset = frozenset()
    if_open: Ref | None = None
    if_closed: Ref | None = None
    kind = "hours"

    def exits(self):
        return (self.if_open, self.if_closed)


@dataclass(frozen=True)
class Connect(Step):
    prompt: Prompt | None = None
    team: str = "recovery"
    if_nobody_answers: Ref | None = None
    ring_seconds: int = default("connect", "ring_seconds")
    kind = "connect"

    def exits(self):
        return (self.if_nobody_answers,)


@dataclass(frozen=True)
class Queue(Step):
    """Waiting on hold for the next free professional (Twilio Studio: Enqueue)."""
    prompt: Prompt | None = None          # said once, as the caller starts to wait
    team: str = "recovery"
    offer: Prompt | None = None           # said between stretches of music: the keys they may press
    options: tuple = ()                   # keys that leave the queue (a callback, a voicemail)
    overflow: Ref | None = None           # after max_wait: the backup line, usually
    max_wait: int = default("queue", "max_wait")
    music: str = default("queue", "music")        # in audio/music/
    words_during_music: bool = False      # speech recognition while the music plays (billed)
    kind = "queue"

    def exits(self):
        return tuple(option.goto for option in self.options) + (self.overflow,)


@dataclass(frozen=True)
class BackupLine(Step):
    prompt: Prompt | None = None
    if_unanswered: Prompt | None = None   # the partner line did not answer: back to our own people
    kind = "backup-line"


@dataclass(frozen=True)
class Voicemail(Step):
    prompt: Prompt | None = None
    goto: Ref | None = None
    max_seconds: int = default("voicemail", "max_seconds")
    kind = "voicemail"

    def exits(self):
        return (self.goto,)


@dataclass(frozen=True)
class Callback(Step):
    prompt: Prompt | None = None
    goto: Ref | None = None
    kind = "callback"

    def exits(self):
        return (self.goto,)


@dataclass(frozen=True)
class Goodbye(Step):
    prompt: Prompt | None = None
    kind = "goodbye"


#: Steps where a person comes on the line.
HUMAN_STEPS = (Connect, BackupLine)
#: Steps whose answer call control decides at the moment (who is free, how long they waited):
#: never served from a cache.
PERSON_STEPS = (Connect, Queue, BackupLine)
#: Steps that wait for the caller (or for a person) before going on.
WAITING_STEPS = (Menu, Queue, Connect, BackupLine, Voicemail, Callback, Goodbye)


@dataclass(eq=False)
class FlowSet:
    """Every flow of a directory, checked and ready to play."""
    languages: tuple
    start: Ref
    fallback: Ref
    everywhere: tuple
    steps: dict                   # Ref -> Step
    prompts: dict                 # (flow, name) -> Prompt
    messages: dict = field(default_factory=dict)   # name -> Message
    version: str = ""
    # Where `everywhere:` is written in main.yaml (file, line, column): a problem of the whole
    # block, such as its choice for a person gone, is reported there.
    everywhere_at: tuple = ("", 0, 0)

    @property
    def default_language(self) -> str:
        return self.languages[0].code

    def language(self, code: str) -> Language:
        for language in self.languages:
            if language.code == code:
                return language
        return self.languages[0]

    def language_of_line(self, dialled: str) -> str:
        """The language a call starts in: the one whose own number was dialled, else the first."""
        for language in self.languages:
            if dialled and dialled in language.numbers:
                return language.code
        return self.default_language

    @functools.cached_property
    def number_words(self) -> dict:
        """Every language's words for the keys 0 to 9 ('two', 'dos' -> '2'): a number said alone
        is a key press in any of them."""
        return {normalize(word): str(key) for language in self.languages
                for key, word in enumerate(language.digits)}

    def step(self, ref: Ref) -> Step | None:
        return self.steps.get(ref)
