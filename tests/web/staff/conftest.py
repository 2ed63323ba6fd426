"""The staff pages' tests: accounts made as `ivr staff add` makes them, logins through the real
login form (CSRF token and all), and a real headless Chromium driven by Playwright."""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.store.staff import StaffAccounts

ROOT = Path(__file__).resolve().parents[3]
#: Every page the browser tests open is kept here, at desk and at phone width (the README shows two).
SCREENSHOTS = ROOT / "build" / "screenshots"
PASSWORD = "a long enough pass phrase"
DESK, PHONE = {"width": 1280, "height": 800}, {"width": 375, "height": 740}


@dataclass(frozen=True)
class Account:
    login: str
    password: str
    role: str


def make_account(app, name: str, role: str, professional_id: str | None = None,
                 password: str = PASSWORD) -> Account:
    """An account as `ivr staff add` makes it, its password set through its one-time link."""
    ivr = app.extensions["ivr"]
    accounts = StaffAccounts(ivr.database, ivr.now)
    member, token = accounts.add(re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), name, role, professional_id)
    accounts.set_password(token, password)
    return Account(member.login, password, role)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, account: Account, password: str | None = None):
    """Log in through the form, as a browser would: GET it (a CSRF token), POST it back."""
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    return client.post("/staff/login", data={"csrf_token": token, "login": account.login,
                                             "password": account.password if password is None else password})


@pytest.fixture
def lead(app) -> Account:
    return make_account(app, "Lena Lead", "lead")


@pytest.fixture
def ana(app) -> Account:
    """Ana Rivera on the demo roster: English and Spanish."""
    return make_account(app, "Ana Rivera", "professional", "ana-rivera")


@pytest.fixture
def ben(app) -> Account:
    """Ben Carter on the demo roster: English only."""
    return make_account(app, "Ben Carter", "professional", "ben-carter")


@pytest.fixture
def line(make_app, serve, twilio):
    """The test's helpline served over real HTTP with the shipped recordings, on the clock of the
    test's simulated Twilio (each test file sets its `twilio`: its speed and its phones)."""
    from callers import AppClock, Line

    app = make_app(flows_check_seconds=0, audio_dir=ROOT / "audio")
    clock = app.extensions["ivr"].clock = AppClock(twilio.clock)
    yield Line(app, serve(app).url, twilio, clock)
    twilio.stop()
    app.extensions["ivr"].close()


# -- a real browser --------------------------------------------------------------------------------
def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (.ci/run installs both)."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESK)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def snap(page, name: str) -> None:
    """Keep a screenshot of the page as it is, at desk width and at a phone's 375 pixels."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(DESK)


def browser_log_in(page, url: str, account: Account) -> None:
    page.goto(f"{url}/staff/login")
    page.get_by_label("Login name").fill(account.login)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/staff/")
