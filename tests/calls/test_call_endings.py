"""Where a call that asked for nobody ended, named from its path through the shipped flows."""
from __future__ import annotations

import pytest

from ivr.calls.endings import outcome_of


@pytest.mark.parametrize("path, ended", [
    ((), "hung-up-language-menu"),                                          # the notice, the welcome or the menu
    ((("main:choose-language", "silence"),), "hung-up-language-menu"),
    ((("main:choose-language", "7"),), "hung-up-language-menu"),            # a wrong key: still there
    ((("main:choose-language", "2"),), "hung-up-menu"),                     # chose Spanish, left at the main menu
    ((("main:choose-language", "1"), ("main:main-menu", "speech")), "hung-up-menu"),
    ((("main:choose-language", "1"), ("main:main-menu", "3")), "information"),
    ((("main:choose-language", "1"), ("main:main-menu", "1"), ("health-info:myoclonus-menu", "9")), "information"),
    ((("main:no-such-step", "1"),), "hung-up"),
])
def test_a_call_that_asked_for_nobody_is_named_for_where_it_ended(shipped_flows, path, ended):
    assert outcome_of("information", path, shipped_flows) == ended


def test_other_outcomes_keep_their_name_and_without_flows_nobody_guesses(shipped_flows):
    assert outcome_of("talked", (), shipped_flows) == "talked"
    assert outcome_of(None, (), shipped_flows) is None
    assert outcome_of("information", (("main:choose-language", "1"),), None) == "hung-up"
