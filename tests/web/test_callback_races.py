"""A professional's leg callbacks racing over real HTTP: Twilio retries a status callback and does
not order them, so the same one (or its predecessors) may reach two workers at the same instant.
Every one is answered 204 — never a 5xx that would make Twilio retry again — and the leg ends once."""
from __future__ import annotations

import datetime

import pytest

from like_twilio import call_params, signed_post
from stand_ins import at_once

CALLER, LEG = "CA" + "c" * 32, "CA" + "e" * 32
PROFESSIONAL = "ana-rivera"
CALLBACKS = {
    "the-same-completed": ["completed"] * 8,
    "completed-ringing-and-answered": ["completed", "ringing", "in-progress", "completed"] * 2,
}


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def an_offer_to_ana(ivr) -> str:
    """A caller on hold, offered to Ana (the leg still being placed): the offer's id."""
    ivr.waits.ask(CALLER, "en", "recovery", "main:wait-for-someone", "+18005550100", utc_now())
    assert ivr.waits.claim_round(CALLER, 0, utc_now())
    return ivr.offers.claim(CALLER, 1, PROFESSIONAL, utc_now())


def post_at_once(url: str, statuses: list) -> list:
    """Each status callback of the leg posted from a thread of its own, all at the same instant."""
    return at_once(*[lambda status=status: signed_post(url, call_params(
        LEG, CallStatus=status, Direction="outbound-api", To="+12025550101", From="+18005550100")).status_code
        for status in statuses])


@pytest.mark.parametrize("callbacks", CALLBACKS)
def test_the_same_leg_callback_from_eight_workers_at_once_is_answered_204_every_time_and_ends_the_talk_once(
        make_app, serve, database_url, callbacks):
    app = make_app(database_url=database_url)
    ivr = app.extensions["ivr"]
    server = serve(app)
    offer = an_offer_to_ana(ivr)
    ivr.offers.placed(offer, LEG, utc_now())
    for state in ("ringing", "answered", "accepted"):
        assert ivr.offers.move(offer, state, utc_now())
    assert ivr.waits.connect(CALLER, utc_now())

    answers = post_at_once(f"{server.url}/voice/offer-status?offer={offer}", CALLBACKS[callbacks])
    assert answers == [204] * len(CALLBACKS[callbacks])
    assert ivr.offers.get(offer).state == "ended"
    snapshot = ivr.presence.snapshot(utc_now())
    assert PROFESSIONAL not in snapshot.busy
    assert PROFESSIONAL in snapshot.idle_since


def test_callbacks_that_beat_the_ring_requests_answer_are_all_answered_204_and_miss_the_offer_once(
        make_app, serve, database_url):
    """Twilio may post a leg's callbacks before the REST request that placed it has its answer: the
    helpline learns the leg's sid from them, whichever worker gets there first."""
    app = make_app(database_url=database_url)
    ivr = app.extensions["ivr"]
    server = serve(app)
    offer = an_offer_to_ana(ivr)                                      # still 'placing', no leg sid
    assert ivr.waits.connect(CALLER, utc_now())    # a colleague has the caller: nobody more is rung

    answers = post_at_once(f"{server.url}/voice/offer-status?offer={offer}",
                           ["initiated", "ringing", "no-answer", "no-answer"] * 2)
    assert answers == [204] * 8
    row = ivr.offers.get(offer)
    assert (row.state, row.leg_sid) == ("missed", LEG)
