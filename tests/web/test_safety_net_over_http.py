"""When something is broken (no flows, no database, a step that vanished) a caller still reaches a person."""
import pytest
import requests

from ivr.store.calls import CallRecords
from ivr.store.database import open_database
from ivr.store.offers import OfferStore
from ivr.store.presence import PresenceStore
from ivr.store.waits import WaitStore
from like_twilio import (BACKUP_LINE, ROSTER_PHONES, call_params, dialed_numbers, parse_twiml, problems_for_a_caller,
                         signed_post, spoken, wait_for)

UNREACHABLE_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none"
VOICE_ROUTES = [
    ("/voice/incoming", {}),
    ("/voice/step?at=main:main-menu&lang=en&tries=0", {"Digits": "1"}),
    ("/voice/step?at=main:main-menu&lang=en&tries=0&heard=nothing", {}),
    ("/voice/done?at=main:leave-voicemail&lang=en&tries=0", {}),
    ("/voice/dialed?at=main:talk-to-someone&lang=en&tries=0", {"DialCallStatus": "no-answer"}),
    ("/voice/fallback", {"ErrorCode": "11200"}),
]


def assert_backup_line(response, words: bool = True):
    """The backup line is dialled; with flows that ever loaded (or a readable main.yaml), after the
    flows' own words on what went wrong and the emergency numbers."""
    assert response.status_code == 200, response.text
    document = parse_twiml(response.text)
    assert dialed_numbers(document) == [BACKUP_LINE]
    if words:
        assert any("911" in text for text in spoken(document))
    assert problems_for_a_caller(document) == []


def without_database(app):
    """Point the app's records, waits, offers and presence at a PostgreSQL nobody is listening for."""
    broken = open_database(UNREACHABLE_DATABASE)
    ivr = app.extensions["ivr"]
    ivr.database, ivr.calls = broken, CallRecords(broken)
    ivr.callback_requests.records = ivr.caller_line.records = ivr.calls
    for holder in (ivr, ivr.control):
        holder.waits, holder.offers, holder.presence = WaitStore(broken), OfferStore(broken), PresenceStore(broken)
    return app


class FlowsThatFail:
    """Flows whose every read raises, as a disk or loader failure would."""

    def current(self):
        raise RuntimeError("the flows cannot be read")


def test_the_fallback_url_answers_the_backup_line_with_no_flows_and_no_database(make_app, serve, tmp_path):
    app = without_database(make_app(flows_dir=tmp_path / "no-such-flows"))
    server = serve(app)

    assert_backup_line(signed_post(server.url + "/voice/fallback", call_params(ErrorCode="11200")), words=False)


def test_the_fallback_url_answers_the_backup_line_when_reading_the_flows_raises(make_app, serve):
    app = without_database(make_app())
    app.extensions["ivr"].flows = FlowsThatFail()
    server = serve(app)

    assert_backup_line(signed_post(server.url + "/voice/fallback", call_params(ErrorCode="11200")))


@pytest.mark.parametrize("route, extra", VOICE_ROUTES, ids=[r for r, _ in VOICE_ROUTES])
def test_a_helpline_started_without_its_flows_answers_every_request_with_the_backup_line(
        make_app, serve, tmp_path, route, extra):
    server = serve(make_app(flows_dir=tmp_path / "no-such-flows"))

    assert_backup_line(signed_post(server.url + route, call_params(**extra)), words=False)


@pytest.mark.parametrize("route, extra", VOICE_ROUTES, ids=[r for r, _ in VOICE_ROUTES])
def test_with_no_flows_and_no_database_every_request_gets_the_backup_line(make_app, serve, tmp_path, route, extra):
    server = serve(without_database(make_app(flows_dir=tmp_path / "no-such-flows")))

    assert_backup_line(signed_post(server.url + route, call_params(**extra)), words=False)


@pytest.mark.parametrize("route, extra", VOICE_ROUTES[:-1], ids=[r for r, _ in VOICE_ROUTES[:-1]])
def test_when_reading_the_flows_raises_every_request_gets_the_backup_line(make_app, serve, route, extra):
    app = make_app()
    app.extensions["ivr"].flows = FlowsThatFail()
    server = serve(app)

    assert_backup_line(signed_post(server.url + route, call_params(**extra)))


def test_a_helpline_started_without_its_flows_reports_itself_unhealthy(make_app, serve, tmp_path):
    server = serve(make_app(flows_dir=tmp_path / "no-such-flows"))

    assert requests.get(server.url + "/healthz", timeout=15).status_code == 503


def test_a_database_outage_does_not_keep_a_caller_from_the_emergency_notice_and_the_menu(make_app, serve):
    server = serve(without_database(make_app()))

    response = signed_post(server.url + "/voice/incoming", call_params())

    assert response.status_code == 200
    document = parse_twiml(response.text)
    assert document[0].tag == "Gather" and "911" in spoken(document)[0]
    assert problems_for_a_caller(document) == []


def test_a_status_callback_during_a_database_outage_asks_twilio_to_retry(make_app, serve):
    server = serve(without_database(make_app()))

    response = signed_post(server.url + "/voice/status", call_params(CallStatus="completed", CallDuration="30"))

    assert response.status_code == 503


def test_a_helpline_started_while_its_database_is_down_still_answers_the_fallback_url(make_app, serve):
    """Twilio's fallback URL is served by this same app: if the app cannot start, nothing answers."""
    server = serve(make_app(database_url=UNREACHABLE_DATABASE))

    assert_backup_line(signed_post(server.url + "/voice/fallback", call_params(ErrorCode="11200")))


# -- a step that no longer exists --------------------------------------------------------------------
@pytest.mark.parametrize("route, extra", [
    ("/voice/step?at=main:deleted-step&lang=en&tries=0", {"Digits": "1"}),
    ("/voice/step?at=main:deleted-step&lang=es&tries=2", {"Digits": "5"}),
    ("/voice/step?at=main:deleted-step&lang=en&tries=0", {"SpeechResult": "hello"}),
    ("/voice/step?at=main:deleted-step&lang=en&tries=0&heard=nothing", {}),
    ("/voice/step?at=deleted-flow:main-menu&lang=en&tries=0", {"Digits": "1"}),
    ("/voice/step?at=main-menu&lang=en&tries=0", {"Digits": "1"}),
    ("/voice/step", {"Digits": "1"}),
    ("/voice/done?at=main:deleted-step&lang=en&tries=0", {}),
    ("/voice/dialed?at=main:deleted-step&lang=en&tries=0", {"DialCallStatus": "no-answer"}),
])
def test_a_url_for_a_step_that_no_longer_exists_reaches_a_person(live_server, twilio, route, extra):
    response = signed_post(live_server.url + route, call_params(**extra))

    assert response.status_code == 200
    document = parse_twiml(response.text)
    assert document.find("Enqueue") is not None, response.text      # waiting for a person…
    assert wait_for(lambda: [c.to for c in twilio.calls.values() if c.direction == "outbound-api"])
    assert {c.to for c in twilio.calls.values() if c.direction == "outbound-api"} <= ROSTER_PHONES  # …rung
    assert problems_for_a_caller(document) == []


def test_a_caller_who_asks_for_a_person_during_a_database_outage_reaches_the_backup_line(make_app, serve):
    server = serve(without_database(make_app()))

    assert_backup_line(signed_post(server.url + "/voice/step?at=main:main-menu&lang=en&tries=0",
                                   call_params(Digits="0")))


def test_a_caller_who_asks_for_a_person_while_twilio_refuses_to_place_calls_reaches_the_backup_line(
        make_app, serve, twilio):
    twilio.auth_token = "not-what-the-helpline-sends"        # every REST request: 401
    server = serve(make_app())
    first = signed_post(server.url + "/voice/step?at=main:main-menu&lang=en&tries=0", call_params(Digits="0"))
    assert first.status_code == 200
    control = server.app.extensions["ivr"].control
    assert wait_for(lambda: control.twilio_down)

    response = signed_post(server.url + "/voice/step?at=main:main-menu&lang=en&tries=0", call_params(Digits="0"))

    assert_backup_line_step(response)
    hold = signed_post(server.url + "/voice/hold?at=main:wait-for-someone&lang=en&tries=0", call_params())
    assert [verb.tag for verb in parse_twiml(hold.text)] == ["Leave"]        # nobody can be rung: on


def assert_backup_line_step(response):
    """The flow's own backup-line step: its words, then the partner line."""
    assert response.status_code == 200, response.text
    document = parse_twiml(response.text)
    assert dialed_numbers(document) == [BACKUP_LINE]
    assert problems_for_a_caller(document) == []


def test_a_helpline_started_on_a_broken_edit_still_says_what_went_wrong_before_the_backup_line(
        make_app, serve, flows_dir):
    main = flows_dir / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("goto: welcome", "goto: welcom"), encoding="utf-8")
    app = make_app()
    assert app.extensions["ivr"].flows.current() is None            # never a good version
    server = serve(app)

    response = signed_post(server.url + "/voice/incoming", call_params())

    assert_backup_line(response)                                     # main.yaml's own words, read leniently
    assert requests.get(server.url + "/healthz", timeout=15).json()["saved_flows"] == "broken"
