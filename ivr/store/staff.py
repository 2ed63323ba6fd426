"""Staff accounts for the staff pages: who they are, their role, and a password only they know.

An account starts with no password and a one-time link (a random token, kept here only as its
SHA-256) with which its owner chooses one; the helpline never sees or sends a password in clear.
Passwords are kept as werkzeug's scrypt hashes.
"""
from __future__ import annotations

import datetime
import hashlib
import secrets

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..access.accounts import ROLES, SETUP_LINK_HOURS, StaffError, StaffMember, password_problem
from ..utc import utc
from .schema import staff

#: Compared against when a login names nobody, so a wrong name costs the same time as a wrong password.
_NOBODY = generate_password_hash("not a password of anyone", method="scrypt")


def _member(row) -> StaffMember:
    return StaffMember(row.id, row.login, row.name, row.role, row.professional_id, row.session_version,
                       row.password_hash is not None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffAccounts:
    def __init__(self, engine: Engine, clock):
        self.engine, self.clock = engine, clock

    def add(self, login: str, name: str, role: str, professional_id: str | None = None) -> tuple:
        """Make an account with no password; (the member, the one-time token for its set-password link)."""
        if role not in ROLES:
            raise StaffError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if not login:
            raise StaffError("a login name needs at least one letter or digit")
        token = secrets.token_urlsafe(32)
        now = utc(self.clock())
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(staff).values(
                    login=login, name=name, role=role, professional_id=professional_id,
                    setup_token=_digest(token), session_version=0, created_at=now,
                    setup_expires_at=now + datetime.timedelta(hours=SETUP_LINK_HOURS)))
        except IntegrityError:
            raise StaffError(f"there is already an account named {login!r}: "
                             f"`ivr staff link {login}` makes a new set-password link") from None
        return self.by_login(login), token

    def new_link(self, login: str) -> str:
        """A new one-time token for `login`'s set-password link (a forgotten password, an expired link)."""
        token = secrets.token_urlsafe(32)
        now = utc(self.clock())
        with self.engine.begin() as connection:
            changed = connection.execute(update(staff).where(staff.c.login == login).values(
                setup_token=_digest(token),
                setup_expires_at=now + datetime.timedelta(hours=SETUP_LINK_HOURS))).rowcount
        if not changed:
            raise StaffError(f"there is no account named {login!r}")
        return token

    def by_token(self, token: str) -> StaffMember | None:
        """The account a set-password link is for, while the link is unused and fresh."""
        with self.engine.connect() as connection:
            row = connection.execute(select(staff).where(staff.c.setup_token == _digest(token))).first()
        if row is None or row.setup_expires_at is None:
            return None
        expires = row.setup_expires_at if row.setup_expires_at.tzinfo else row.setup_expires_at.replace(
            tzinfo=datetime.timezone.utc)
        return _member(row) if expires > self.clock() else None

    def set_password(self, token: str, password: str) -> StaffMember:
        """Use a set-password link once: the password is set, the link and every session end."""
        member = self.by_token(token)
        if member is None:
            raise StaffError("this link has been used or has expired: ask a lead for a new one")
        problem = password_problem(password, member.login)
        if problem:
            raise StaffError(problem)
        with self.engine.begin() as connection:
            changed = connection.execute(update(staff).where(
                (staff.c.id == member.id) & (staff.c.setup_token == _digest(token))).values(
                password_hash=generate_password_hash(password, method="scrypt"), setup_token=None,
                setup_expires_at=None, session_version=staff.c.session_version + 1)).rowcount
        if not changed:              # the same link used twice at the same moment
            raise StaffError("this link has been used or has expired: ask a lead for a new one")
        return self.by_id(member.id)

    def authenticate(self, login: str, password: str) -> StaffMember | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(staff).where(staff.c.login == login)).first()
        stored = row.password_hash if row is not None and row.password_hash else _NOBODY
        matches = check_password_hash(stored, password)
        return _member(row) if matches and row is not None and row.password_hash else None

    def by_id(self, member_id: int) -> StaffMember | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(staff).where(staff.c.id == member_id)).first()
        return _member(row) if row is not None else None

    def by_login(self, login: str) -> StaffMember | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(staff).where(staff.c.login == login)).first()
        return _member(row) if row is not None else None

    def everyone(self) -> list:
        with self.engine.connect() as connection:
            return [_member(row) for row in connection.execute(select(staff).order_by(staff.c.login))]
