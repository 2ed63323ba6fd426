"""What a load balancer, a deploy and the operator on call ask the helpline: is it up, is it ready,
and its numbers. No caller's number or words appear in any answer.

/healthz: this process answers with good flows (a database outage is handled inside: records are
kept on disk and callers asking for a person go to the backup line), so a load balancer should
use it. /readyz: everything a call may need is there — flows loaded and current, the database
reachable, Twilio's credentials present in production — for a deploy to wait on and to page on.
It also says what Twilio refused or could not deliver lately (texts not delivered, legs refused,
with each error code in plain words) and whether Twilio will place calls from the caller ID:
`attention`, for the operator to page on. These leave `ready` alone: every instance shares them,
and taking instances out of rotation would not bring a text through or ring anyone.
"""
from __future__ import annotations

from flask import Blueprint, Response

from .. import metrics
from ..overview.readiness import live_numbers, readiness
from .current import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """Up, and what it plays: with the saved flows broken, the last good ones serve callers
    (still 200) and `saved_flows` says so, with the count of errors to fix."""
    live = services().flows
    flows = live.current()
    errors = sum(1 for problem in live.problems if problem.is_error)
    return ({"flows": flows.version if flows else None, "ok": flows is not None,
             "saved_flows": "broken" if live.broken else "ok", "flow_errors": errors},
            200 if flows else 503)


@blueprint.get("/readyz")
def readyz():
    report, ready = readiness(services())
    return report, 200 if ready else 503


@blueprint.get("/metrics")
def metrics_page():
    ivr = services()
    ivr.flows.current()               # a saved edit is looked at first, as a call would
    return Response(metrics.exposition(metrics.LiveNumbers(lambda: live_numbers(ivr))),
                    mimetype=metrics.CONTENT_TYPE.split(";")[0])
