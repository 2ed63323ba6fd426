"""The answer of last resort: connect the caller to the backup line, needing no database.

Served at /voice/fallback (Twilio's fallback URL) and whenever a voice request fails unexpectedly.
What it says comes from the last flows that loaded well (the `something-went-wrong` and
`could-not-connect` messages, in every language); with none at all, the caller is put through
without a word rather than not at all.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from . import engine, twiml

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def backup_line_twiml(backup_line: str, flows=None) -> str:
    if flows is not None:
        try:
            return twiml.backup_line(backup_line, engine.message_in_every_language(flows, "something-went-wrong"),
                                     engine.message_in_every_language(flows, "could-not-connect"), flows)
        except Exception:       # noqa: BLE001 — whatever broke, the caller still reaches a person
            log.exception("the backup line's words could not be rendered; putting the caller through without them")
    return twiml.backup_line(backup_line, (), (), None)


def hang_up_twiml() -> str:
    """After a conversation with a person has ended."""
    return twiml.hang_up()
