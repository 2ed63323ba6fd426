"""How the staff pages put things into words: language names, waits, how long something is owed,
times on the roster's clock."""
from __future__ import annotations

import datetime

from ...calls import notices
from .blueprint import blueprint


@blueprint.app_template_filter("language_name")
def language_name(code: str) -> str:
    """'es' -> 'Spanish', as the texts about voicemails say it (notices.language_name)."""
    return notices.language_name(code)


@blueprint.app_template_filter("duration")
def duration(seconds) -> str:
    """42 -> '0:42', 3725 -> '1:02:05'; None -> '–'."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@blueprint.app_template_filter("local")
def local(moment, zone) -> str:
    """A stored moment on the roster's clock: 'Wed 25 Nov 10:02'. SQLite's come back naive (UTC)."""
    if moment is None:
        return "–"
    return _aware(moment).astimezone(zone).strftime("%a %d %b %H:%M")


def how_long(seconds: float) -> str:
    """A wait in the words a person says: 40 -> 'under a minute', 7800 -> '2 h 10 min',
    93600 -> '1 day 2 h'."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return "under a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@blueprint.app_template_filter("since")
def since(moment, now) -> str:
    """How long ago `moment` was at `now`, as how_long says it; SQLite's moments come back naive (UTC)."""
    if moment is None:
        return "–"
    return how_long((now - _aware(moment)).total_seconds())


def _aware(moment: datetime.datetime) -> datetime.datetime:
    """SQLite gives stored moments back naive; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)


#: How a try to call a caller back went (callbacks.last_outcome), in words.
TRY_WORDS = {"reached": "talked with them", "voicemail": "their voicemail", "no-answer": "no answer",
             "busy": "busy", "failed": "the call did not go through", "unconfirmed": "not known"}


@blueprint.app_template_filter("try_words")
def try_words(outcome: str | None) -> str:
    return TRY_WORDS.get(outcome or "", outcome or "not known")
