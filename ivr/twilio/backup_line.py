"""The answer of last resort: connect the caller to the backup line, needing no database.

Served at /voice/fallback (Twilio's fallback URL) and whenever a voice request fails unexpectedly.
What it says is the flows' own `something-went-wrong` and `could-not-connect` messages, in every
language: from the last flows that loaded well or, when none ever did (a helpline started on a
broken edit), read leniently from main.yaml alone. With no words to be found at all, the caller is
put through without them rather than not at all.
"""
from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

import yaml

from ..calls import engine
from . import twiml
from ..flow import model

log = logging.getLogger(__name__)
WORDS = ("something-went-wrong", "could-not-connect")


@lru_cache(maxsize=8)
def backup_line_twiml(backup_line: str, flows=None) -> str:
    if flows is not None:
        try:
            return twiml.backup_line(backup_line, engine.message_in_every_language(flows, WORDS[0]),
                                     engine.message_in_every_language(flows, WORDS[1]), flows)
        except Exception:       # noqa: BLE001 — whatever broke, the caller still reaches a person
            log.exception("the backup line's words could not be rendered; putting the caller through without them")
    return twiml.backup_line(backup_line, (), (), None)


def words_from(flows_dir) -> model.FlowSet | None:
    """Just the languages and the backup line's two messages of main.yaml, read without the
    validator, for a helpline that has never had good flows. None if they cannot be read."""
    path = Path(flows_dir) / "main.yaml"
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _words(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _words(path: str, _mtime: int, _size: int) -> model.FlowSet | None:
    try:
        with open(path, encoding="utf-8") as file:
            main = yaml.safe_load(file)
        languages = tuple(model.Language(code, str(fields.get("name", code)), str(fields["voice"]),
                                         str(fields["speech"]))
                          for code, fields in main["languages"].items())
        messages = {name: model.Message(name, tuple((code, (("other", str(text)),))
                                                     for code, text in main["messages"][name].items()
                                                     if isinstance(text, str)))
                    for name in WORDS}
    except Exception:           # noqa: BLE001 — a broken file means no words, never no answer
        return None
    if not languages:
        return None
    return model.FlowSet(languages=languages, start=None, fallback=None, everywhere=(), steps={},
                         prompts={}, messages=messages)


def hang_up_twiml() -> str:
    """After a conversation with a person has ended."""
    return twiml.hang_up()
