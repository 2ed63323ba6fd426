"""A voicemail marked handled, at call-control depth: the first to mark it has its recording deleted
at Twilio now, or by the sweep when Twilio cannot be reached; on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.calls.follow_up import CLAIMED, DELETE_LATER, DELETED, NO_PHONE, NOT_OURS, RINGING, TAKEN, FollowUp
from ivr.calls.calling_back import CallbackUnavailable
from ivr.store.calls import CallRecords
from ivr.store.owed import OwedStore
from ivr.store.schema import voicemails
from ivr.twilio.rest import NotOurRecording, TwilioUnavailable

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC" + "0" * 32 + "/Recordings/RE" + "1" * 32


class Recordings:
    """The REST adapter's recording deletes: done, refused as not ours, or Twilio unreachable."""

    def __init__(self, refuse: Exception | None = None):
        self.deleted, self.refuse = [], refuse

    def delete_recording(self, url: str) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.deleted.append(url)


@pytest.fixture
def voicemail(engine, now) -> int:
    records = CallRecords(engine, hash_key="test-key")
    records.voicemail_left("CA" + "3" * 32, "key", RECORDING, 40, "en", now, "+18005550100")
    records.close()
    with engine.connect() as connection:
        return connection.execute(select(voicemails.c.id)).scalar_one()


def deleted_at(engine, voicemail_id):
    with engine.connect() as connection:
        return connection.execute(select(voicemails.c.recording_deleted_at).where(
            voicemails.c.id == voicemail_id)).scalar_one()


def test_the_first_to_mark_it_handled_has_its_recording_deleted_and_a_colleague_is_told(engine, voicemail, now):
    api = Recordings()
    follow_up = FollowUp(OwedStore(engine), api, lambda: now)

    assert follow_up.voicemail_handled(voicemail, "ana") == DELETED
    assert api.deleted == [RECORDING] and deleted_at(engine, voicemail) is not None
    assert follow_up.voicemail_handled(voicemail, "ben") == TAKEN
    assert api.deleted == [RECORDING]                     # deleted once


@pytest.mark.parametrize("refusal, outcome, later", [
    (TwilioUnavailable("Twilio could not be reached"), DELETE_LATER, True),
    (NotOurRecording("not this account's"), NOT_OURS, False)])
def test_a_delete_twilio_did_not_do_is_left_to_the_sweep_only_when_it_could_ever_work(
        engine, voicemail, now, refusal, outcome, later):
    follow_up = FollowUp(OwedStore(engine), Recordings(refuse=refusal), lambda: now)

    assert follow_up.voicemail_handled(voicemail, "ana") == outcome
    assert [row.id for row in OwedStore(engine).recordings_to_delete()] == ([voicemail] if later else [])


def test_a_callback_done_erases_the_number_once_whoever_closes_it(engine, now):
    records = CallRecords(engine, hash_key="test-key")
    records.callback_requested("CA" + "4" * 32, "key", "+12025550199", "en", now)
    [request] = records.pending_callbacks()
    records.close()
    follow_up = FollowUp(OwedStore(engine), Recordings(), lambda: now)

    assert follow_up.callback_done(request.id, by="ivr callbacks done")
    assert not follow_up.callback_done(request.id, by="ana")             # done already
    row = OwedStore(engine).callback(request.id)
    assert (row.status, row.number, row.handled_by) == ("done", "", "ivr callbacks done")


class Ringing:
    """The callback calls: who was rung for which callback (or Twilio refusing, or the helpline
    unable to ring anyone: `unringable`)."""

    def __init__(self, refuse: Exception | None = None, unringable: Exception | None = None):
        self.rung, self.refuse, self.unringable = [], refuse, unringable

    def ringable(self, callback_id):
        if self.unringable is not None:
            raise self.unringable

    def ring(self, callback_id, person, links):
        if self.refuse is not None:
            raise self.refuse
        self.rung.append((callback_id, person.id))


class Member:
    def __init__(self, login, professional_id):
        self.login, self.professional_id = login, professional_id


class Accounts:
    def everyone(self):
        return [Member("ana", "ana-rivera"), Member("lead", None)]


class Person:
    def __init__(self, person_id):
        self.id = person_id


@pytest.fixture
def callback_id(engine, now) -> int:
    records = CallRecords(engine, hash_key="test-key")
    records.callback_requested("CA" + "5" * 32, "key", "+12025550199", "en", now)
    [request] = records.pending_callbacks()
    records.close()
    return request.id


def test_call_back_now_claims_the_callback_for_one_person_then_rings_them(engine, callback_id, now):
    ringing = Ringing()
    follow_up = FollowUp(OwedStore(engine), Recordings(), lambda: now, ringing, Accounts())

    assert follow_up.call_back_now(callback_id, Person("ana-rivera"), "ana", links=None) == RINGING
    assert follow_up.call_back_now(callback_id, Person("ana-rivera"), "ana", links=None) == RINGING   # again: hers
    assert follow_up.call_back_now(callback_id, Person("ben-carter"), "ben", links=None) == CLAIMED
    assert ringing.rung == [(callback_id, "ana-rivera")] * 2
    assert OwedStore(engine).callback(callback_id).claimed_by == "ana"


def test_call_back_now_for_someone_off_the_roster_claims_nothing(engine, callback_id, now):
    follow_up = FollowUp(OwedStore(engine), Recordings(), lambda: now, Ringing(), Accounts())

    assert follow_up.call_back_now(callback_id, None, "lead", links=None) == NO_PHONE
    assert OwedStore(engine).callback(callback_id).claimed_by is None


def test_a_ring_twilio_refuses_keeps_the_claim_for_them_to_try_again(engine, callback_id, now):
    follow_up = FollowUp(OwedStore(engine), Recordings(), lambda: now, Ringing(TwilioUnavailable("down")), Accounts())

    with pytest.raises(TwilioUnavailable):
        follow_up.call_back_now(callback_id, Person("ana-rivera"), "ana", links=None)
    assert OwedStore(engine).callback(callback_id).claimed_by == "ana"


def test_the_command_line_claims_in_the_name_of_the_professionals_staff_login_or_their_roster_id(now):
    follow_up = FollowUp(None, None, lambda: now, Ringing(), Accounts())

    assert follow_up.claimant_for(Person("ana-rivera")) == "ana"
    assert follow_up.claimant_for(Person("ben-carter")) == "ben-carter"


def test_call_back_now_for_a_callback_done_already_or_unknown_says_so(engine, callback_id, now):
    follow_up = FollowUp(OwedStore(engine), Recordings(), lambda: now, Ringing(), Accounts())
    follow_up.callback_done(callback_id, by="ben")

    for which in (callback_id, 999):
        with pytest.raises(CallbackUnavailable, match=f"no pending callback {which}"):
            follow_up.call_back_now(which, Person("ana-rivera"), "ana", links=None)


def test_a_ring_that_cannot_be_placed_claims_nothing(engine, callback_id, now):
    unset = CallbackUnavailable("TWILIO_ACCOUNT_SID is not set")
    follow_up = FollowUp(OwedStore(engine), Recordings(), lambda: now, Ringing(unringable=unset), Accounts())

    with pytest.raises(CallbackUnavailable, match="TWILIO_ACCOUNT_SID"):
        follow_up.call_back_now(callback_id, Person("ana-rivera"), "ana", links=None)
    assert OwedStore(engine).callback(callback_id).claimed_by is None
