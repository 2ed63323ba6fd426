"""A professional sees the callbacks and voicemails of their own languages, not another's, and not
a callback a colleague has claimed; the pages for the whole line are the leads'."""
from __future__ import annotations

import datetime

import pytest

from ivr.store.calls import CallRecords
from conftest import csrf_token, log_in

NOW = datetime.datetime(2026, 12, 2, 20, 0, tzinfo=datetime.timezone.utc)


def a_callback(app, n: int, language: str) -> int:
    records = CallRecords(app.extensions["ivr"].database)
    records.callback_requested(f"CA{n:032d}", "k" * 20, "+15017129934", language, NOW, helpline_number="+18005550100")
    return next(row.id for row in records.pending_callbacks() if row.call_sid == f"CA{n:032d}")


def a_voicemail(app, n: int, language: str) -> int:
    ivr = app.extensions["ivr"]
    CallRecords(ivr.database).voicemail_left(f"CA{n:032d}", "k" * 20, f"{ivr.settings.twilio_api_url}/2010-04-01/"
                                             f"Accounts/{ivr.settings.twilio_account_sid}/Recordings/RE{n:032d}",
                                             42, language, NOW, "+18005550100")
    return next(row.id for row in ivr.owed.voicemails(None, NOW) if row.call_sid == f"CA{n:032d}")


@pytest.fixture
def ben_client(app, ben):
    """Ben Carter speaks English only."""
    client = app.test_client()
    log_in(client, ben)
    return client


def test_a_professional_cannot_open_a_voicemail_or_recording_in_another_language(app, ben_client):
    spanish = a_voicemail(app, 1, "es")

    assert ben_client.get(f"/staff/voicemails/{spanish}").status_code == 403
    assert ben_client.get(f"/staff/recordings/{spanish}").status_code == 403
    page = ben_client.get("/staff/voicemails").get_data(as_text=True)
    assert f"Voicemail {spanish}" not in page


def test_a_professional_cannot_mark_handled_a_voicemail_in_another_language(app, ben_client):
    spanish = a_voicemail(app, 1, "es")
    token = csrf_token(ben_client.get("/staff/voicemails").get_data(as_text=True))

    refused = ben_client.post(f"/staff/voicemails/{spanish}/handled", data={"csrf_token": token})

    assert refused.status_code == 403
    assert app.extensions["ivr"].owed.voicemail(spanish).handled_at is None


def test_a_professional_sees_the_callbacks_of_their_languages_only(app, ben_client):
    english, spanish = a_callback(app, 1, "en"), a_callback(app, 2, "es")

    page = ben_client.get("/staff/callbacks").get_data(as_text=True)

    assert f"Callback {english}:" in page and f"Callback {spanish}:" not in page
    assert ben_client.get(f"/staff/callbacks/{spanish}").status_code == 403


def test_a_callback_a_colleague_claimed_is_theirs_but_the_lead_may_still_open_it(app, ben_client, lead):
    english = a_callback(app, 1, "en")
    app.extensions["ivr"].owed.claim_callback(english, "ana-rivera")
    lead_client = app.test_client()
    log_in(lead_client, lead)
    token = csrf_token(ben_client.get("/staff/callbacks").get_data(as_text=True))

    assert ben_client.get(f"/staff/callbacks/{english}").status_code == 403
    assert ben_client.post(f"/staff/callbacks/{english}/call", data={"csrf_token": token}).status_code == 403
    assert ben_client.post(f"/staff/callbacks/{english}/handled", data={"csrf_token": token}).status_code == 403
    assert lead_client.get(f"/staff/callbacks/{english}").status_code == 200


@pytest.mark.parametrize("page", ["/staff/calls", "/staff/reports", "/staff/reports/csv"])
def test_the_pages_about_the_whole_line_are_for_leads(ben_client, page):
    assert ben_client.get(page).status_code == 403


def test_a_professional_is_not_offered_the_leads_pages_in_the_menu(ben_client):
    page = ben_client.get("/staff/").get_data(as_text=True)

    assert 'href="/staff/voicemails"' in page and 'href="/staff/reports"' not in page
