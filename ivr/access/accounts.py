"""Staff accounts' rules, in plain Python: who a member is, what a password must be, and whether a
browser's session is still the member's. The accounts themselves are kept by ivr/store/staff.py."""
from __future__ import annotations

import hmac
from dataclasses import dataclass

ROLES = ("lead", "professional")
SETUP_LINK_HOURS = 72
SHORTEST_PASSWORD = 12


class StaffError(ValueError):
    """An account that cannot be made or a password that cannot be set, in words for the person."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    login: str
    name: str
    role: str
    professional_id: str | None
    session_version: int
    has_password: bool

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


def password_problem(password: str, login: str) -> str | None:
    """Why a new password will not do, or None. Length, not symbols, is what resists guessing."""
    if len(password) < SHORTEST_PASSWORD:
        return f"use at least {SHORTEST_PASSWORD} characters (a few words make a good one)"
    if len(set(password)) < 4:
        return "use more than three different characters"
    if login and login.lower() in password.lower():
        return "do not put your login name in your password"
    return None


def same_session(member: StaffMember, version: str) -> bool:
    return hmac.compare_digest(str(member.session_version), version)
