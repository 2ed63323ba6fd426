"""What staff do about what is owed to a caller, in plain Python: a voicemail marked handled has its
recording deleted at Twilio (42 CFR Part 2: nothing kept longer than it is needed), now or, when
Twilio cannot be reached, by the notices' sweep later; a callback done has the caller's number
erased. One rule for the staff pages, the sweep and the command line."""
from __future__ import annotations

import logging

from ..twilio.rest import NotOurRecording, TwilioUnavailable
from .calling_back import CallbackUnavailable

log = logging.getLogger(__name__)

#: What became of "mark handled".
TAKEN = "taken by a colleague"
#: What became of "call back now".
RINGING, CLAIMED, NO_PHONE = "ringing", "claimed by a colleague", "no phone of theirs"
DELETED, DELETE_LATER, NOT_OURS = "recording deleted", "recording deleted later", "recording not ours"


def delete_recording(owed, api, row, now) -> str:
    """Delete a handled voicemail's recording at Twilio and note it: DELETED, or DELETE_LATER when
    Twilio could not be reached (the sweep tries again). One that is not this account's can never
    be deleted by us (NOT_OURS): said once, and not tried again."""
    try:
        api.delete_recording(row.recording_url)
        outcome = DELETED
    except NotOurRecording:
        log.error("voicemail %s names a recording of another account or host: not deleted", row.id)
        outcome = NOT_OURS
    except TwilioUnavailable as error:
        log.warning("could not delete the recording of voicemail %s yet: %s", row.id, error)
        return DELETE_LATER
    owed.recording_deleted(row.id, now)
    return outcome


class FollowUp:
    """`owed`: store.owed.OwedStore; `api`: the REST adapter; `clock`: the helpline's;
    `calling_back`: calls.calling_back.CallbackCalls; `accounts`: store.staff.StaffAccounts."""

    def __init__(self, owed, api, clock, calling_back=None, accounts=None):
        self.owed, self.api, self.clock = owed, api, clock
        self.calling_back, self.accounts = calling_back, accounts

    def voicemail_handled(self, voicemail_id: int, login: str) -> str:
        """`login` has dealt with the voicemail: TAKEN when a colleague said so first, otherwise
        what became of its recording. Raises SQLAlchemyError."""
        row = self.owed.voicemail(voicemail_id)
        if row is None or not self.owed.voicemail_handled(voicemail_id, login, self.clock()):
            return TAKEN
        return delete_recording(self.owed, self.api, row, self.clock())

    def callback_done(self, callback_id: int, by: str) -> bool:
        """The caller was called back (the page's Done, `ivr callbacks done`): their number is
        erased, who closed it kept. False when it was not pending (done already, or unknown)."""
        return self.owed.callback_handled(callback_id, by)

    def call_back_now(self, callback_id: int, person, claimant: str, links) -> str:
        """Ring `person` (their roster entry) for a callback, claimed in `claimant`'s name first so
        no colleague calls the same caller: RINGING, CLAIMED or NO_PHONE (someone off the roster).
        Raises CallbackUnavailable, TwilioUnavailable or SQLAlchemyError when the ring could not be
        placed; the claim stays, theirs to try again."""
        if person is None:
            return NO_PHONE
        self.calling_back.ringable(callback_id)           # nothing claimed for a ring that cannot be
        if not self.owed.claim_callback(callback_id, claimant):
            row = self.owed.callback(callback_id)
            if row is None or row.status != "pending":
                raise CallbackUnavailable(f"no pending callback {callback_id}")
            return CLAIMED
        self.calling_back.ring(callback_id, person, links)
        return RINGING

    def claimant_for(self, person) -> str:
        """Whom a callback rung from the command line is claimed for: the staff login linked to
        `person`, so the staff pages show it as theirs; their roster id when they have none."""
        if self.accounts is not None:
            for member in self.accounts.everyone():
                if member.professional_id == person.id:
                    return member.login
        return person.id
