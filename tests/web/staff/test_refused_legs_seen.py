"""A leg Twilio refuses to place (4xx) must not pass unnoticed: the operator on call finds its error
code in the log and a count of it on /metrics, and the leads see it on the Now page in plain words.
Here the roster's caller_id is not a number of the account nor a verified caller ID, so the simulated
Twilio refuses every leg with 21210, as the real one does — over signed requests, on SQLite and on a
real PostgreSQL."""
from __future__ import annotations

import datetime
import html
import logging
import zoneinfo

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ivr.sim.clock import SimClock
from conftest import log_in
from like_twilio import CALLER, call_params, client_post, wait_for

#: Wednesday 10:00 in New York: Ana Rivera, Marisol Peña and Ben Carter are on shift.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
#: Neither a number of the simulated account nor one of its verified caller IDs.
UNVERIFIED_CALLER_ID = "+12025550199"
IDS = {"+12025550101": "ana-rivera", "+12025550102": "marisol-pena", "+12025550103": "ben-carter"}
CALLER_SID = "CA" + "7" * 32
PRESS_0 = "http://localhost/voice/step?at=main:main-menu&lang=en&tries=0"
#: What 21210 means, as the leads read it.
CALLER_ID_REFUSED = ("21210: the number calls are placed from is neither a number of this Twilio account "
                     "nor one of its verified caller IDs")


@pytest.fixture
def app(make_app, twilio, flows_dir, database_url):
    """A helpline whose roster shows professionals a caller ID Twilio will not place calls from."""
    roster = flows_dir / "roster.yaml"
    roster.write_text(roster.read_text(encoding="utf-8") + f'caller_id: "{UNVERIFIED_CALLER_ID}"\n',
                      encoding="utf-8")
    twilio.clock = SimClock(50.0, start=WEDNESDAY_10AM.astimezone(datetime.timezone.utc))
    twilio.caller_ids = set()                  # only the account's own number may be shown
    app = make_app(database_url=database_url)
    app.extensions["ivr"].clock = twilio.clock
    yield app
    app.extensions["ivr"].close()
    app.extensions["ivr"].database.dispose()


def a_caller_presses_0_and_every_leg_is_refused(app, twilio) -> list:
    """The numbers Twilio refused to ring, once call control has given up on every leg of the round."""
    ivr = app.extensions["ivr"]
    assert client_post(app.test_client(), PRESS_0, call_params(CALLER_SID, Digits="0")).status_code == 200
    since = ivr.now() - datetime.timedelta(hours=1)
    assert wait_for(lambda: ivr.twilio_problems.recent(since) and not ivr.offers.live(), timeout=10)
    refused = [params["To"][0] for method, path, params in list(twilio.requests)
               if method == "POST" and path.endswith("/Calls.json")]
    assert refused and set(refused) <= set(IDS)
    return refused


def leg_refusals_counted(client) -> float:
    """ivr_twilio_refusals_total for legs refused with 21210, as a Prometheus scrape reads it."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return sum(sample.value for family in text_string_to_metric_families(response.get_data(as_text=True))
               for sample in family.samples if sample.name == "ivr_twilio_refusals_total"
               and sample.labels == {"kind": "leg-refused", "code": "21210"})


def test_the_log_names_twilios_error_code_for_each_leg_it_refused(app, twilio, caplog):
    """The operator on call searches the log for the code Twilio's error pages are filed under."""
    caplog.set_level(logging.ERROR, logger="ivr.calls.offering")

    refused = a_caller_presses_0_and_every_leg_is_refused(app, twilio)

    lines = [record.getMessage() for record in caplog.records
             if record.name == "ivr.calls.offering" and record.levelno == logging.ERROR]
    for number in refused:
        said = [line for line in lines if line.startswith(f"could not ring {IDS[number]} for call {CALLER_SID}")]
        assert len(said) == 1 and "(error 21210)" in said[0], lines
        assert CALLER not in said[0] and number not in said[0]


def test_metrics_count_each_leg_twilio_refused_by_its_error_code(app, twilio):
    """A dashboard or an alert on ivr_twilio_refusals_total shows legs refused, not a quiet line."""
    client = app.test_client()
    before = leg_refusals_counted(client)      # the process's counter: other tests count too

    refused = a_caller_presses_0_and_every_leg_is_refused(app, twilio)

    assert leg_refusals_counted(client) - before == len(refused)


def test_leads_see_on_the_now_page_who_twilio_refused_to_ring_and_what_its_code_means(app, twilio, lead, ana):
    refused = a_caller_presses_0_and_every_leg_is_refused(app, twilio)

    as_lead, as_ana = app.test_client(), app.test_client()
    log_in(as_lead, lead)
    log_in(as_ana, ana)
    page = html.unescape(as_lead.get("/staff/").get_data(as_text=True))
    board = html.unescape(as_lead.get("/staff/now/board").get_data(as_text=True))
    assert f"Twilio problems in the last 24 hours: {len(refused)}" in page
    for number in refused:
        assert f"Twilio refused to ring a professional (ringing {IDS[number]})" in page
        assert f"Twilio refused to ring a professional (ringing {IDS[number]})" in board    # its live refresh
    assert page.count(CALLER_ID_REFUSED) == len(refused)
    assert CALLER not in page and UNVERIFIED_CALLER_ID not in page and not any(number in page for number in IDS)
    assert "Twilio problems" not in as_ana.get("/staff/").get_data(as_text=True)          # the leads' to act on
