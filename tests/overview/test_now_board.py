"""What a lead reads on the Now board for each professional, from the state of their leg."""
import pytest

from ivr.overview.now_board import person_state


@pytest.mark.parametrize("offer_state, shown", [
    ("placing", "queued"),         # asked of Twilio, which has not said it rings (its calls-per-second queue)
    ("ringing", "ringing"), ("answered", "ringing"), ("accepted", "on a call"), (None, "available")])
def test_a_professional_is_shown_as_their_leg_stands(offer_state, shown):
    states = {"ana": offer_state} if offer_state else {}
    assert person_state("ana", frozenset(), states) == shown


def test_a_professional_away_with_no_leg_is_shown_away():
    assert person_state("ana", frozenset({"ana"}), {}) == "away"

