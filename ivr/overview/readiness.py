"""What the operator on call and a deploy ask the helpline, in plain Python: is everything a call
may need there (flows, the database, Twilio's credentials), what Twilio refused or could not
deliver lately, and the live numbers /metrics adds to its counters. No caller's number or words.

`ready` is this instance's own: Twilio's problems and the caller ID go to `attention`, for the
operator to page on, since every instance shares them and taking instances out of rotation would
not bring a text through or ring anyone.
"""
from __future__ import annotations

import datetime

from sqlalchemy.exc import SQLAlchemyError

from ..twilio.errors import meaning
from ..utc import aware

#: How far back /readyz and the Now page look for Twilio's refusals.
PROBLEMS_SHOWN_FOR = datetime.timedelta(hours=24)


def readiness(ivr) -> tuple:
    """(the /readyz report, whether this instance is ready) for `ivr`, the helpline's services."""
    checks = {"flows": _flows_state(ivr), "database": _database_state(ivr),
              "twilio_credentials": _credentials_state(ivr)}
    ready = all(state == "ok" for state in checks.values())
    texts, problems = twilio_problems_summary(ivr)
    caller_id = ivr.caller_ids.state()
    attention = ([] if texts == "ok" else [f"texts: {texts}"]) + (
        [] if caller_id.startswith("ok") else [f"caller ID: {caller_id}"]) + [
        f"{kind}: {count} in the last 24 hours" for kind, count in problems.items() if kind != "text-not-delivered"]
    return {"ready": ready, **checks, "records_waiting": ivr.calls.waiting_records(), "texts": texts,
            "caller_id": caller_id, "twilio_problems": problems, "attention": attention}, ready


def twilio_problems_summary(ivr) -> tuple:
    """('ok' or what is wrong with texts, {kind: count}) over the last day."""
    since = ivr.now() - PROBLEMS_SHOWN_FOR
    try:
        counts = ivr.twilio_problems.counts(since)
        recent = ivr.twilio_problems.recent(since) if counts.get("text-not-delivered") else []
    except SQLAlchemyError as error:
        return f"unknown (database {error.__class__.__name__})", {}
    undelivered = [row for row in recent if row.kind == "text-not-delivered"]
    if not undelivered:
        return "ok", counts
    codes = dict.fromkeys(row.code for row in undelivered)
    return (f"not being delivered: {counts['text-not-delivered']} in the last 24 hours, the last at "
            f"{aware(undelivered[0].at).isoformat(timespec='seconds')}; " + "; ".join(meaning(code) for code in codes)), counts


def _flows_state(ivr) -> str:
    live = ivr.flows
    if live.current() is None:
        return "none loaded"
    return "saved files broken: the last good flows play" if live.broken else "ok"


def _database_state(ivr) -> str:
    problem = ivr.database_problem()
    return f"unreachable ({problem})" if problem else "ok"


def _credentials_state(ivr) -> str:
    settings = ivr.settings
    if settings.is_production and not (settings.twilio_account_sid and settings.twilio_auth_token):
        return "missing: nobody could be rung"
    return "ok" if settings.twilio_account_sid else "none (development): callers asking for a person go to the backup line"


def live_numbers(ivr) -> dict:
    """The numbers /metrics reads at each scrape: records not yet written, broken saved flows, and
    (while the database answers) the callers waiting now and the longest wait."""
    numbers = {"ivr_records_waiting": ("Records not yet in the database (in memory and kept on disk).",
                                       ivr.calls.waiting_records()),
               "ivr_saved_flows_broken": ("1 while the saved flow files have errors (the last good ones play).",
                                          1 if ivr.flows.broken else 0)}
    try:
        waiting = ivr.waits.waiting()
    except SQLAlchemyError:
        return numbers                # the database's numbers are unknown while it is down
    now = ivr.now()
    longest = max((max(0.0, (now - aware(row.asked_at)).total_seconds()) for row in waiting), default=0)
    numbers["ivr_callers_waiting"] = ("Callers waiting for a person now (every instance).", len(waiting))
    numbers["ivr_longest_wait_seconds"] = ("How long the longest-waiting caller has waited.", longest)
    return numbers
