"""Nobody misses a voicemail or a callback: the professionals on shift for its language are texted
at once, and one still owed after a while is escalated to the leads. Plain Python, off the caller's
request: a thread of its own, woken when something arrives and every SWEEP_SECONDS otherwise.

A text holds no caller number and no words of the message, only what it is, the language, and a
link to the staff pages: "New voicemail (Spanish, 0:42). Open: https://…/staff/voicemails/7".

Twilio's answer to a text only says it is queued: a text blocked on its way (a toll-free number
not verified) comes back later as failed or undelivered through its status callback (web/
message_status.py). Such a notice is said instead, in a short call to the same person from the
same number ("A new voicemail is waiting on the staff pages"), placed once by whichever instance
sweeps first.
"""
from __future__ import annotations

import datetime
import logging
import threading
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from sqlalchemy.exc import SQLAlchemyError

from ..store.presence import Presence
from .routing.shifts import ShiftIndex
from .routing.why_nobody import NOBODY_ON_SHIFT, NOBODY_SPEAKS, why_nobody_free
from ..twilio.rest import TwilioUnavailable
from .follow_up import delete_recording
from .links import Links

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30.0
KINDS = ("voicemail", "callback")
PAGES = {"voicemail": "voicemails", "callback": "callbacks"}


def language_name(code: str) -> str:
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en").split(" (")[0].capitalize()
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def minutes_seconds(seconds) -> str:
    seconds = int(seconds or 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def text_for(kind: str, row, link: str, waited_minutes: int | None = None) -> str:
    """The SMS: what it is, its language (and a voicemail's length), the link. Nothing else."""
    language = language_name(row.language)
    if waited_minutes is not None:
        what = "Voicemail" if kind == "voicemail" else "Callback request"
        return f"{what} waiting {waited_minutes} min, not handled ({language}). Open: {link}"
    if kind == "voicemail":
        return f"New voicemail ({language}, {minutes_seconds(row.duration_seconds)}). Open: {link}"
    return f"New callback request ({language}). Open: {link}"


#: What the call made instead of an undelivered text says, a message of the flows by kind.
CALL_MESSAGES = {"voicemail": "notice-voicemail-call", "callback": "notice-callback-call"}
#: Where Twilio reports each text's status, and fetches what the call instead says.
STATUS_PATH, CALL_PATH = "/sms/status", "/sms/notice-call"


def on_shift_for(roster, language: str, away: frozenset, now: datetime.datetime) -> list:
    """The professionals on shift now who speak `language` and are not away."""
    index = ShiftIndex(roster.professionals)
    return [index.people[i] for i in index.on_shift(now)
            if language in index.people[i].languages and index.people[i].id not in away]


def why_nobody_on_shift(roster, language: str, away: frozenset, now: datetime.datetime) -> str:
    """Why on_shift_for found nobody, as a lead would want to read it in the log."""
    why = why_nobody_free(ShiftIndex(roster.professionals), Presence(away=away), language, now)
    if why == NOBODY_ON_SHIFT:
        return "no one is on shift now"
    if why == NOBODY_SPEAKS:
        return f"no one on shift now speaks {language}"
    return f"everyone on shift who speaks {language} has set themselves away"


class Notices:
    def __init__(self, owed, roster, accounts, presence, api, clock, escalate_after: datetime.timedelta,
                 texts=None, problems=None):
        self.owed, self.roster, self.accounts, self.presence = owed, roster, accounts, presence
        self.api, self.clock, self.escalate_after = api, clock, escalate_after
        self.texts, self.problems = texts, problems      # store.notice_texts, store.twilio_problems
        self.base_url = ""
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def soon(self, base_url: str) -> None:
        """Something arrived: send its notice now, from the notices thread."""
        self.base_url = base_url or self.base_url
        self._start()
        self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="notices", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(SWEEP_SECONDS)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.sweep()
            except SQLAlchemyError as error:      # the database is away: the next sweep tries again
                log.warning("could not send notices now: %s", error.__class__.__name__)
            except Exception:
                log.exception("the notices sweep failed; it runs again in %ss", SWEEP_SECONDS)

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the sweep -------------------------------------------------------------------------------
    def sweep(self) -> int:
        """Send every notice due now; the number of texts sent."""
        roster = self.roster.current()
        if roster is None or not self.api.configured or not self.base_url:
            return 0
        now = self.clock()
        self.delete_handled_recordings(now)
        away = self.presence.snapshot(now).away
        sent = 0
        for kind in KINDS:
            for row in self.owed.not_notified(kind):
                if self.owed.notified(kind, row.id, now):       # this instance sends it, no other
                    people = on_shift_for(roster, row.language, away, now)
                    why = "" if people else why_nobody_on_shift(roster, row.language, away, now)
                    people = people or self.lead_people(roster)
                    texted = self._send(people, text_for(kind, row, self.link(kind, row.id)), roster, row, kind,
                                        f"{why}, and no lead has a phone on the roster")
                    if not texted:
                        self.owed.not_notified_after_all(kind, row.id)     # the next sweep tries again
                    sent += texted
            for row in self.owed.overdue(kind, self.escalate_after, now):
                if self.owed.escalated(kind, row.id, now):
                    minutes = int(self.escalate_after.total_seconds() // 60)
                    sent += self._send(self.lead_people(roster),
                                       text_for(kind, row, self.link(kind, row.id), minutes), roster, row, kind,
                                       "no lead has a phone on the roster")
        self.call_instead_of_undelivered_texts(now)
        return sent

    def call_instead_of_undelivered_texts(self, now) -> int:
        """Each notice Twilio reported failed or undelivered is said in a short call to the same
        person; the number of calls placed. A call Twilio refuses (4xx: e.g. 21210, a From that
        is not the account's) would be refused again: it is recorded for the leads, not retried."""
        if self.texts is None:
            return 0
        placed = 0
        for row in self.texts.to_call_instead():
            if not self.texts.call_claimed(row.message_sid, now):
                continue                                    # another instance calls
            if not self._still_owed(row.kind, row.item_id):
                continue                                    # handled meanwhile: nothing to say
            url = f"{self.base_url}{CALL_PATH}?{urlencode({'kind': row.kind, 'language': row.language})}"
            try:
                call_sid = self.api.call_to_say(row.phone, row.from_number, url,
                                                fallback_url=Links(self.base_url).apology(row.language))
            except TwilioUnavailable as error:
                if error.status is not None and 400 <= error.status < 500:
                    log.error("Twilio refused the call instead of an undelivered %s notice: %s", row.kind, error)
                    self._problem("notice-call-refused", error.code,
                                  f"the call made instead of an undelivered {row.kind} notice", now)
                else:
                    log.warning("could not place the call instead of an undelivered %s notice yet: %s", row.kind, error)
                    self.texts.call_not_placed_after_all(row.message_sid)
                continue
            self.texts.call_placed(row.message_sid, call_sid)
            log.info("a %s notice was not delivered as a text: said in a call instead", row.kind)
            placed += 1
        return placed

    def _still_owed(self, kind: str, item_id) -> bool:
        if kind == "voicemail":
            row = self.owed.voicemail(item_id)
            return row is not None and row.handled_at is None
        row = self.owed.callback(item_id)
        return row is not None and row.status == "pending"

    def _problem(self, kind: str, code, detail: str, now) -> None:
        if self.problems is not None:
            self.problems.record(kind, code, detail, now)

    def delete_handled_recordings(self, now) -> None:
        """A handled voicemail's recording whose delete at Twilio failed is tried again here, as the
        Voicemails page promised. One that is not this account's can never be deleted by us: said once."""
        for row in self.owed.recordings_to_delete():
            delete_recording(self.owed, self.api, row, now)

    def link(self, kind: str, item_id: int) -> str:
        return f"{self.base_url}/staff/{PAGES[kind]}/{item_id}"

    def lead_people(self, roster) -> list:
        """Leads linked to a roster entry (the roster has their phone)."""
        people = []
        for member in self.accounts.everyone():
            person = roster.by_id(member.professional_id) if member.is_lead and member.professional_id else None
            if person is not None:
                people.append(person)
        return people

    def lead_phones(self, roster) -> list:
        return [person.phone for person in self.lead_people(roster)]

    def _send(self, people: list, body: str, roster, row, kind: str, nobody_because: str) -> int:
        """Text `people`; how many texts went. `nobody_because`: why `people` is empty, if it is."""
        sender = roster.caller_id or getattr(row, "helpline_number", "")
        phones = [person.phone for person in people]
        if not phones or not sender:
            log.error("nobody could be texted about a %s in %s: %s", kind, row.language,
                      nobody_because if not phones else "no helpline number to text from")
            return 0
        sent = 0
        status_callback = f"{self.base_url}{STATUS_PATH}"
        for person in {person.phone: person for person in people}.values():
            try:
                message_sid = self.api.send_sms(person.phone, sender, body, status_callback=status_callback)
            except TwilioUnavailable as error:
                log.error("could not text a professional about a %s in %s: %s", kind, row.language, error)
                continue
            sent += 1
            if self.texts is not None:
                # "queued": what a Message made without a Messaging Service starts as
                # (https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks).
                self.texts.sent(message_sid, kind, row.id, person.phone, sender,
                                spoken_language(person, row.language), "queued", self.clock())
        return sent


def spoken_language(person, language: str) -> str:
    """The language the call instead of a text speaks: the caller's when this person speaks it
    (they were chosen for it), otherwise one they speak (a lead texted about any language)."""
    languages = sorted(getattr(person, "languages", ()) or ())
    return language if language in languages or not languages else languages[0]
