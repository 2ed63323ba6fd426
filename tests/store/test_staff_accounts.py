"""Staff accounts, on a SQLite file and on a real PostgreSQL: a one-time link sets a password once
(even when it is used twice at the same moment), passwords are kept only as hashes, and a login
that names nobody is refused like a wrong password."""
from __future__ import annotations

import concurrent.futures
import datetime

import pytest
from sqlalchemy import select

from ivr.store.schema import staff
from ivr.store.staff import StaffAccounts, StaffError

NOW = datetime.datetime(2026, 12, 2, 20, 0, tzinfo=datetime.timezone.utc)
PASSWORD = "a long enough pass phrase"


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def accounts(engine, clock):
    return StaffAccounts(engine, clock)


def test_a_new_account_has_no_password_until_its_link_is_used(accounts):
    member, token = accounts.add("ana-rivera", "Ana Rivera", "professional", "ana-rivera")

    assert not member.has_password and accounts.authenticate("ana-rivera", "") is None
    accounts.set_password(token, PASSWORD)
    assert accounts.authenticate("ana-rivera", PASSWORD).name == "Ana Rivera"


def test_the_password_is_kept_only_as_a_hash_and_the_link_only_as_a_digest(engine, accounts):
    _member, token = accounts.add("ana-rivera", "Ana Rivera", "professional", "ana-rivera")
    with engine.connect() as connection:
        before = connection.execute(select(staff)).one()
    accounts.set_password(token, PASSWORD)
    with engine.connect() as connection:
        after = connection.execute(select(staff)).one()

    assert token not in str(tuple(before)) and PASSWORD not in str(tuple(after))
    assert after.password_hash.startswith("scrypt:") and after.setup_token is None


def test_a_link_used_twice_at_the_same_moment_sets_one_password(accounts):
    _member, token = accounts.add("ana-rivera", "Ana Rivera", "professional", "ana-rivera")
    passwords = [f"pass phrase number {i:02d}" for i in range(8)]

    def use(password):
        try:
            accounts.set_password(token, password)
            return password
        except StaffError:
            return None
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        set_ = [p for p in pool.map(use, passwords) if p]

    assert len(set_) == 1
    assert accounts.authenticate("ana-rivera", set_[0]) is not None
    assert all(accounts.authenticate("ana-rivera", p) is None for p in passwords if p != set_[0])


def test_a_link_older_than_three_days_does_not_work(accounts, clock):
    _member, token = accounts.add("ana-rivera", "Ana Rivera", "professional", "ana-rivera")
    clock.now = NOW + datetime.timedelta(hours=73)

    with pytest.raises(StaffError, match="used or has expired"):
        accounts.set_password(token, PASSWORD)


def test_a_new_link_replaces_the_old_one(accounts):
    _member, old = accounts.add("ana-rivera", "Ana Rivera", "professional", "ana-rivera")
    new = accounts.new_link("ana-rivera")

    assert accounts.by_token(old) is None and accounts.by_token(new).login == "ana-rivera"


def test_two_accounts_cannot_share_a_login(accounts):
    accounts.add("ana-rivera", "Ana Rivera", "professional", "ana-rivera")

    with pytest.raises(StaffError, match="already an account named 'ana-rivera'"):
        accounts.add("ana-rivera", "Ana Rivera", "lead")


def test_a_wrong_password_and_a_login_of_nobody_are_both_refused(accounts):
    _member, token = accounts.add("ana-rivera", "Ana Rivera", "professional", "ana-rivera")
    accounts.set_password(token, PASSWORD)

    assert accounts.authenticate("ana-rivera", PASSWORD + "!") is None
    assert accounts.authenticate("nobody", PASSWORD) is None


@pytest.mark.parametrize("password, reason", [("short one", "at least 12"), ("aaaaaaaaaaaaaaa", "different"),
                                              ("ana-rivera-password", "login name")])
def test_a_weak_password_is_refused_with_its_reason(accounts, password, reason):
    _member, token = accounts.add("ana-rivera", "Ana Rivera", "professional", "ana-rivera")

    with pytest.raises(StaffError, match=reason):
        accounts.set_password(token, password)
    assert accounts.by_token(token) is not None          # the link still works for a better one
