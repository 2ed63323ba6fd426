"""How the staff pages put things into words: language names, waits, times on the roster's clock."""
from __future__ import annotations

import datetime

from ... import notices
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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")
