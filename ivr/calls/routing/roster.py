"""The roster staff edit in flows/roster.yaml: professionals, their shifts, the backup line.

Read with the flows' located YAML reader and checked the same way, so `ivr check` explains a
mistyped phone number or shift with file, line and column.
"""
from __future__ import annotations

import datetime
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path


from ...yamlfile.weekly import read_weekly
from ...numbers import e164
from ...yamlfile.fields import Fields
from ...yamlfile.live import Live, stat_fingerprint
from ...yamlfile.problems import Problem
from ...yamlfile.source import Mapping, read_yaml

ROSTER_FILE = "roster.yaml"
STRATEGIES = ("simultaneous", "longest-idle")
TOP_FIELDS = ("timezone", "caller_id", "backup_line", "ringing", "professionals", "note")
PERSON_FIELDS = ("id", "name", "phone", "languages", "teams", "timezone", "shifts", "time_off", "note")
SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Professional:
    id: str                       # a short stable name: 'ana-rivera'
    name: str
    phone: str                    # E.164
    languages: frozenset
    teams: frozenset
    timezone: str
    shifts: tuple                 # ((weekday 0=Monday, start minute, end minute), ...) local time
    time_off: frozenset           # local dates


@dataclass(frozen=True)
class BackupLine:
    name: str
    number: str
    languages: frozenset
    pass_caller_id: bool = False  # show the caller's own number there (a partner line that calls back)


@dataclass(frozen=True)
class Ringing:
    strategy: str = "simultaneous"
    ring_seconds: int = 20        # per attempt
    attempts: int = 3             # longest-idle: people tried in turn
    check_after_minutes: int = 5  # a leg with no news for this long: ask Twilio how it is
    machine_detection: bool = False   # Twilio's answering-machine detection on each leg
    calls_per_second: int = 1     # the account's CPS: legs are placed no faster (Twilio's default is 1)


@dataclass(eq=False)
class Roster:
    professionals: tuple
    backup_line: BackupLine
    ringing: Ringing = field(default_factory=Ringing)
    timezone: str = "UTC"
    caller_id: str = ""           # what professionals' phones show; "" = the number the caller dialled

    def by_id(self, professional_id: str) -> Professional | None:
        return self._ids().get(professional_id)

    def by_phone(self, number: str) -> Professional | None:
        return self._phones().get(number)

    def _ids(self):
        if not hasattr(self, "_id_index"):
            self._id_index = {p.id: p for p in self.professionals}
        return self._id_index

    def _phones(self):
        if not hasattr(self, "_phone_index"):
            self._phone_index = {p.phone: p for p in self.professionals}
        return self._phone_index

    @property
    def teams(self) -> frozenset:
        return frozenset(team for p in self.professionals for team in p.teams)


def slug(name: str) -> str:
    """'Tomás Reyes' -> 'tomas-reyes': the id a professional gets unless the roster names one."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if not unicodedata.combining(c))
    return SLUG.sub("-", plain).strip("-")


def load_roster(path, languages: tuple | None = None) -> tuple:
    """(Roster or None, problems) from a roster file."""
    path = Path(path)
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(label, 1, 1, "", f"cannot be read: {error}")]
    tree, problems = read_yaml(text, label)
    if tree is None:
        return None, problems
    roster = RosterReader(label, problems, languages).read(tree)
    return (None if any(p.is_error for p in problems) else roster), problems


class RosterReader:
    def __init__(self, file: str, problems: list, languages: tuple):
        self.file, self.problems, self.languages = file, problems, languages

    def read(self, tree) -> Roster:
        top = Fields(tree, "", self.file, self.problems, TOP_FIELDS)
        top.check_unknown()
        timezone = self.zone(top, top.text("timezone", default="UTC")) or "UTC"
        caller_id = self.phone(top, "caller_id", "") if top.has("caller_id") else ""
        backup = self.read_backup(top)
        ringing = self.read_ringing(top)
        people, seen_ids, seen_phones = [], {}, {}
        for item in top.listing("professionals"):
            person = self.read_person(item, timezone)
            if person is None:
                continue
            for index, value, what in ((seen_ids, person.id, "id"), (seen_phones, person.phone, "phone")):
                if value in index:
                    self.problems.append(Problem(self.file, item.line, item.column, f"professional '{person.name}'",
                                                 f"has the same {what} as '{index[value]}'",
                                                 "each professional needs their own"))
                index[value] = person.name
            people.append(person)
        if not top.has("professionals"):
            top.missing("professionals", "list the recovery professionals who take calls")
        return Roster(tuple(people), backup, ringing, timezone, caller_id)

    def zone(self, fields: Fields, name: str) -> str | None:
        if not name:
            return None
        try:
            zoneinfo.ZoneInfo(name)
            return name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            node = fields.raw("timezone")
            fields.report(node if node is not None else fields.node, f"{name!r} is not a time zone",
                          "use a name like America/New_York or America/Los_Angeles")
            return None

    def phone(self, fields: Fields, key: str, why: str) -> str:
        text = fields.text(key, required=why)
        if not text:
            return ""
        number = e164(text)
        if number is None:
            fields.report(fields.raw(key), f"{text!r} is not a phone number that can be dialled",
                          'write it with its country code, e.g. "+12025550123"')
            return ""
        return number

    def language_list(self, fields: Fields, key: str) -> frozenset:
        found = set()
        for node in fields.listing(key):
            code = fields.text_of(node, "a language")
            if code and self.languages and code not in self.languages:
                fields.report(node, f"{code!r} is not one of the flows' languages",
                              "use " + ", ".join(self.languages))
            elif code:
                found.add(code)
        return frozenset(found)

    def read_backup(self, top: Fields) -> BackupLine:
        fields = top.sub("backup_line", "backup_line", ("name", "number", "languages", "pass_caller_id", "note"))
        if fields is None:
            top.missing("backup_line", "name a line that answers when nobody here can, e.g. a national helpline")
            return BackupLine("", "", frozenset())
        fields.check_unknown()
        return BackupLine(fields.text("name", required="say whose line it is"),
                          self.phone(fields, "number", "give its number"),
                          self.language_list(fields, "languages") or frozenset(self.languages or ()),
                          fields.flag("pass_caller_id"))

    def read_ringing(self, top: Fields) -> Ringing:
        fields = top.sub("ringing", "ringing", ("strategy", "ring_seconds", "attempts", "check_after_minutes",
                                                "machine_detection", "calls_per_second", "note"))
        if fields is None:
            return Ringing()
        fields.check_unknown()
        strategy = fields.text("strategy", default="simultaneous")
        if strategy not in STRATEGIES:
            fields.report(fields.raw("strategy"), f"{strategy!r} is not a ringing strategy",
                          "use simultaneous (everyone at once) or longest-idle (one by one)")
            strategy = "simultaneous"
        return Ringing(strategy, fields.integer("ring_seconds", 20, 5, 120), fields.integer("attempts", 3, 1, 10),
                       fields.integer("check_after_minutes", 5, 1, 60), fields.flag("machine_detection"),
                       fields.integer("calls_per_second", 1, 1, 100))

    def read_person(self, node, default_zone: str) -> Professional | None:
        probe = Fields(node, "professional", self.file, self.problems, PERSON_FIELDS)
        if not isinstance(node, Mapping):
            return None
        name = probe.text("name", required="give their name")
        fields = Fields(node, f"professional '{name or '?'}'", self.file, self.problems, PERSON_FIELDS)
        fields.check_unknown()
        person_id = fields.name("id") or slug(name)
        phone = self.phone(fields, "phone", "give the number to ring")
        languages = self.language_list(fields, "languages")
        if not languages and isinstance(node, Mapping):
            fields.missing("languages", "list the languages they take calls in, e.g. [en, es]")
        teams = frozenset(t for t in (fields.text_of(n, "a team") for n in fields.listing("teams")) if t)
        timezone = (self.zone(fields, fields.text("timezone")) if fields.has("timezone") else default_zone) or "UTC"
        return Professional(person_id, name, phone, languages, teams or frozenset({"recovery"}), timezone,
                            self.read_shifts(fields), self.read_time_off(fields))

    def read_shifts(self, fields: Fields) -> tuple:
        group = fields.sub("shifts", fields.where, ())
        if group is None:
            fields.missing("shifts", 'say when they take calls, e.g. mon-fri: "08:00-16:00"')
            return ()
        return read_weekly(group, "08:00-16:00")

    def read_time_off(self, fields: Fields) -> frozenset:
        days = set()
        for item in fields.listing("time_off"):
            if isinstance(item, Mapping):
                span = Fields(item, fields.where, self.file, self.problems, ("from", "to", "note"))
                span.check_unknown()
                start = span.date(span.raw("from"), "'from'") if span.has("from") else None
                end = span.date(span.raw("to"), "'to'") if span.has("to") else None
                if start is None or end is None or end < start:
                    span.report(item, "time off needs 'from' and 'to' dates, 'to' not before 'from'")
                    continue
                if (end - start).days > 366:
                    span.report(item, "time off longer than a year", "remove them from the roster instead")
                    continue
                days.update(start + datetime.timedelta(days=i) for i in range((end - start).days + 1))
            else:
                day = fields.date(item, "a day off")
                if day:
                    days.add(day)
        return frozenset(days)


def live_roster(path, flows, check_every: float = 2.0):
    """The roster a running helpline uses, reloaded when staff save it (last good one kept), and
    checked against the languages of the flows being played (a language added there is one the
    roster may name)."""

    def languages() -> tuple:
        current = flows.current()
        return tuple(language.code for language in current.languages) if current else ()

    return Live(f"roster {path}", lambda: load_roster(path, languages() or None),
                lambda: (stat_fingerprint(path), languages()), check_every)
