"""Callback tries whose <Dial> to the caller nobody told us the end of, settled by asking Twilio.

Twilio requests a <Dial>'s action URL "when the <Dial> call ends" and continues the call with its
answer (https://www.twilio.com/docs/voice/twiml/dial); the page does not say whether it does so
when the professional, the parent call, has hung up first. When their leg ends with no word of
the dial, the try is counted 'unconfirmed' at once, and then the call the <Dial> placed is read
from Twilio (the Calls list filtered by ParentCallSid, ivr/twilio/rest.py): its status and
duration settle the try exactly as DialCallStatus and DialCallDuration would have.

Off the webhook's thread: a thread of its own, woken when a leg ends and running every
CHECK_SECONDS while a try is still unheard of, so a Twilio out of reach is asked again on the next
sweep. The database keeps which tries are owed an answer, so nothing is lost between sweeps.
"""
from __future__ import annotations

import datetime
import logging
import threading
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from ..store.callback_tries import CallbackTries
from ..twilio.rest import TwilioApi, TwilioUnavailable
from ..twilio.statuses import FINAL_STATUSES

log = logging.getLogger(__name__)
#: How often Twilio is asked again while a try is still unheard of (Twilio out of reach, or its
#: dialled call not over yet).
CHECK_SECONDS = 5.0
#: How long after a leg ended its dial is asked about. An empty list stays possible (the docs do
#: not promise the dialled call is listed the moment it exists); after this the try is left
#: unconfirmed for a person to judge.
CHECK_FOR = datetime.timedelta(minutes=15)


def dial_facts(dialed: list[dict]) -> tuple[str, int | None] | None:
    """(DialCallStatus, DialCallDuration) as the <Dial>'s action would have sent them, from the
    calls it placed (rest.dialed_calls); None while none is over. A <Dial> with one <Number>
    places one call; should there be more, the one that was answered tells. A call's duration
    "is empty for busy, failed, unanswered, or ongoing calls" (the Call resource, as the twilio
    library documents it): a completed call without one is not taken as over yet. That a dialled
    call's status means what the action's DialCallStatus would (completed, busy, no-answer, failed,
    canceled) is our reading: the docs list the same words for both, and do not say they agree."""
    over = [call for call in dialed if call.get("status") in FINAL_STATUSES]
    if not over:
        return None
    call = next((call for call in over if call["status"] == "completed"), over[0])
    duration = str(call.get("duration") or "")
    if call["status"] == "completed" and not duration.isdigit():
        return None
    return call["status"], int(duration) if duration.isdigit() else None


class DialChecks:
    def __init__(self, tries: CallbackTries, api: TwilioApi, clock, settle: Callable):
        """`settle(callback_id, leg_sid, dial_status, seconds)`: keeps the dial's facts, as the
        <Dial>'s action request does (CallbackCalls.dialed)."""
        self.tries, self.api, self.clock, self.settle = tries, api, clock, settle
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def soon(self) -> None:
        """A leg ended (or a try was placed): sweep now, off the caller's request."""
        with self._lock:
            if self._stopping.is_set() or not self.api.configured:
                return
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="callback-dial-checks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                left = self.sweep()
            except SQLAlchemyError as error:        # the database is away: asked again next sweep
                log.warning("could not settle callback tries now: %s", error.__class__.__name__)
                left = 1
            except Exception:                       # a sweep must never stop the next one
                log.exception("settling callback tries failed; tried again in %ss", CHECK_SECONDS)
                left = 1
            with self._lock:
                if self._stopping.is_set() or (not left and not self._wake.is_set()):
                    self._thread = None
                    return
            self._wake.wait(CHECK_SECONDS)

    def sweep(self) -> int:
        """Ask Twilio about every try still unheard of; how many are left to ask about again."""
        left = 0
        for row in self.tries.unheard_dials(self.clock() - CHECK_FOR):
            if self._stopping.is_set():
                return left
            try:
                facts = dial_facts(self.api.dialed_calls(row.leg_sid))
            except TwilioUnavailable as error:      # kept unconfirmed; the next sweep asks again
                log.warning("could not ask Twilio how callback %s's dial went: %s", row.callback_id, error)
                left += 1
                continue
            if facts is None:
                left += 1                           # not over, or not listed (yet)
                continue
            outcome = self.settle(row.callback_id, row.leg_sid, *facts)
            log.info("callback %s: no word of its dial came; Twilio says it was %s (%s)",
                     row.callback_id, facts[0], outcome)
        return left

    def close(self) -> None:
        with self._lock:
            self._stopping.set()
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=10)
