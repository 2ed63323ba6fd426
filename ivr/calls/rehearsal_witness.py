"""The helpline's side of a rehearsal (`ivr twilio rehearse`): whether the stand-in's number still
presses into the whisper, and which webhook requests belong to a rehearsal's call, its legs or its
stand-in, so each is recorded (route, HTTP status, the signature form that matched) for the CLI,
which runs in another process and reads them from the database."""
from __future__ import annotations

#: The stand-in professional's webhook (its number's Voice URL while a rehearsal runs).
STAND_IN_ROUTE = "/voice/rehearsal-professional"


class RehearsalWitness:
    """`store`: store.rehearsals; `clock`: the helpline's."""

    def __init__(self, store, clock):
        self.store, self.clock = store, clock

    def stand_in_may_press(self, rehearsal_id: str) -> bool:
        """Only while its rehearsal runs: once it is over (a Voice URL that could not be restored),
        whoever calls the number is hung up on rather than pressed at."""
        return any(rehearsal.id == rehearsal_id for rehearsal in self.store.active(self.clock()))

    def watching(self) -> bool:
        """Whether a rehearsal is on. Outside one this is a look at what the process read within
        the last second, so a request pays nothing more to be witnessed."""
        return bool(self.store.known_active(self.clock()))

    def saw(self, path: str, status: int, signature_form: str, call_sid: str, offer_id: str,
            rehearsal_id: str) -> None:
        """A webhook request was answered: record it if it is a rehearsal's."""
        active = self.store.known_active(self.clock())
        for rehearsal in active:
            if self._belongs(rehearsal, path, call_sid, offer_id, rehearsal_id):
                self.store.record_callback(rehearsal.id, path, status, signature_form, call_sid, self.clock())
                return

    def _belongs(self, rehearsal, path: str, call_sid: str, offer_id: str, rehearsal_id: str) -> bool:
        if path == STAND_IN_ROUTE:
            return rehearsal_id == rehearsal.id
        call = rehearsal.call_sid or self.store.get(rehearsal.id).call_sid      # claimed since it was read
        if not call:
            return False
        if call_sid == call:
            return True
        return any(offer == offer_id or (leg_sid and leg_sid == call_sid)
                   for offer, leg_sid in self.store.leg_sids(call))
