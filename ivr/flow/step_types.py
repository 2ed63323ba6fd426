"""What each step type is made of — its fields, their types, defaults, limits and help — declared
once, as data. The builder reads steps by it, the model takes its defaults from it, flows/README.md
shows its table, and `ivr schema` turns it into a JSON Schema, so an editor such as VS Code can
complete fields and underline mistakes while staff type.
"""
from __future__ import annotations

from dataclasses import dataclass

#: Where a JSON Schema of the flows is published beside them (named on each file's first line).
SCHEMA_FILE = "flows.schema.json"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str              # text | name | step | prompt | whole | flag | key | options | weekly | dates
    help: str
    required: bool = False
    default: object = None
    low: int | None = None
    high: int | None = None
    menu_default: bool = False     # may be set once for every menu, under defaults.menu


@dataclass(frozen=True)
class StepType:
    name: str
    does: str              # what the caller hears and does, for the README's table
    fields: tuple

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> tuple:
        return tuple(f.name for f in self.fields)


PROMPT = Field("prompt", "prompt", "what the caller hears: a prompt's name, or its text in each language", True)
GOTO = Field("goto", "step", "the step that comes next", True)
EVERY_LANGUAGE = Field("every_language", "flag", "say the prompt in each language in turn (before a language "
                       "is chosen)", default=False)
TEAM = Field("team", "name", "the team whose professionals take the call, e.g. recovery", True)
MENU = (
    PROMPT,
    Field("options", "options", "the choices: each a key and/or words, and where it goes", True),
    Field("back", "step", "where back_key leads"),
    EVERY_LANGUAGE,
    Field("timeout", "whole", "seconds of silence before the caller is asked again", default=6, low=1, high=60,
          menu_default=True),
    Field("tries", "whole", "wrong keys or silences before after_tries", default=3, low=1, high=10,
          menu_default=True),
    Field("after_tries", "step", "where a caller goes after that many tries: a person", menu_default=True),
    Field("repeat_key", "key", "the key that plays the menu again", default="*", menu_default=True),
    Field("back_key", "key", "the key that goes back, where the menu has 'back'", default="9", menu_default=True),
    Field("when_invalid", "prompt", "said after a key that is not a choice", menu_default=True),
    Field("when_silent", "prompt", "said when the caller says nothing", menu_default=True),
)

STEP_TYPES = {t.name: t for t in (
    StepType("say", "hears a prompt, then goes on", (
        PROMPT, GOTO,
        Field("pause", "whole", "seconds of quiet after it", default=0, low=0, high=30),
        EVERY_LANGUAGE)),
    StepType("menu", "hears a prompt and answers with a key or a few words", MENU),
    StepType("language", "chooses the language for the rest of the call (each option has `language:`)",
             MENU + (Field("goto", "step", "where a choice leads when its option has no goto"),)),
    StepType("hours", "nothing: the call takes one way when the line is open and another when it is closed", (
        Field("timezone", "text", "the line's time zone, e.g. America/New_York", True),
        Field("open", "weekly", "when the line is open, e.g. mon-fri: \"08:00-20:00\"", True),
        Field("holidays", "dates", "days it is closed all day, e.g. [2026-12-25]"),
        Field("if_open", "step", "where the call goes while the line is open", True),
        Field("if_closed", "step", "where the call goes while it is closed", True))),
    StepType("connect", "hears a ringing tone while the professionals free for them are called; the first "
             "to press 1 talks with them", (
                 PROMPT, TEAM,
                 Field("if_nobody_answers", "step", "where the call goes when nobody takes it", True),
                 Field("ring_seconds", "whole", "how long phones ring", default=20, low=5, high=120))),
    StepType("queue", "waits on hold: place in line, music, keys; offered to the next professional who is "
             "free; after `max_wait` (counted from their first ask for a person) goes to `overflow`", (
                 Field("prompt", "prompt", "said once, as the caller starts to wait", True),
                 TEAM,
                 Field("offer", "prompt", "said between stretches of music: the keys they may press"),
                 Field("options", "options", "keys that leave the line: a voicemail, a call back"),
                 Field("overflow", "step", "where the call goes when the wait is too long", True),
                 Field("max_wait", "whole", "seconds a caller waits at most", default=600, low=30, high=3600),
                 Field("music", "text", "the hold music, a file in audio/music/", default="hold.wav"),
                 Field("listen_for_words_during_music", "flag",
                       "also listen for spoken words while the music plays, not only while the choices are "
                       "said (speech recognition is billed for the whole wait, and noise restarts the music)"))),
    StepType("backup-line", "is connected to the backup line (a partner center)", (
        PROMPT,
        Field("if_unanswered", "prompt", "said when the partner line does not answer, before the caller is "
              "back with our own people"))),
    StepType("voicemail", "leaves a recorded message", (
        Field("prompt", "prompt", "say that the message is recorded", True),
        GOTO,
        Field("max_seconds", "whole", "the longest message, in seconds", default=120, low=10, high=600))),
    StepType("callback", "asks for a call back and types their number", (PROMPT, GOTO)),
    StepType("goodbye", "hears a last prompt and the call ends", (PROMPT,)),
)}

COMMON = ("type", "note")
MENU_DEFAULT_FIELDS = tuple(f.name for f in MENU if f.menu_default)


def fields_of(step_type: str) -> tuple:
    """Every field a step of this type may have, as staff write them."""
    return COMMON + STEP_TYPES[step_type].names


def default(step_type: str, field: str):
    return STEP_TYPES[step_type].field(field).default


def markdown_table() -> str:
    """The step table of flows/README.md."""
    rows = ["| type | what the caller hears and does | fields |", "| --- | --- | --- |"]
    for step in STEP_TYPES.values():
        required = [f"`{f.name}`" for f in step.fields if f.required]
        optional = [f"`{f.name}`" for f in step.fields if not f.required]
        listed = ", ".join(required) + (", optional " + ", ".join(optional) if optional else "")
        rows.append(f"| `{step.name}` | {step.does} | {listed} |")
    return "\n".join(rows) + "\n"
