"""Who may see what on the staff pages. A lead sees everything; a professional sees their own
presence and the callbacks and voicemails in the languages they speak — a caller's message is
confidential (42 CFR Part 2) and is shared only with those who may answer it."""
from __future__ import annotations


def roster_entry(member, roster):
    if roster is None or not member.professional_id:
        return None
    return roster.by_id(member.professional_id)


def languages_allowed(member, roster) -> frozenset | None:
    """The languages whose callbacks and voicemails `member` may open; None for all of them."""
    if member.is_lead:
        return None
    person = roster_entry(member, roster)
    return person.languages if person is not None else frozenset()


def may_open(member, roster, language: str) -> bool:
    allowed = languages_allowed(member, roster)
    return allowed is None or language in allowed
