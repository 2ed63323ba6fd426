"""A rehearsal on the real account (`ivr twilio rehearse`): one real call from another number of the
account into the helpline, pressed through to a person, with that number standing in as the
professional who answers the whisper with 1 — and what was seen of every stage, in plain Python.

Two sides meet in the database: this process (the CLI) registers the rehearsal, places the call
and reads back what the helpline recorded; the helpline recognises the call (From the stand-in, To
the helpline, while the rehearsal is active), rings only the stand-in for it (call_control), and
records each webhook request of it and its legs with the signature form that matched
(web/rehearsal.py).
"""
from __future__ import annotations

import datetime
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ..store.rehearsals import KNOWN_FOR_SECONDS
from ..twilio.statuses import FINAL_STATUSES

#: The professional_id of the stand-in's offers: never a roster id, so nobody real is ever busy for it.
STAND_IN_ID = "rehearsal-stand-in"
#: The whole rehearsal, from placing the call to the report.
BUDGET_SECONDS = 120
#: How long the helpline takes a call for a rehearsal's, however slow the start: a little more than
#: the budget, so a late call cannot be taken for one after it ended.
ACTIVE_SECONDS = BUDGET_SECONDS + 60
#: SendDigits: "maximum length of 32 digits", 'w' a half-second pause (Create a Call,
#: https://www.twilio.com/docs/voice/api/call-resource, as the twilio library's CallList.create
#: documents the parameter).
MOST_DIGITS = 32
PAUSE_SECONDS = 0.5
#: Time for Twilio to connect the call and fetch the helpline's first TwiML, and between a key
#: and the next document; no Twilio page gives a figure, so the rehearsal is generous.
ANSWER_SECONDS = 3.0
NEXT_DOCUMENT_SECONDS = 2.0
#: Words a text-to-speech voice says in a second (the same rate the simulator uses).
WORDS_PER_SECOND = 2.5
#: What the stand-in presses once it answers the helpline's leg: `<Play digits>` sends DTMF, 'w' a
#: half-second pause (https://www.twilio.com/docs/voice/twiml/play, attribute digits: "if you need to
#: test an IVR system, you can use this feature to simulate digits being pressed"). That the other
#: call of the account hears them as keys is what the page implies, not what it states: a rehearsal
#: whose whisper is never answered says so rather than assume it. The whisper's
#: <Gather> takes a key while its words play; 1 again later in case the first came before the
#: Gather listened (a second 1 after the bridge reaches a conference, where it does nothing).
STAND_IN_DIGITS = "ww1wwww1wwww1"
#: Of the budget, what is kept for ending both calls and reading what Twilio billed.
ENDING_SECONDS = 20.0
#: How long the bridge is let stand once seen, before the rehearsal ends both calls.
BRIDGE_SECONDS = 5.0
#: Statuses after which Twilio bills a call's `duration` (https://www.twilio.com/docs/voice/api/call-resource).
FINAL = FINAL_STATUSES


class RehearsalRefused(Exception):
    """The rehearsal cannot start (a usage problem: exit 2)."""


@dataclass(frozen=True)
class StandIn:
    """The --from number, rung as the only professional for a rehearsal's call."""
    phone: str
    id: str = STAND_IN_ID


def stand_in_for(call_sid: str, stand_ins: dict, exclude=()) -> tuple | None:
    """Who can take a rehearsal's call: its stand-in alone (or nobody, once tried); None for any
    other call, which the roster serves. Real professionals must never be rung by a rehearsal."""
    number = stand_ins.get(call_sid)
    if number is None:
        return None
    return () if STAND_IN_ID in exclude else (StandIn(number),)


# -- the keys the caller side presses ----------------------------------------------------------------
def keys_to_a_person(flows, renderer, now: datetime.datetime, helpline_number: str = "") -> str:
    """SendDigits that take a call from the greeting to a person in the shipped flows' way: the
    language menu's English key, then the key of a person at the menu after it, each after the words
    that play before its menu listens (keys work while a <Gather>'s own prompts play)."""
    from . import engine
    from ..flow import model

    turn = engine.begin(flows, now, helpline_number)
    keys, seconds = [], ANSWER_SECONDS
    for _ in range(4):
        if isinstance(turn.step, (model.Connect, model.Queue)):
            break
        key = _key_towards_a_person(flows, turn, now)
        if key is None:
            raise RehearsalRefused(f"no key at {turn.step.flow}:{turn.step.name} leads to a person")
        seconds += _words_before_listening(renderer.render(turn, flows, backup_line="", caller_id="")) / WORDS_PER_SECOND
        keys.append("w" * int(round(seconds / PAUSE_SECONDS)) + key)
        turn = engine.advance(flows, turn.state, engine.Pressed(key), now)
        seconds = NEXT_DOCUMENT_SECONDS
    if not isinstance(turn.step, (model.Connect, model.Queue)):
        raise RehearsalRefused("the flows do not reach a person within four keys")
    digits = "".join(keys)
    if len(digits) > MOST_DIGITS:
        raise RehearsalRefused(f"the keys to a person ({digits}) are more than Twilio's {MOST_DIGITS} SendDigits")
    return digits


def _key_towards_a_person(flows, turn, now) -> str | None:
    from . import engine
    from ..flow import model

    if isinstance(turn.step, model.LanguageMenu):
        english = [o.key for o in turn.step.options if o.language == "en"]
        return english[0] if english else (turn.step.options[0].key if turn.step.options else None)
    for key in "0123456789":
        following = engine.advance(flows, turn.state, engine.Pressed(key), now)
        if isinstance(following.step, (model.Connect, model.Queue)):
            return key
    return None


def _words_before_listening(xml: str) -> int:
    """Words said before the document's first <Gather> starts listening."""
    words = 0
    for verb in ET.fromstring(xml):
        if verb.tag == "Gather":
            break
        if verb.tag == "Say":
            words += len("".join(verb.itertext()).split())
    return words


# -- what was seen -------------------------------------------------------------------------------
@dataclass
class Seen:
    """What the rehearsal saw of each stage; `failures` are one line each."""
    lines: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    def stage(self, name: str, ok: bool, detail: str) -> None:
        self.lines.append(f"{name}: {detail}")
        if not ok:
            self.failures.append(f"{name}: {detail}")

    def as_dict(self) -> dict:
        return {"lines": self.lines, "failures": self.failures}


def observe(store, rehearsal_id: str) -> dict:
    """The helpline's records of the rehearsal so far."""
    row = store.get(rehearsal_id)
    call_sid = row.call_sid if row is not None else None
    offers = [o for o in store.offers_of(call_sid) if o.professional_id == STAND_IN_ID] if call_sid else []
    return {"call_sid": call_sid, "steps": store.steps(call_sid) if call_sid else [],
            "wait": store.wait_state(call_sid) if call_sid else None, "offers": offers,
            "outcome": store.outcome(call_sid) if call_sid else None,
            "callbacks": store.callbacks(rehearsal_id)}


def bridged(records: dict) -> bool:
    """Caller and stand-in were put together: the wait connected (it stays so), or, once the call
    is over, its outcome says they talked."""
    return records["wait"] == "connected" or records.get("outcome") == "talked"


def report(records: dict, calls: dict, stand_in: str) -> Seen:
    """Each stage, seen or not. `calls`: role -> the REST facts of that call (or an error text)."""
    seen = Seen()
    steps = records["steps"]
    seen.stage("prompts reached", bool(records["call_sid"]) and bool(steps),
               ", ".join(f"{step} ({answer or '-'})" for step, answer in steps) if steps else
               ("the helpline never received the call" if not records["call_sid"] else "no step recorded"))
    offer = next((o for o in records["offers"] if o.leg_sid), None)
    seen.stage("leg placed", offer is not None,
               f"to {stand_in} (offer {offer.id}, leg {offer.leg_sid})" if offer else f"no leg placed to {stand_in}")
    leg = calls.get("leg")
    shown = leg.get("from") if isinstance(leg, dict) else None
    seen.stage("caller ID shown", bool(shown), shown or f"unknown ({leg or 'no leg'})")
    routes = {(c.route, c.status) for c in records["callbacks"]}
    whisper = ("/voice/offer", 200) in routes
    seen.stage("whisper", whisper, "heard by the stand-in" if whisper else "never fetched for the stand-in's leg")
    pressed = ("/voice/offer-answer", 200) in routes
    seen.stage("whisper answered with 1", pressed and offer is not None and offer.state in ("accepted", "ended"),
               f"offer {offer.state}" if offer else "no offer")
    seen.stage("bridge", bridged(records), "caller and stand-in in one conference" if bridged(records)
               else f"never bridged (the wait is {records['wait'] or 'not recorded'}, the call's outcome "
                    f"{records.get('outcome') or 'none yet'})")
    callbacks = records["callbacks"]
    refused = [c for c in callbacks if c.status >= 400 or c.signature == "none"]
    listed = "; ".join(f"{c.route} {c.status} signature {c.signature}" for c in callbacks) or "none"
    seen.stage("callbacks", bool(callbacks) and not refused,
               f"{len(callbacks) - len(refused)} of {len(callbacks)} accepted: {listed}")
    billed = []
    for role in ("caller", "helpline", "leg"):
        facts = calls.get(role)
        if isinstance(facts, dict):
            price = f", price {facts['price']} {facts.get('price_unit') or ''}".rstrip() if facts.get("price") else ""
            billed.append(f"{role} {facts.get('duration') or '?'} s ({facts.get('status')}{price})")
        else:
            billed.append(f"{role} unknown ({facts or 'no call'})")
    seen.stage("billed seconds", all(isinstance(calls.get(r), dict) and calls[r].get("duration") is not None
                                     for r in ("caller", "leg")), "; ".join(billed))
    return seen


# -- the rehearsal -------------------------------------------------------------------------------
def rehearse(api, store, keys: str, helpline: dict, stand_in: dict, base_url: str, hold_twiml: str,
             clock, sleep=time.sleep, budget: float = BUDGET_SECONDS, poll: float = 1.0) -> Seen:
    """Run it: point the stand-in number at the helpline's stand-in webhook, place the call, watch
    for at most `budget` seconds, end both calls, restore the number's Voice URL (always), report."""
    from ..twilio.rest import TwilioUnavailable

    began = clock()
    # Watching ends early enough to end both calls and read their billed seconds inside the budget.
    deadline = began + datetime.timedelta(seconds=budget - ENDING_SECONDS)
    rehearsal_id = store.start(helpline["phone_number"], stand_in["phone_number"], began,
                               datetime.timedelta(seconds=ACTIVE_SECONDS))
    previous = {"voice_url": stand_in.get("voice_url") or "", "voice_method": stand_in.get("voice_method") or "POST"}
    seen, calls, records = None, {}, None
    restore_problem = ""
    try:
        # Twilio runs a number's own Voice URL for a call to it: the helpline's leg to the stand-in
        # reaches this webhook (https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource, VoiceUrl).
        api.update_number(stand_in["sid"], voice_url=f"{base_url}/voice/rehearsal-professional?rehearsal={rehearsal_id}",
                          voice_method="POST")
        sleep(KNOWN_FOR_SECONDS)       # every instance has read the new rehearsal before its call comes
        caller_sid = api.place_rehearsal_call(helpline["phone_number"], stand_in["phone_number"], keys, hold_twiml)
        store.placed(rehearsal_id, caller_sid)
        records = observe(store, rehearsal_id)
        while clock() < deadline and not bridged(records):
            sleep(poll)
            records = observe(store, rehearsal_id)
        if bridged(records):
            sleep(BRIDGE_SECONDS)      # both in the conference a moment, and its webhook requests made
        records = observe(store, rehearsal_id)
        legs = [o.leg_sid for o in records["offers"] if o.leg_sid]
        roles = {"caller": caller_sid, "helpline": records["call_sid"], "leg": legs[0] if legs else None}
        for sid in (caller_sid, *legs):
            try:
                api.stop_ringing(sid)
            except TwilioUnavailable:
                pass                   # its duration below says whether it ended
        calls = _billed(api, roles, clock, sleep, began + datetime.timedelta(seconds=budget), poll)
        records = observe(store, rehearsal_id)
    except TwilioUnavailable as error:
        seen = Seen()
        seen.stage("call placed", False, str(error))
    finally:
        try:
            api.update_number(stand_in["sid"], **previous)
        except TwilioUnavailable as error:
            restore_problem = (f"could not restore {stand_in['phone_number']}'s Voice URL to "
                               f"{previous['voice_url'] or '(none)'}: {error}; set it back in the console")
    if seen is None:
        seen = report(records, calls, stand_in["phone_number"])
    if clock() - began > datetime.timedelta(seconds=budget + ENDING_SECONDS):
        seen.failures.append(f"took {int((clock() - began).total_seconds())} s, more than the {int(budget)} s budget")
    seen.stage("stand-in number restored", not restore_problem,
               restore_problem or f"{stand_in['phone_number']} Voice URL back to {previous['voice_url'] or '(none)'}")
    store.finish(rehearsal_id, seen.as_dict(), clock())
    return seen


def _billed(api, roles: dict, clock, sleep, until, poll) -> dict:
    """role -> the call's REST facts once Twilio has ended it (or as they are at `until`)."""
    from ..twilio.rest import TwilioUnavailable

    facts = {}
    while True:
        for role, sid in roles.items():
            if not sid or (isinstance(facts.get(role), dict) and facts[role].get("status") in FINAL):
                continue
            try:
                facts[role] = api.call_facts(sid)
            except TwilioUnavailable as error:
                facts[role] = str(error)
        pending = [r for r, sid in roles.items() if sid and not (isinstance(facts.get(r), dict)
                                                                and facts[r].get("status") in FINAL)]
        if not pending or clock() >= until:
            return facts
        sleep(poll)
