"""The offering pass: each waiting caller with nobody ringing for them, longest-waiting first, is
offered to whoever can take them now — on a legs' pool of its own, paced to the account's calls per
second, whenever an event says someone may be free and on a tick in case no event comes. A leg
Twilio refuses passes that professional over, or, when Twilio refuses everyone, stops ringing for a
while. Part of call control (control.py), which owns the state these methods use."""
from __future__ import annotations

import concurrent.futures
import logging
import threading
import time

from sqlalchemy.exc import SQLAlchemyError

from ..flow import model
from ..flow.model import Ref
from ..store.presence import Presence
from ..store.schema import LIVE_OFFER_STATES
from ..twilio.rest import TwilioUnavailable
from .links import Links
from .rehearsal import stand_in_for
from .routing.choose import MAX_SIMULTANEOUS, Chooser

log = logging.getLogger(__name__)

#: Twilio refusing a leg's From: "not a Twilio number or not a verified caller ID"
#: (https://www.twilio.com/docs/errors/21210) or none given (https://www.twilio.com/docs/errors/21213).
#: No leg can be placed from it: callers go on at once, as when Twilio is down.
CALLER_ID_REFUSED = (21210, 21213)
#: After Twilio's REST API failed to place a leg, callers go straight to the backup line for this
#: long rather than wait for phones that cannot ring; then placing is tried again.
TWILIO_DOWN_SECONDS = 30

class OfferingPass:
    """Call control's offering of waiting callers (a mixin of CallControl)."""

    def offer_soon(self, links: Links) -> None:
        """Offer waiting callers to free professionals now, off the request's thread. Passes never
        overlap in one process; one asked for during a pass runs right after it. Once stopping,
        nothing new starts: the next instance's tick picks the line up."""
        with self._lock:
            if self._closed.is_set():
                return
            self._links = links
            if self._tick_seconds and self._ticker is None:
                self._ticker = threading.Thread(target=self._tick_forever, name="call-control-tick", daemon=True)
                self._ticker.start()
            if self._running:
                self._again = True
                return
            self._running = True
        self._pool.submit(self._offer_passes)

    def tick(self) -> None:
        """Look at the line now, as if an event had come: legs with no news are asked about, and
        waiting callers are offered to whoever is free. Every wait keeps its own clock this way,
        whatever callbacks arrive."""
        if self._links is not None:
            self.offer_soon(self._links)

    def _tick_forever(self) -> None:
        while not self._closed.wait(self._tick_seconds):
            try:
                self.tick()
            except RuntimeError:       # the pool was shut down under us
                return

    def _offer_passes(self) -> None:
        while True:
            try:
                self.offer_waiting_callers(self._links)
            except (SQLAlchemyError, TwilioUnavailable) as error:
                log.error("could not offer waiting callers: %s", error.__class__.__name__)
            except Exception:          # a pass must never stop the next one
                if self._closed.is_set():
                    log.info("a pass of offers stopped: the helpline is stopping")
                    with self._lock:
                        self._running = False
                    return
                log.exception("offering waiting callers failed")
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False

    def offer_waiting_callers(self, links: Links) -> int:
        """One pass: each waiting caller with nobody ringing for them, longest-waiting first, is
        offered to who can take them now. Returns how many legs were placed."""
        roster, flows = self.roster.current(), self.flows.current()
        if roster is None or flows is None or not self.api.configured:
            return 0
        now = self.clock()
        waiting = self.waits.waiting()
        self.reconcile(now, callers_waiting=bool(waiting))
        if not waiting:
            return 0
        snapshot = self.presence.snapshot(now)
        busy = set(snapshot.busy)
        ringing_for = {offer.call_sid for offer in self.offers.live()}
        stand_ins = self._stand_ins()
        placed = []
        for wait in waiting:
            step = flows.step(Ref.parse(wait.step, ""))
            if wait.call_sid in ringing_for:
                # A round is under way. On hold, where a round rings everyone free at once,
                # whoever has become free since joins it: the longest-waiting caller is offered them,
                # not one who came later while this round rings out (unanswered, or with its end lost).
                if isinstance(step, model.Queue) and roster.ringing.strategy == "simultaneous" \
                        and stand_in_for(wait.call_sid, stand_ins) is None:
                    placed.extend(self._join_round(roster, now, snapshot, busy, wait, step))
                continue
            if isinstance(step, model.Connect) and self._rounds_used(wait, roster):
                continue               # the hold page moves them on
            # At a connect step each person is tried once; on hold, anyone rested may be rung again.
            exclude = self._tried_here(wait) if isinstance(step, model.Connect) else ()
            stand_in = stand_in_for(wait.call_sid, stand_ins, exclude)
            people = stand_in if stand_in is not None else self._choose(roster, now, snapshot, busy, wait, exclude)
            if not people or not self.waits.claim_round(wait.call_sid, wait.round, now):
                continue
            claimed = 0
            while people and not claimed:
                for person in people:
                    busy.add(person.id)            # ours now, or another instance's
                    offer_id = self.offers.claim(wait.call_sid, wait.round + 1, person.id, now)
                    if offer_id:
                        claimed += 1
                        placed.append((wait, person, offer_id, step))
                if not claimed:                    # another instance took them: the next free, if any
                    people = () if stand_in is not None else self._choose(roster, now, snapshot, busy, wait, exclude)
            if not claimed:
                self.waits.release_round(wait.call_sid, wait.round + 1, now)
        # In the order chosen (the strategy's preference), each at its own moment of the account's
        # calls per second.
        futures = [self._placing.submit(self._place_at, self._pacer.slot(roster.ringing.calls_per_second),
                                     roster, wait, person, offer_id, step, links)
                   for wait, person, offer_id, step in placed]
        concurrent.futures.wait(futures)
        return len(placed)

    def _join_round(self, roster, now, snapshot, busy, wait, step) -> list:
        """(wait, person, offer id, step) for each professional free now who joins the round ringing
        for `wait`, up to the round's most phones; each is busy from here on for the callers after
        it. An offer claimed as the caller was taken or left is canceled at once: whoever stopped
        their phones looked either after the claim (and canceled it) or before it (and changed the
        wait first, which is read here after the claim)."""
        ringing = sum(1 for offer in self.offers.for_caller(wait.call_sid) if offer.state in LIVE_OFFER_STATES)
        joined = []
        for person in self._choose(roster, now, snapshot, busy, wait, ())[:max(0, MAX_SIMULTANEOUS - ringing)]:
            busy.add(person.id)
            offer_id = self.offers.claim(wait.call_sid, wait.round, person.id, now)
            if not offer_id:
                continue
            still = self.waits.get(wait.call_sid)
            if still is None or still.state != "waiting" or still.round != wait.round:
                self.offers.move(offer_id, "canceled", now)
                busy.discard(person.id)        # free for the callers after this one
                break
            joined.append((wait, person, offer_id, step))
        return joined

    def _place_at(self, delay: float, roster, wait, person, offer_id: str, step, links: Links) -> None:
        """Place the leg `delay` seconds from now on the helpline's clock (which a test may run
        faster than the wall's, or hold still: then the wall's delay is the most it waits)."""
        if delay > 0:
            moment = self.clock().timestamp() + delay
            longest = time.monotonic() + delay
            while self.clock().timestamp() < moment and time.monotonic() < longest:
                if self._closed.wait(0.01):
                    return
            offer = self.offers.get(offer_id)
            if offer is None or offer.state != "placing":
                return                 # canceled meanwhile: the caller was taken, or is gone
            if self.twilio_down:       # the legs placed before this one found Twilio refusing
                self.offers.move(offer_id, "failed", self.clock())
                return
        self._place(roster, wait, person, offer_id, step, links)

    def _choose(self, roster, now, snapshot, busy, wait, exclude) -> tuple:
        presence = Presence(snapshot.away, frozenset(busy), snapshot.idle_since)
        return self._chooser_for(roster).choose(now, presence, wait.language, wait.team, exclude=exclude).people

    def _place(self, roster, wait, person, offer_id: str, step, links: Links) -> None:
        seconds = step.ring_seconds if isinstance(step, model.Connect) else roster.ringing.ring_seconds
        try:
            leg_sid = self.api.ring(person.phone, roster.caller_id or wait.helpline_number, links.offer(offer_id),
                                    links.offer_status(offer_id), seconds, roster.ringing.machine_detection,
                                    fallback_url=links.leg_fallback(offer_id, wait.language))
        except TwilioUnavailable as error:
            self._refused(error, person, wait, offer_id, links)
            return
        self._twilio_down_until = 0.0
        # Left 'placing' until Twilio says it rings: a leg Twilio holds back (its calls-per-second
        # queue) is not shown as ringing.
        self.offers.placed(offer_id, leg_sid, self.clock())
        offer = self.offers.get(offer_id)
        if offer is not None and offer.state not in LIVE_OFFER_STATES:
            self._end_leg(offer)       # canceled while being placed: the caller was taken, or left

    def _refused(self, error: TwilioUnavailable, person, wait, offer_id: str, links: Links) -> None:
        """Twilio did not place a leg. Unreachable, failing or refusing our credentials: nobody
        can be rung for a while. Refusing the caller ID: the same, for every leg. Refusing this one
        number (4xx): that professional is passed over as if they had missed it, and the caller
        moves on to whoever is next, now."""
        code = f" (error {error.code})" if error.code else ""
        log.error("could not ring %s for call %s: %s%s", person.id, wait.call_sid, error, code)
        now = self.clock()
        if error.status is not None and 400 <= error.status < 500 and self._problems is not None:
            try:            # leads see it on Now (with what the code means) and in /metrics
                self._problems.record("leg-refused", error.code, f"ringing {person.id}", now)
            except SQLAlchemyError as failure:
                log.error("could not keep Twilio's refusal for the leads: %s", failure.__class__.__name__)
        if error.status is None or error.status >= 500 or error.status in (401, 403) \
                or error.code in CALLER_ID_REFUSED:
            self.offers.move(offer_id, "failed", now)
            self._twilio_down_until = time.monotonic() + TWILIO_DOWN_SECONDS
            return
        self.offers.move(offer_id, "missed", now)
        self.offer_soon(links)

    @property
    def twilio_down(self) -> bool:
        """Twilio's REST API failed to place a leg a moment ago (unreachable, refusing, broken)."""
        return time.monotonic() < self._twilio_down_until

    # -- whom to ring ----------------------------------------------------------------------------
    def _stand_ins(self) -> dict:
        if self.rehearsals is None or not self.rehearsals.known_active(self.clock()):
            return {}                  # no rehearsal now (as read within the last second): no query
        return self.rehearsals.stand_ins()

    def _people_for(self, wait, roster, now) -> tuple:
        stand_in = stand_in_for(wait.call_sid, self._stand_ins())
        if stand_in is not None:
            return stand_in
        presence = self.presence.snapshot(now)
        return self._chooser_for(roster).choose(now, presence, wait.language, wait.team).people

    def _rounds_used(self, wait, roster) -> bool:
        """A connect step rings once (simultaneous) or `attempts` people in turn (longest-idle)."""
        allowed = roster.ringing.attempts if roster.ringing.strategy == "longest-idle" else 1
        return wait.round - wait.step_round >= allowed

    def _tried_here(self, wait) -> tuple:
        return tuple(offer.professional_id for offer in self.offers.for_caller(wait.call_sid, live_only=False)
                     if offer.round > wait.step_round and offer.state != "failed")

    def _chooser_for(self, roster) -> Chooser:
        if self._chooser is None or self._chooser.roster is not roster:
            self._chooser = Chooser(roster)        # indexing is done once per roster version
        return self._chooser
