"""Whether Twilio will place calls from the numbers professionals' phones show (the roster's
caller_id, or each helpline number when it has none): asked of Twilio at most once every few
minutes, however often /readyz is probed, and kept as one line of words."""
from __future__ import annotations

import datetime
import threading

from .rest import TwilioUnavailable
from .number_setup import caller_id_problem

CHECK_EVERY = datetime.timedelta(minutes=5)


class CallerIdCheck:
    def __init__(self, api, roster, flows, clock, every: datetime.timedelta = CHECK_EVERY):
        self.api, self.roster, self.flows, self.clock, self.every = api, roster, flows, clock, every
        self._lock = threading.Lock()
        self._state: str | None = None
        self._at: datetime.datetime | None = None

    def state(self) -> str:
        """'ok', or what is wrong, or 'unknown (…)'; as of at most `every` ago."""
        with self._lock:
            now = self.clock()
            if self._state is None or self._at is None or now - self._at >= self.every:
                self._state, self._at = self._ask(), now
            return self._state

    def _numbers(self) -> list:
        roster = self.roster.current()
        if roster is not None and roster.caller_id:
            return [("the roster's caller_id", roster.caller_id)]
        flows = self.flows.current()
        numbers = [number for language in (flows.languages if flows else ()) for number in language.numbers]
        return [("the helpline number", number) for number in dict.fromkeys(numbers)]

    def _ask(self) -> str:
        if not self.api.configured:
            return "not checked (no Twilio credentials)"
        numbers = self._numbers()
        if not numbers:
            return "ok (calls go from the number each caller dialled, a number of the account)"
        try:
            problems = [p for p in (caller_id_problem(self.api, number, what) for what, number in numbers) if p]
        except TwilioUnavailable as error:
            return f"unknown (Twilio could not be asked: {error})"
        return "; ".join(problems) or "ok"
