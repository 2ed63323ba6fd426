"""How long a hold page lasts and what it says of the wait: timed so the page ends when the wait
does, not a song later."""
from __future__ import annotations

import functools
import math
import wave

from .routing import why_nobody

#: While phones ring (a connect step) the caller hears a ringing tone, and the page is asked for
#: again every few seconds, so a round that ends with nobody is noticed at once.
RINGING = "ringing.wav"

#: What a caller on hold is told of why nobody is free now (call control's reason): a message each.
WHY_MESSAGES = {
    why_nobody.ALL_ON_CALLS: "hold-all-on-calls",
    why_nobody.NOT_ANSWERING: "hold-not-answering",
    why_nobody.ALL_AWAY: "hold-not-answering",
    why_nobody.NOBODY_SPEAKS: "hold-nobody-speaks",
    why_nobody.NOBODY_ON_SHIFT: "hold-nobody-on-shift",
}


@functools.lru_cache(maxsize=32)
def seconds_of(path) -> float:
    """How long a WAV recording plays (30 s when it cannot be read: an MP3, a missing file)."""
    try:
        with wave.open(str(path)) as recording:
            return recording.getnframes() / recording.getframerate()
    except (OSError, wave.Error, EOFError):
        return 30.0


def spoken_seconds(text: str) -> float:
    """About how long text-to-speech takes to say `text` (two and a half words a second)."""
    return len(text.split()) / 2.5


def until_the_wait_ends(remaining: float, said: tuple, music: str, song: float) -> tuple:
    """(what is said, music or None, seconds of silence after it or None) for a page on a queue step.

    What is said first takes time, and so does what the next page would say before its song. When
    the next page could not say it before the wait ends, this page is the last: its song if it
    fits, then silence until the end; a page asked for in the last moments says nothing, so the
    caller is not held a whole page past the wait."""
    speaking = sum(spoken_seconds(u.text) for u in said)
    if remaining < speaking:
        return (), None, math.ceil(remaining)
    left = math.ceil(remaining - speaking)
    if left >= song + speaking + 5:
        return said, music, None
    if left >= song + 1:
        return said, music, math.ceil(left - song)
    return said, None, left
