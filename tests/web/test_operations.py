"""What the operator on call sees: /healthz, /readyz, /metrics and JSON log lines — the numbers a
busy night shows, and never a caller's phone number."""
from __future__ import annotations

import json
import logging
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from like_twilio import CALLER, call_params, client_post

#: A PostgreSQL nobody listens for: the database is down.
UNREACHABLE_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none"
MENU = "http://localhost/voice/step?at=main:main-menu&lang=en&tries=0"


def samples(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert CALLER[-7:] not in text and CALLER[2:] not in text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_call_and_its_menu_presses_are_counted_by_step_key_and_route(client):
    before = samples(client)
    sid = "CA" + "4" * 32
    assert client_post(client, "http://localhost/voice/incoming", call_params(sid)).status_code == 200
    for key in ("1", "1", "7"):
        client_post(client, MENU, call_params(sid, Digits=key))
    client_post(client, MENU + "&heard=nothing", call_params(sid))
    after = samples(client)

    def grew(name, **labels):        # the counters are the process's: other tests count too
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("ivr_calls_total") == 1
    assert grew("ivr_menu_choices_total", step="main:main-menu", choice="1") == 2
    assert grew("ivr_menu_choices_total", step="main:main-menu", choice="7") == 1
    assert grew("ivr_menu_choices_total", step="main:main-menu", choice="silence") == 1
    assert grew("ivr_webhook_seconds_count", route="/voice/step") == 4
    assert value(after, "ivr_records_waiting") >= 0 and value(after, "ivr_callers_waiting") == 0


def test_a_caller_waiting_for_a_person_shows_on_the_live_numbers(make_app, twilio):
    twilio.phones.update({number: "no-answer" for number in __import__("like_twilio").ROSTER_PHONES})
    client = make_app().test_client()
    sid = "CA" + "5" * 32
    client_post(client, "http://localhost/voice/incoming", call_params(sid))
    client_post(client, MENU, call_params(sid, Digits="0"))

    assert value(samples(client), "ivr_callers_waiting") == 1


def test_readyz_is_ready_with_flows_and_a_database_and_says_what_is_missing_otherwise(client, make_app):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["ready"] is True and ready.get_json()["database"] == "ok"

    down = make_app(database_url=UNREACHABLE_DATABASE).test_client().get("/readyz")
    assert down.status_code == 503
    assert down.get_json()["database"].startswith("unreachable") and down.get_json()["flows"] == "ok"
    # The process itself still answers callers: a load balancer keeps it (see health.py).
    assert make_app(database_url=UNREACHABLE_DATABASE).test_client().get("/healthz").status_code == 200


def test_a_broken_flow_edit_is_counted_and_shown_while_the_last_good_flows_play(make_app, flows_dir):
    app = make_app(flows_check_seconds=0)
    client = app.test_client()
    before = value(samples(client), "ivr_flow_reload_failures_total", what="flows")
    main = flows_dir / "main.yaml"
    main.write_text(main.read_text().replace("type: menu", "type: manu", 1))

    after = samples(client)
    assert value(after, "ivr_flow_reload_failures_total", what="flows") == before + 1
    assert value(after, "ivr_saved_flows_broken") == 1
    assert client.get("/readyz").get_json()["flows"].startswith("saved files broken")


def test_json_logs_give_one_line_per_webhook_with_the_call_route_step_status_and_time(make_app, caplog):
    from ivr.web.observe import JsonLines

    client = make_app(log_format="json").test_client()
    sid = "CA" + "6" * 32
    with caplog.at_level(logging.INFO, logger="ivr.webhook"):
        client_post(client, "http://localhost/voice/incoming", call_params(sid))
        client_post(client, MENU, call_params(sid, Digits="2"))
    lines = [json.loads(JsonLines().format(record)) for record in caplog.records if record.name == "ivr.webhook"]

    assert [(line["call_sid"], line["route"], line["step"], line["status"]) for line in lines] == [
        (sid, "/voice/incoming", "", "200"), (sid, "/voice/step", "main:main-menu", "200")]
    assert all(isinstance(line["ms"], float) for line in lines)
    assert not any(re.search(r"\d{7}", json.dumps(line).replace(sid, "")) for line in lines)


def test_an_unknown_log_format_is_refused_at_start_up(make_app):
    from ivr.config import ConfigError

    with pytest.raises(ConfigError, match="IVR_LOG_FORMAT"):
        make_app(log_format="xml")


def test_under_gunicorn_every_scrape_counts_every_workers_calls(served, tmp_path):
    import requests

    from like_twilio import signed_post

    server = served("metrics", f"sqlite:///{tmp_path / 'helpline.db'}", workers=2)
    for n in range(12):            # spread over both workers by the kernel
        assert signed_post(server.url + "/voice/incoming", call_params(f"CA{n:032d}")).status_code == 200

    counts = set()
    for _ in range(6):             # whichever worker answers the scrape
        text = requests.get(server.url + "/metrics", timeout=10).text
        found = {sample.name: sample.value for family in text_string_to_metric_families(text)
                 for sample in family.samples}
        counts.add(found["ivr_calls_total"])
    assert counts == {12.0}


def test_the_sample_dashboard_shows_only_numbers_the_helpline_serves(client):
    from pathlib import Path

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json").read_text())
    wanted = {name for panel in dashboard["panels"] for target in panel["targets"]
              for name in re.findall(r"\bivr_[a-z_]+", target["expr"])}
    text = client.get("/metrics").get_data(as_text=True)
    served = {family.name + suffix for family in text_string_to_metric_families(text)
              for suffix in ("", "_total", "_bucket", "_count", "_sum")}

    assert wanted and wanted <= served, wanted - served
