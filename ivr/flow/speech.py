"""Matches what a caller said against the words a menu listens for, in any language."""
from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def normalize(text: str) -> str:
    """Lower case, accents dropped, punctuation gone: 'Mioclonía!' -> 'mioclonia'."""
    plain = text.lower()
    if not plain.isascii():        # only then are there accents to drop (a fast path for most words)
        decomposed = unicodedata.normalize("NFKD", plain)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def contains_phrase(spoken_words: list, phrase: str) -> bool:
    part = normalize(phrase).split()
    if not part:
        return False
    n = len(part)
    return any(spoken_words[i:i + n] == part for i in range(len(spoken_words) - n + 1))


def spoken_key(spoken_words: list, number_words: dict) -> str | None:
    """'two' or 'dos' or '2' alone is a key press said out loud. `number_words`: each language's
    words for 0 to 9 (the flows' `digits:`), normalised -> the key."""
    if len(spoken_words) == 1:
        word = spoken_words[0]
        if word in number_words:
            return number_words[word]
        if len(word) == 1 and word in "0123456789":
            return word
    return None
