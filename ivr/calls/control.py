"""Call control: what happens to a caller who asked for a person — in plain Python, no Flask.

The caller waits in a Twilio queue (<Enqueue>, whose hold page takes keys and words) while the
helpline calls professionals out on legs of their own through the REST API, each with a whisper
that only a key press answers. A voicemail box, a machine, a missed key, busy or no answer never
takes the call and never stops anyone else's phone. The first professional to press 1 wins the
caller (one conditional UPDATE), the caller is taken out of the queue into a conference with them,
and the other legs are ended at once. Whenever someone may have become free — a leg ended, a
professional texted ON — the longest-waiting caller they can take is offered to them at once.
"""
from __future__ import annotations

import concurrent.futures
import datetime
import logging
import threading

from ..flow import model
from ..flow.model import Ref
from ..twilio.pacing import Pacer
from .decisions import BACKUP_LINE, Bridge, GoTo, Leave, NotNeeded, Overflow, Stay, Whisper, overflow_of
from .links import Links, conference_name
from .offering import OfferingPass
from .rehearsal import stand_in_for
from .routing.choose import Chooser
from .routing.why_nobody import why_nobody_free
from ..store.offers import FINAL_LEG_STATUSES
from ..store.schema import LIVE_OFFER_STATES
from ..utc import aware
from ..twilio.rest import NOT_FOUND, TwilioUnavailable

log = logging.getLogger(__name__)
MACHINE_ANSWERS = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")
#: How far back the "callers are waiting about N minutes" estimate looks.
ESTIMATE_HOURS = 1
#: Stale legs asked about in one pass (each is one REST request).
RECONCILE_BATCH = 20
#: Extra time a leg gets beyond its ring time before Twilio is asked about it: the whisper and its
#: key (an 8-second gather) fit inside, and a lost callback costs the caller no more than this.
RING_GRACE_SECONDS = 10
#: However its legs' callbacks went, a connect step is over this long after its round began
#: plus the step's ring time.
CONNECT_GRACE_SECONDS = 30
#: While callers wait, a talk with no news is asked about this often (a lost 'completed' would
#: otherwise keep a free professional busy until `check_after_minutes`).
TALK_CHECK_WHILE_WAITING_SECONDS = 20
#: Call control looks at the line this often on its own, whatever callbacks do or don't arrive.
TICK_SECONDS = 3.0
#: A leg's statuses before its phone rings (https://www.twilio.com/docs/voice/api/call-resource).
NOT_YET_RINGING = ("queued", "initiated")
#: QueueResult values that say the caller's call is over; any other reason to leave the queue
#: without a place to go (error, system-error, queue-full) means they may still be on the line.
CALLER_HUNG_UP = ("hangup",)
#: A round claimed this recently whose offers are not written yet is still being placed.
CLAIM_SECONDS = 5


def _not_needed(wait) -> NotNeeded:
    """Why a professional's leg is no longer wanted: a colleague has the caller, or they are gone."""
    if wait is None:
        return NotNeeded("gone")
    return NotNeeded("taken" if wait.state == "connected" else "gone", wait.language)


class CallControl(OfferingPass):
    def __init__(self, flows, roster, waits, offers, presence, api, clock, workers: int = 8,
                 tick_seconds: float | None = None, problems=None):
        """`tick_seconds`: how often call control looks at the line on its own (None: only when
        an event comes, as tests that drive it by hand want); `problems`: where a leg Twilio
        refused is kept for the leads (store.twilio_problems)."""
        self.flows, self.roster = flows, roster
        self.waits, self.offers, self.presence = waits, offers, presence
        self.api, self.clock = api, clock
        # Offer passes and phones to stop run on one pool, the legs a pass places on another: a pass
        # waits for its legs, and a task waiting on tasks of its own pool can wait for ever (the
        # pool may count a busy thread as idle and start none for them).
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="call-control")
        self._placing = concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                              thread_name_prefix="call-control-place")
        self._lock = threading.Lock()
        self._running = self._again = False
        self._links: Links | None = None
        self._chooser: Chooser | None = None
        self._twilio_down_until = 0.0      # monotonic seconds
        self._tick_seconds = tick_seconds
        self._problems = problems
        self._pacer = Pacer(lambda: self.clock().timestamp())
        self._ticker: threading.Thread | None = None
        self._closed = threading.Event()
        self.rehearsals = None     # store.rehearsals: a rehearsal's call rings its stand-in, never the roster

    # -- a caller asks ---------------------------------------------------------------------------
    def ask_for_person(self, call_sid: str, step, language: str, helpline_number: str, links: Links) -> bool:
        """The caller reached a connect or queue step. False when the step should not wait: a
        connect step with nobody free to ring, or no way to ring anyone (no roster, no Twilio)."""
        roster = self.roster.current()
        if roster is None or not self.api.configured or self.twilio_down:
            return False
        now = self.clock()
        wait = self.waits.ask(call_sid, language, step.team, str(step.ref), helpline_number, now)
        if isinstance(step, model.Connect) and not self._people_for(wait, roster, now):
            return False
        if isinstance(step, model.Queue) and (now - aware(wait.asked_at)).total_seconds() >= step.max_wait:
            self.waits.leave(call_sid, str(step.overflow), now)
            return False           # the longest wait ran out while phones rang: its overflow, at once
        self.offer_soon(links)
        return True

    # -- on hold ---------------------------------------------------------------------------------
    def on_hold(self, call_sid: str, queue_sid: str, links: Links):
        """Twilio fetched the hold page: Stay (with what to tell the caller) or Leave."""
        now = self.clock()
        wait = self.waits.get(call_sid)
        if wait is None or wait.state != "waiting":
            return Leave()             # connected, left or gone: the queue's action knows where to
        if queue_sid and not wait.queue_sid:
            self.waits.learn_queue(call_sid, queue_sid)
        step = self.flows.current().step(Ref.parse(wait.step, ""))
        remaining = None
        if isinstance(step, model.Queue):
            remaining = step.max_wait - (now - aware(wait.asked_at)).total_seconds()
            # Nobody can be rung while Twilio refuses: a person elsewhere now beats a long wait.
            if (remaining <= 0 or self.twilio_down) and self.waits.leave(call_sid, str(step.overflow), now):
                self.stop_legs_soon(call_sid)
                return Leave()
        elif isinstance(step, model.Connect) and (self.twilio_down or self._ringing_is_over(wait, step, now)):
            if self.waits.leave(call_sid, str(step.if_nobody_answers), now):
                self.stop_legs_soon(call_sid)
                return Leave()
        self.offer_soon(links)         # a safety net under the instant offers
        since = now - datetime.timedelta(hours=ESTIMATE_HOURS)
        why = self.why_nobody_free(wait, now) if isinstance(step, model.Queue) else ""
        return Stay(self.waits.ahead_of(wait), self.waits.typical_wait(wait.team, wait.language, since), remaining,
                    why)

    def why_nobody_free(self, wait, now: datetime.datetime) -> str:
        """Why nobody can take this waiting caller now (routing.why_nobody), or '' when a phone
        rings for them, someone free is about to be rung, or it is a rehearsal's call."""
        roster = self.roster.current()
        if roster is None or stand_in_for(wait.call_sid, self._stand_ins()) is not None:
            return ""
        if self.offers.for_caller(wait.call_sid):
            return ""                  # someone is being rung for them right now
        return why_nobody_free(self._chooser_for(roster).index, self.presence.snapshot(now), wait.language, now,
                               wait.team)

    def choose_on_hold(self, call_sid: str, goto: Ref) -> bool:
        """The caller pressed a key (or said words) on hold that leads to `goto`."""
        if self.waits.leave(call_sid, str(goto), self.clock()):
            self.stop_legs_soon(call_sid)
            return True
        return False

    def after_queue(self, call_sid: str, result: str, step=None):
        """The caller left the queue (Twilio's QueueResult): Bridge, GoTo, Overflow, NotNeeded (they
        hung up) or None for 'back in line'.

        `error` and `system-error` say the hold page's TwiML failed (a slow or broken waitUrl), and
        `queue-full` that the caller never got in (https://www.twilio.com/docs/voice/twiml/enqueue,
        QueueResult): in each the caller may still be on the line, so they go on to the step's
        overflow, never back into the queue that failed them and never to silence. `step` is where
        the caller's URL says they waited, for a wait with no record."""
        if result in CALLER_HUNG_UP:
            self.caller_ended(call_sid)
            return NotNeeded("gone")
        wait = self.waits.get(call_sid)
        if wait is not None and wait.state == "connected":
            return Bridge(conference_name(call_sid))
        if wait is not None and wait.state == "left" and wait.next_step:
            if wait.next_step == BACKUP_LINE:
                return Overflow(None)
            return GoTo(Ref.parse(wait.next_step, ""))
        if result in ("error", "system-error", "queue-full"):
            return self._overflow(call_sid, wait, result, step)
        return None

    def _overflow(self, call_sid: str, wait, why: str, step=None):
        """Out of a queue that failed them: the step's overflow (or the backup line), unless a
        professional accepted at this very moment."""
        step = self._step_of(wait) or step
        target = overflow_of(step)
        log.warning("call %s left the queue with %s: on to %s", call_sid, why, target or "the backup line")
        if wait is None:
            return Overflow(target)
        if not self.waits.leave(call_sid, str(target or BACKUP_LINE), self.clock()):
            wait = self.waits.get(call_sid)
            if wait is not None and wait.state == "connected":
                return Bridge(conference_name(call_sid))
        self.stop_legs_soon(call_sid)
        return Overflow(target)

    def _step_of(self, wait):
        flows = self.flows.current()
        if wait is None or flows is None:
            return None
        return flows.step(Ref.parse(wait.step, ""))

    def caller_ended(self, call_sid: str) -> None:
        """The caller's call is over: nobody rings for them any more, and a professional who
        accepted but never met them is let go (off the request's thread: REST requests)."""
        self.waits.gone(call_sid, self.clock())
        self.stop_legs_soon(call_sid, including_accepted=True)

    def stop_legs_soon(self, call_sid: str, including_accepted: bool = False, keep: str = "") -> None:
        """End the legs still ringing (or, when the caller is gone, talking) for a caller: their
        offers at once, so whoever was rung is free for the next caller now; their phones in the
        background, so a webhook (the hold page above all, which Twilio gives up on after 15 s)
        never waits on REST requests."""
        now, legs = self.clock(), []
        for offer in self.offers.for_caller(call_sid):
            if offer.id == keep or (offer.state == "accepted" and not including_accepted):
                continue
            if offer.state != "accepted":
                self.offers.move(offer.id, "canceled", now)
                # A leg being placed as the caller left gets its CallSid now or later: read after
                # the cancel, it is here; written after it, the placing sees the cancel and ends it.
                offer = self.offers.get(offer.id) or offer
            if offer.leg_sid:
                legs.append(offer)
        for offer in legs:
            # Each phone on its own: one Twilio request that hangs never keeps the next one ringing.
            self._pool.submit(self._end_leg, offer)

    def partner_line_unanswered(self, call_sid: str, call_status: str = "") -> bool:
        """Back to our own people after the partner line failed — a fresh wait, not an instant
        overflow — only while the caller is on the line; False (nobody is rung) once they are gone.

        Twilio continues the call with the <Dial> action's answer
        (https://www.twilio.com/docs/voice/twiml/dial), and its voice requests carry the call's
        CallStatus (https://www.twilio.com/docs/usage/webhooks/voice-webhooks); whether the action
        comes at all for a caller who hung up, and with which status, the pages do not say. So
        both count: the request's CallStatus when sent, and their wait, which their own final
        status callback may already have closed."""
        if call_status and call_status != "in-progress":
            return False
        wait = self.waits.get(call_sid)
        if wait is not None and wait.state == "gone":
            return False
        self.waits.start_again(call_sid, self.clock())
        return True

    # -- a professional's leg --------------------------------------------------------------------
    def leg_answered(self, offer_id: str, answered_by: str):
        """Their phone was answered: Whisper, or NotNeeded (then the leg is hung up)."""
        now = self.clock()
        offer = self.offers.get(offer_id)
        if offer is None:
            return NotNeeded("gone")
        if answered_by in MACHINE_ANSWERS:
            # Answering-machine detection: a voicemail box never even hears the whisper.
            self.offers.move(offer_id, "missed", now)
            return NotNeeded("machine")
        wait = self.waits.get(offer.call_sid)
        if wait is None or wait.state != "waiting":
            self.offers.move(offer_id, "canceled", now)
            return _not_needed(wait)
        self.offers.move(offer_id, "answered", now)
        return Whisper(wait.language)

    def leg_accepted(self, offer_id: str, links: Links):
        """They pressed 1: Bridge for the first to do so while the caller waits; NotNeeded otherwise."""
        now = self.clock()
        offer = self.offers.get(offer_id)
        if offer is None:
            return NotNeeded("gone")
        if not self.offers.move(offer_id, "accepted", now):
            wait = self.waits.get(offer.call_sid)     # canceled a moment ago: who has the caller?
            return _not_needed(wait)
        if not self.waits.connect(offer.call_sid, now):
            wait = self.waits.get(offer.call_sid)
            self.offers.move(offer_id, "ended", now)        # accepted a moment ago: free again now
            return _not_needed(wait)
        self.stop_legs_soon(offer.call_sid, keep=offer_id)
        wait = self.waits.get(offer.call_sid)
        if not wait.queue_sid:
            # Not on hold yet: still hearing what comes before it (the 911/988 message after a
            # crisis word). Their first hold page sees 'connected' and brings them over.
            return Bridge(conference_name(offer.call_sid), wait.language)
        try:
            self.api.dequeue(wait.queue_sid, wait.call_sid, links.bridge(wait))
        except TwilioUnavailable as error:
            # Not in the queue (404): hung up, or the hold page has just seen 'connected' and let
            # them <Leave> for this very talk. Only their call says which.
            if error.status == NOT_FOUND and self._call_over(wait.call_sid):
                log.info("call %s hung up as %s accepted it", offer.call_sid, offer.professional_id)
                self.waits.gone(offer.call_sid, now)
                return NotNeeded("gone", wait.language)
            if error.status != NOT_FOUND:
                # The hold page will see 'connected' at its next fetch and bring the caller over.
                log.error("could not take call %s out of the queue (%s); the hold page will", offer.call_sid, error)
        return Bridge(conference_name(offer.call_sid), wait.language)

    def _call_over(self, call_sid: str) -> bool:
        try:
            return self.api.leg_status(call_sid) in FINAL_LEG_STATUSES
        except TwilioUnavailable as error:
            return error.status == NOT_FOUND

    def leg_status(self, offer_id: str, status: str, leg_sid: str, links: Links) -> None:
        """A status callback of a professional's leg (possibly repeated, possibly late)."""
        now = self.clock()
        offer = self.offers.get(offer_id)
        if offer is None:
            return
        if leg_sid and offer.leg_sid is None:
            self.offers.placed(offer_id, leg_sid, now)     # the callback beat the REST response
        if status == "ringing":
            self.offers.move(offer_id, "ringing", now)
        elif status in FINAL_LEG_STATUSES and self.offers.leg_over(offer_id, status, now) is not None:
            self.offer_soon(links)     # someone is free again, or the caller needs another round

    def talk_over(self, offer_id: str, links: Links) -> None:
        """The <Dial> that put a professional in a caller's conference has ended: Twilio requests its
        action "when the <Dial> call ends" and the call goes on with the TwiML answered
        (https://www.twilio.com/docs/voice/twiml/dial), a hang-up. They are free now, and the
        longest-waiting caller is offered at once: their leg's 'completed' callback may come late
        or never, and asking Twilio about a talk waits up to TALK_CHECK_WHILE_WAITING_SECONDS."""
        if self.offers.leg_over(offer_id, "completed", self.clock()) is not None:
            self.offer_soon(links)

    # -- a professional says they are available or away ----------------------------------------
    def presence_changed(self, professional_id: str, away: bool, links: Links | None, *,
                         wait: bool = False) -> int | None:
        """Keep a professional's own choice (a text, the Me page, `ivr presence`). Becoming
        available, they may be exactly who a waiting caller needs: waiting callers are offered at
        once, not at their next hold page — off this thread (a webhook answers quickly), or on it
        when `wait` (the command line says how many phones ring). Without `links` (no public URL
        Twilio could fetch) the next hold page offers them. Returns the legs placed when `wait`."""
        self.presence.set_away(professional_id, away, self.clock())
        if away or links is None:
            return None
        if wait:
            return self.offer_waiting_callers(links)
        self.offer_soon(links)
        return None

    # -- legs with no news (offering.py offers the callers) -----------------------------------
    def reconcile(self, now: datetime.datetime, callers_waiting: bool | None = None) -> None:
        """Legs with no news for too long: ask Twilio how they are, rather than wait for a callback
        that may never come (lost, refused, or late). A leg past its ring time that Twilio still
        calls ringing, or that Twilio cannot tell us about, is ended and counted as missed: a
        caller never waits on a phone nobody will answer."""
        roster = self.roster.current()
        if callers_waiting is None:
            callers_waiting = bool(self.waits.waiting())
        talk_check = roster.ringing.check_after_minutes * 60
        if callers_waiting:
            talk_check = min(talk_check, TALK_CHECK_WHILE_WAITING_SECONDS)
        shortest_ring = min((roster.ringing.ring_seconds, *self._connect_ring_times())) + RING_GRACE_SECONDS
        asked = 0
        for offer in self.offers.stale(now, shortest_ring, talk_check):
            if asked >= RECONCILE_BATCH:
                return
            if offer.state != "accepted" and not self._ring_is_over(offer, roster, now):
                continue
            if not offer.leg_sid:
                self.offers.move(offer.id, "failed", now)      # never placed (a crash mid-way)
                continue
            asked += 1
            try:
                status = self.api.leg_status(offer.leg_sid)
            except TwilioUnavailable as error:
                log.error("could not ask Twilio about leg of %s: %s", offer.professional_id, error)
                if offer.state == "accepted" or (error.status is not None and 400 <= error.status < 500
                                                 and error.status != NOT_FOUND):
                    continue           # a talk goes on; a refusal (a rate limit) is asked about again
                # Gone (404), out of reach or failing (5xx): what Twilio cannot tell is not waited on.
                status = "unknown"
            if status in FINAL_LEG_STATUSES:
                log.info("leg of %s had ended (%s) without telling us", offer.professional_id, status)
                self.offers.leg_over(offer.id, status, now)
            elif offer.state == "accepted":
                self.offers.checked(offer.id, now)
            elif status in NOT_YET_RINGING:
                # Held back by Twilio (its calls-per-second queue) for as long as a ring would last:
                # their phone never rang, so they are not counted as missing it; ended, and the
                # caller is offered again.
                log.info("leg of %s still %s at Twilio past its ring time: ended", offer.professional_id, status)
                if not self.offers.move(offer.id, "failed", now):
                    self.offers.move(offer.id, "missed", now)
                self._end_leg(offer)
            else:
                # Past its ring time and still not taken: Twilio's own timeout or a lost callback.
                log.info("leg of %s still %s past its ring time: ended as missed", offer.professional_id, status)
                self.offers.move(offer.id, "missed", now)
                self._end_leg(offer)

    def _ring_is_over(self, offer, roster, now) -> bool:
        """Whether a leg not yet taken has had its ring time (its step's) plus the grace."""
        wait = self.waits.get(offer.call_sid)
        step = self._step_of(wait)
        seconds = step.ring_seconds if isinstance(step, model.Connect) else roster.ringing.ring_seconds
        return (now - aware(offer.updated_at)).total_seconds() >= seconds + RING_GRACE_SECONDS

    def _connect_ring_times(self) -> tuple:
        flows = self.flows.current()
        if flows is None:
            return ()
        return tuple(step.ring_seconds for step in flows.steps.values() if isinstance(step, model.Connect))

    def _end_leg(self, offer) -> None:
        try:
            self.api.stop_ringing(offer.leg_sid)
        except TwilioUnavailable as error:
            log.error("could not stop the phone of %s: %s", offer.professional_id, error)

    def _ringing_is_over(self, wait, step, now) -> bool:
        """At a connect step: nobody is ringing, and nobody more will be rung."""
        offers = self.offers.for_caller(wait.call_sid, live_only=False)
        this_round = [offer for offer in offers if offer.round == wait.round and offer.round > wait.step_round]
        if this_round:
            began = min(aware(offer.created_at) for offer in this_round)
            if (now - began).total_seconds() >= step.ring_seconds + CONNECT_GRACE_SECONDS:
                return True            # whatever its legs' callbacks say (or never said)
        if any(offer.state in LIVE_OFFER_STATES for offer in offers):
            return False
        claimed_moments_ago = (now - aware(wait.updated_at)).total_seconds() < CLAIM_SECONDS
        if wait.round > wait.step_round and claimed_moments_ago and \
                not any(offer.round == wait.round for offer in offers):
            return False               # a round was just claimed; its legs are being placed
        roster = self.roster.current()
        if roster is None:
            return True
        if self._rounds_used(wait, roster):
            return True
        stand_in = stand_in_for(wait.call_sid, self._stand_ins(), self._tried_here(wait))
        if stand_in is not None:
            return not stand_in
        presence = self.presence.snapshot(now)
        return not self._chooser_for(roster).choose(now, presence, wait.language, wait.team,
                                                    exclude=self._tried_here(wait)).people

    def close(self) -> None:
        self._closed.set()
        self._pool.shutdown(wait=True, cancel_futures=True)        # a pass still running needs its placing
        self._placing.shutdown(wait=True, cancel_futures=True)
