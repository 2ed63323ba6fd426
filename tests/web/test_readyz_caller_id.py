"""/readyz says whether Twilio will place calls from the roster's caller_id — a number of the
account or a verified caller ID, else every leg is refused with 21210 and nobody is rung — asking
Twilio's REST API at most once every few minutes however often it is probed."""
from __future__ import annotations

import datetime

CALLER_ID = "+12025550199"


class ManualClock:
    def __init__(self):
        self.now = datetime.datetime(2026, 12, 7, 15, 0, tzinfo=datetime.timezone.utc)

    def __call__(self):
        return self.now


def with_caller_id(flows_dir, caller_id: str = CALLER_ID) -> None:
    roster = flows_dir / "roster.yaml"
    roster.write_text(roster.read_text(encoding="utf-8").replace(
        "timezone: America/New_York", f'timezone: America/New_York\ncaller_id: "{caller_id}"', 1), encoding="utf-8")


def asked(twilio) -> int:
    """How many times the helpline asked Twilio about its caller IDs."""
    return sum(1 for method, path, _ in list(twilio.requests) if path.endswith("/OutgoingCallerIds.json"))


def test_readyz_names_a_caller_id_twilio_would_refuse_and_asks_twilio_once_every_five_minutes(make_app, flows_dir,
                                                                                            twilio):
    with_caller_id(flows_dir)
    app = make_app()
    clock = app.extensions["ivr"].clock = ManualClock()
    client = app.test_client()

    probes = [client.get("/readyz") for _ in range(5)]

    assert all(probe.status_code == 200 for probe in probes)
    body = probes[-1].get_json()
    assert body["caller_id"].startswith(f"the roster's caller_id {CALLER_ID} is neither a number of this account "
                                        "nor one of its verified caller IDs")
    assert "(error 21210)" in body["caller_id"]
    assert [item for item in body["attention"] if item.startswith("caller ID: ")]
    assert asked(twilio) == 1

    twilio.caller_ids = {"+18005550100", CALLER_ID}     # the operator verifies it in the console
    clock.now += datetime.timedelta(minutes=4)
    assert "21210" in client.get("/readyz").get_json()["caller_id"]        # the answer of 4 minutes ago
    clock.now += datetime.timedelta(minutes=1)
    assert client.get("/readyz").get_json()["caller_id"] == "ok"
    assert asked(twilio) == 2


def test_readyz_says_the_caller_id_is_fine_when_it_is_a_number_of_the_account(make_app, flows_dir, twilio):
    with_caller_id(flows_dir, "+18005550100")          # the simulated account's own number
    body = make_app().test_client().get("/readyz").get_json()
    assert body["caller_id"] == "ok"
    assert not [item for item in body["attention"] if item.startswith("caller ID")]
    assert asked(twilio) == 0                           # found among its IncomingPhoneNumbers first


def test_readyz_without_a_roster_caller_id_asks_twilio_nothing(client, twilio):
    body = client.get("/readyz").get_json()
    assert body["caller_id"].startswith("ok (calls go from the number each caller dialled")
    assert not [path for _, path, _ in list(twilio.requests) if "PhoneNumbers" in path or "CallerIds" in path]


def test_readyz_says_unknown_when_twilio_cannot_be_asked_and_stays_ready(make_app, flows_dir, twilio):
    with_caller_id(flows_dir)
    twilio.stop()                                       # Twilio out of reach
    ready = make_app().test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["caller_id"].startswith("unknown (Twilio could not be asked: ")
