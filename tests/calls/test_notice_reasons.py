"""Why nobody was texted about a voicemail or a callback, as the log says it to a lead."""
import datetime
import zoneinfo
from pathlib import Path

from ivr.calls.notices import on_shift_for, why_nobody_on_shift
from ivr.calls.routing.roster import load_roster

ROSTER = Path(__file__).resolve().parents[2] / "flows" / "roster.yaml"
#: Wednesday 10:00 in New York: Ana Rivera (en, es), Marisol Peña (es, en) and Ben Carter (en).
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


def test_the_reason_nobody_was_texted_names_what_a_lead_can_change():
    roster, _ = load_roster(ROSTER)
    everyone_away = frozenset({"ana-rivera", "marisol-pena", "ben-carter"})

    assert on_shift_for(roster, "es", everyone_away, WEDNESDAY_10AM) == []
    assert why_nobody_on_shift(roster, "es", everyone_away, WEDNESDAY_10AM) == \
        "everyone on shift who speaks es has set themselves away"
    assert why_nobody_on_shift(roster, "fr", frozenset(), WEDNESDAY_10AM) == "no one on shift now speaks fr"
