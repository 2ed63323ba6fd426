"""How the staff pages put things into words: language names, waits, times on the roster's clock."""
from __future__ import annotations

from babel import Locale, UnknownLocaleError

from .blueprint import blueprint


@blueprint.app_template_filter("language_name")
def language_name(code: str) -> str:
    """'es' -> 'Spanish'; a code Babel does not know stays as it is."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en").split(" (")[0].capitalize()
    except (UnknownLocaleError, ValueError, TypeError):
        return code


@blueprint.app_template_filter("duration")
def duration(seconds) -> str:
    """42 -> '0:42', 3725 -> '1:02:05'; None -> '–'."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
