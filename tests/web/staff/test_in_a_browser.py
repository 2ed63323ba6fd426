"""The staff pages in a real headless Chromium, with Twilio and the professionals' phones
simulated: a professional logs in, sets herself away and the next caller's 0 does not ring her,
sets herself available and it does; the lead watches a waiting caller appear on Now. Each page
is kept as a screenshot at desk and at phone width."""
from __future__ import annotations

import datetime
import re
import threading
import zoneinfo

import pytest
from playwright.sync_api import expect

from callers import call, call_in_background, simulated_twilio
from conftest import DESK, PHONE, browser_log_in, make_account, snap

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
#: Wednesday 10:00 in New York: on the demo roster Ana Rivera (en, es), Marisol Peña (es, en) and
#: Ben Carter (en) are on shift.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)
ANA, MARISOL, BEN = "+12025550101", "+12025550102", "+12025550103"


@pytest.fixture
def twilio():
    # 25 times the wall clock: a caller on hold waits (max_wait 300 s) 12 real seconds, long
    # enough for the Now board to refresh (every 5 s) while they wait.
    sim = simulated_twilio(25.0, WEDNESDAY_10AM)
    yield sim
    sim.stop()


def rung_for(line, *keys) -> set:
    """The professionals' phones one caller's keys ring (each phone's owner presses 1)."""
    before = len(line.twilio.phones.numbers())
    call(line, *keys)
    return set(line.twilio.phones.numbers()[before:])


def test_a_professional_set_away_is_not_rung_and_set_available_is_rung_again(line, page):
    ana = make_account(line.app, "Ana Rivera", "professional", "ana-rivera")
    browser_log_in(page, line.url, ana)
    snap(page, "now-professional")

    page.get_by_role("link", name="Me").click()
    expect(page.locator("#presence-now")).to_contain_text("You are available")
    page.get_by_role("button", name="Set me away").click()
    expect(page.locator("#presence-now")).to_contain_text("You are away")
    snap(page, "me-away")
    assert rung_for(line, "1", "0") == {MARISOL, BEN}

    page.get_by_role("button", name="I am available").click()
    expect(page.locator("#presence-now")).to_contain_text("You are available")
    assert ANA in rung_for(line, "1", "0")


def test_the_lead_sees_a_waiting_caller_appear_on_now_and_leave_when_they_hang_up(line, page):
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)
    expect(page.locator("#waiting-title")).to_have_text("Callers waiting: 0")
    line.twilio.default_phone = "no-answer"            # nobody picks up: the caller waits
    hang_up = threading.Event()

    caller, finished = call_in_background(line, "2", "0", on_hold=lambda heard: None if hang_up.is_set() else "")
    try:
        expect(page.locator("#waiting-title")).to_have_text("Callers waiting: 1", timeout=15_000)
        expect(page.locator("#board table").first).to_contain_text("Spanish")
        snap(page, "now-lead-caller-waiting")
    finally:
        hang_up.set()
        finished.result(timeout=60)
    expect(page.locator("#waiting-title")).to_have_text("Callers waiting: 0", timeout=15_000)


def test_the_lead_reads_the_week_report_and_downloads_it_as_csv_with_no_caller_number_in_it(line, page, tmp_path):
    from like_twilio import CALLER

    rung_for(line, "1", "0")                 # one call that reached a person
    line.ivr.calls.flush()
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)

    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 call in the week of")
    expect(page.get_by_role("img", name="Calls per hour of day")).to_be_visible()
    snap(page, "reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)

    text = saved.read_text()
    assert saved.name == "helpline-week-2026-11-23.csv"
    assert "calls_per_hour,10,1" in text and "outcome,talked,1" in text
    assert "menu_choice,main:choose-language=1,1" in text and "menu_choice,main:main-menu=0,1" in text
    assert CALLER not in text and CALLER[-10:] not in text


#: Each text of an SVG: its words, and whether it lies whole inside the picture's viewBox and, as
#: drawn, inside the svg's box on the page (nothing cut at an edge).
SVG_TEXTS = """svg => {
  const box = svg.viewBox.baseVal, drawn = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].map(t => {
    const b = t.getBBox(), r = t.getBoundingClientRect();
    return {words: t.textContent,
            inside: b.x >= box.x && b.y >= box.y && b.x + b.width <= box.x + box.width && b.y + b.height <= box.y + box.height
                    && r.left >= drawn.left - 0.5 && r.right <= drawn.right + 0.5 && r.right <= window.innerWidth};
  });
}"""


def test_each_call_is_named_for_where_it_ended_on_the_calls_page_and_in_the_reports_chart(line, page):
    a_finished_call(line, "CA" + "a" * 32, [])                                     # the first words, then gone
    a_finished_call(line, "CA" + "b" * 32, [("main:choose-language", "2")])        # Spanish, then the main menu
    a_finished_call(line, "CA" + "c" * 32, [("main:choose-language", "1"), ("main:main-menu", "3")])
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)

    page.get_by_role("link", name="Calls").click()
    assert sorted(page.locator("td[data-label=Outcome]").all_inner_texts()) == [
        "Heard information", "Hung up before choosing a language", "Hung up in a menu"]

    page.get_by_role("link", name="Reports").click()
    chart = page.get_by_role("img", name="What became of the calls")
    words = ["Talked with a professional", "Hung up waiting for a professional", "Asked to be called back",
             "Left a voicemail", "Put through to the backup line", "Heard information", "Hung up in a menu",
             "Hung up before choosing a language", "Not known yet"]
    for size in (DESK, PHONE):
        page.set_viewport_size(size)
        texts = chart.evaluate(SVG_TEXTS)
        assert [t["words"] for t in texts if not t["words"].isdigit()] == words
        assert [t["words"] for t in texts if not t["inside"]] == [], size
    for outcome in ("Heard information", "Hung up in a menu", "Hung up before choosing a language"):
        expect(page.locator("tr", has_text=outcome).locator("td[data-label=Calls]")).to_have_text("1")
    snap(page, "reports-outcomes")


def test_the_lead_sees_a_planted_flow_error_with_its_line_while_callers_hear_the_last_good_version(line, page):
    main = line.ivr.flows.directory / "main.yaml"
    text = main.read_text(encoding="utf-8")
    line_of_goto = text[:text.index("goto:")].count("\n") + 1
    main.write_text(text.replace("goto:", "got:", 1), encoding="utf-8")       # a staff editor's typo
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)

    page.get_by_role("link", name="Flows").click()
    expect(page.get_by_role("alert")).to_contain_text("callers keep hearing the version above")
    row = page.locator("tr.problem-error", has_text="unknown field 'got'")
    expect(row).to_contain_text(f"{line_of_goto}:")
    expect(row).to_contain_text("did you mean 'goto'?")
    snap(page, "flows-with-an-error")
    assert rung_for(line, "1", "0")                    # and the line still plays


def test_the_lead_sees_the_coming_weeks_coverage_on_the_roster_page(line, page):
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)

    page.get_by_role("link", name="Roster").click()

    expect(page.locator("#cover-en")).to_contain_text("English: 0 gap hours")
    expect(page.locator("#cover-es")).to_contain_text("Spanish: 0 gap hours")
    expect(page.locator("table.heat").first.locator("td.cell-covered").first).to_be_visible()
    snap(page, "roster")


def test_call_back_now_rings_the_professionals_phone_first_then_the_caller_from_the_helpline(line, page):
    from like_twilio import CALL_PARAMS, call_params, signed_post, wait_for

    helpline, typed = CALL_PARAMS["To"], "+12025550199"
    sid, query = "CA" + "5" * 32, "at=main:request-callback&lang=es&tries=0"
    # A Spanish caller typed their number on hold and confirmed it.
    assert signed_post(f"{line.url}/voice/callback-number?{query}", call_params(sid, Digits=typed[2:])).ok
    assert signed_post(f"{line.url}/voice/callback-confirm?{query}", call_params(sid, Digits="1")).ok
    ana = make_account(line.app, "Ana Rivera", "professional", "ana-rivera")
    browser_log_in(page, line.url, ana)

    page.get_by_role("link", name="Callbacks").click()
    card = page.locator("li.card", has_text="Spanish")
    expect(card).to_be_visible()
    snap(page, "callbacks")
    card.get_by_role("button", name="Call back now").click()
    expect(page.get_by_role("status")).to_contain_text("Your phone is ringing")

    placed = [params for method, path, params in list(line.twilio.requests) if path.endswith("/Calls.json")]
    assert [(p["To"], p["From"]) for p in placed] == [([ANA], [helpline])]     # her phone first, showing the helpline
    assert wait_for(lambda: [c for c in line.twilio.calls.values() if c.direction == "outbound-dial"], timeout=15)
    [dialed] = [c for c in line.twilio.calls.values() if c.direction == "outbound-dial"]
    assert (dialed.to, dialed.from_) == (typed, helpline)                   # then the caller, from the helpline
    page.reload()
    assert typed[2:] not in page.content() and typed[-4:] not in page.inner_text("main")


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, button, audio')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
  .map(e => e.outerHTML)"""


WIDER_THAN_THE_SCREEN = "document.documentElement.scrollWidth"


def a_finished_call(line, sid: str, path: list, seconds: int = 95) -> None:
    """A call recorded as the helpline records one: its start, each menu answered, its end."""
    from like_twilio import CALLER

    started = line.ivr.now() - datetime.timedelta(seconds=seconds)
    line.ivr.calls.call_started(sid, CALLER, started.timestamp())
    for index, (step, answer) in enumerate(path):
        line.ivr.calls.step_taken(sid, step, answer, started.timestamp() + index + 1)
    line.ivr.calls.flush()
    line.ivr.calls.call_status(sid, "completed", seconds, "", line.ivr.now())


def a_callback_owed(line, sid: str, owed: datetime.timedelta) -> int:
    """A Spanish caller's confirmed callback, asked for `owed` ago; its id."""
    line.ivr.calls.callback_requested(sid, "", "+12025550199", "es", line.ivr.now() - owed)
    [row] = [row for row in line.ivr.calls.pending_callbacks() if row.call_sid == sid]
    return row.id


#: A caller who went through every topic and back, twice: 24 steps, each with its key.
LONG_PATH = [("main:choose-language", "1")] + [
    (f"health-info:{topic}-menu", key) for _ in range(2)
    for topic, key in (("myoclonus", "1"), ("myoclonus", "9"), ("opioid-link", "2"), ("opioid-link", "9"),
                       ("oin", "1"), ("oin", "9"), ("warning", "1"), ("warning", "9"),
                       ("what-to-do", "1"), ("what-to-do", "2"), ("what-to-do", "9"))] + [("main:main-menu", "0")]


def test_every_page_fits_a_phone_screen_and_names_every_control(line, page):
    a_finished_call(line, "CA" + "7" * 32, LONG_PATH, seconds=600)
    callback = a_callback_owed(line, "CA" + "8" * 32, datetime.timedelta(minutes=5))
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)
    pages = [link.get_attribute("href") for link in page.get_by_role("navigation").get_by_role("link").all()]
    assert len(pages) >= 8
    pages += ["/staff/flows/main", "/staff/flows/health-info", f"/staff/callbacks/{callback}"]

    for href in pages:
        page.set_viewport_size({"width": 375, "height": 740})
        page.goto(line.url + href)
        assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 375, f"{href} is wider than a phone"
        assert page.evaluate(UNLABELLED) == [], href
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("h1").count() == 1, href
        snap(page, "page-" + (href.removeprefix("/staff/").strip("/").replace("/", "-") or "now"))
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(line.url + "/staff/calls")
    expect(page.locator("td[data-label=Path]").first).to_contain_text("main-menu 0")   # the path's end is on screen
    assert page.locator("td[data-label=Path] .step").last.bounding_box()["x"] < 375
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()      # the login page has loaded
    assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 375, "the login page is wider than a phone"
    snap(page, "page-login")


def test_after_setting_a_password_the_login_page_knows_who_they_are_and_asks_only_the_password(line, page):
    from ivr.store.staff import StaffAccounts
    from conftest import PASSWORD

    _, token = StaffAccounts(line.ivr.database, line.ivr.now).add("ana-rivera", "Ana Rivera", "professional",
                                                                 "ana-rivera")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{line.url}/staff/set-password/{token}")
    assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 375, "the set-password page is wider than a phone"
    snap(page, "page-set-password")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()

    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    expect(page.get_by_label("Login name")).to_have_value("ana-rivera")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{line.url}/staff/")


def test_every_page_has_an_icon_and_the_browser_finds_one_at_favicon_ico_too(line, page):
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
    page.goto(f"{line.url}/staff/login")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    for url in (line.url + icon, line.url + "/favicon.ico"):
        answer = page.request.get(url)
        assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml"), url
        assert answer.body().startswith(b"<svg")
    assert missing == []


def test_a_callback_says_how_long_it_has_been_owed_and_how_many_tries_so_far(line, page):
    from ivr.store.callback_tries import CallbackTries

    fresh = a_callback_owed(line, "CA" + "1" * 32, datetime.timedelta(minutes=20))
    tried = a_callback_owed(line, "CA" + "2" * 32, datetime.timedelta(hours=2, minutes=10))
    for leg in ("CA" + "3" * 32, "CA" + "4" * 32):
        CallbackTries(line.ivr.database).learn(leg, tried, line.ivr.now(), lambda row: ("no-answer", True),
                                               dial_status="no-answer")
    ana = make_account(line.app, "Ana Rivera", "professional", "ana-rivera")
    browser_log_in(page, line.url, ana)

    page.get_by_role("link", name="Callbacks").click()
    # The page's clock runs with the test's simulated Twilio (25 times the wall's): a minute may pass.
    expect(page.locator(f"#callback-{fresh}")).to_contain_text(re.compile(r"owed 2\d min\.\s+No tries yet\."))
    expect(page.locator(f"#callback-{tried}")).to_contain_text(
        re.compile(r"owed 2 h 1\d min\.\s+2 tries so far, the last: no answer\."))
    expect(page.locator(f"#callback-{tried}").get_by_role("button", name="Call back now")).to_be_visible()


def test_a_lead_who_is_not_on_the_roster_is_not_offered_call_back_now_and_is_told_why(line, page):
    callback = a_callback_owed(line, "CA" + "1" * 32, datetime.timedelta(minutes=20))
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)

    for link in ("Callbacks", "Me"):
        page.get_by_role("link", name=link).click()
        card = page.locator(f"#callback-{callback}")
        expect(card).to_be_visible()
        expect(card.get_by_role("button", name="Call back now")).to_have_count(0)
        expect(card.get_by_role("button", name=f"Mark callback {callback} done")).to_be_visible()
        expect(page.locator("main")).to_contain_text("You are not on the roster, so the helpline has no phone of yours")
        expect(page.locator("main")).not_to_contain_text("Call back now rings your phone first")

def test_the_lead_opens_the_main_flow_as_a_diagram_with_its_keys(line, page):
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)

    page.get_by_role("link", name="Flows").click()
    page.get_by_role("link", name="main", exact=True).click()

    diagram = page.locator(".diagram svg")
    expect(diagram).to_be_visible()
    expect(diagram.get_by_text("main-menu", exact=True).first).to_be_visible()
    expect(page.locator("ul.outline")).to_contain_text("main-menu (menu): ")
    snap(page, "flow-diagram")


#: The flow diagram's edge labels that overlap another, and each step's name as drawn with whether
#: it is whole (its title's name, no '…') and lies inside its box.
DIAGRAM_CROWDING = """svg => {
  const labels = [...svg.querySelectorAll('text.edge-label')].map(t => [t.textContent, t.getBBox()]);
  const overlapping = [];
  labels.forEach(([a, p], i) => labels.slice(i + 1).forEach(([b, q]) => {
    if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height)
      overlapping.push(a + ' / ' + b);
  }));
  const names = [...svg.querySelectorAll('text.step-name')].map(t => {
    const shape = t.parentNode.querySelector('rect, polygon, ellipse').getBBox(), b = t.getBBox();
    const title = t.parentNode.querySelector('title').textContent;
    return {name: t.textContent, whole: title.startsWith(t.textContent + ' (') && !t.textContent.includes('\u2026'),
            inside: b.x >= shape.x && b.x + b.width <= shape.x + shape.width};
  });
  return {labels: labels.length, overlapping, names};
}"""


@pytest.mark.parametrize("flow", ["main", "health-info"])
def test_a_flow_diagram_has_no_edge_label_over_another_and_every_step_name_whole(line, page, flow):
    lead = make_account(line.app, "Lena Lead", "lead")
    browser_log_in(page, line.url, lead)
    page.goto(f"{line.url}/staff/flows/{flow}")

    drawn = page.locator(".diagram svg").evaluate(DIAGRAM_CROWDING)
    assert drawn["labels"] > 5
    assert drawn["overlapping"] == []
    assert [n["name"] for n in drawn["names"] if not n["whole"] or not n["inside"]] == []
    snap(page, f"flow-diagram-{flow}")


def test_a_voicemail_left_in_a_call_is_texted_to_the_right_professional_and_played_and_handled_on_the_page(line, page):
    from ivr.sim.phone import HttpTransport, Phone, scripted
    from like_twilio import AUTH_TOKEN, CALLER, wait_for

    line.twilio.default_phone = "no-answer"
    Phone(HttpTransport(), AUTH_TOKEN, base_url=line.url, from_number=CALLER, twilio=line.twilio).call(
        scripted(["2", "0", "hold:1"]))                       # Spanish, a person, nobody free: a voicemail
    assert wait_for(lambda: len(line.twilio.messages) == 2, timeout=10)
    assert sorted(m["to"] for m in line.twilio.messages) == sorted([ANA, MARISOL])     # not Ben: no Spanish
    link = line.twilio.messages[0]["body"].split("Open: ")[1]
    ana = make_account(line.app, "Ana Rivera", "professional", "ana-rivera")

    page.goto(link)                                             # the text's link, logged out: log in first
    page.get_by_label("Login name").fill(ana.login)
    page.get_by_label("Password").fill(ana.password)
    page.get_by_role("button", name="Log in").click()
    card = page.locator("li.card", has_text="Spanish")
    expect(card).to_be_visible()
    assert page.url == link
    audio_url = card.locator("audio").get_attribute("src")
    heard = page.request.get(line.url + audio_url)
    assert heard.status == 200 and heard.headers["content-type"].startswith("audio/") and len(heard.body()) > 100
    snap(page, "voicemail")

    card.get_by_role("button", name="Mark voicemail").click()
    expect(page.get_by_role("status")).to_contain_text("The recording is deleted at Twilio")
    assert line.twilio.recordings == {}
    assert page.request.get(line.url + audio_url).status == 404
