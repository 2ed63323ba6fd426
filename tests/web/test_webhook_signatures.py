"""Only Twilio may drive a call: forged, replayed and tampered requests are refused (and logged)."""
import logging

import pytest
import requests

from like_twilio import AUTH_TOKEN, SHARED_KEY_ID, SHARED_KEY_SECRET, call_params, parse_twiml, signed_post

MAIN_MENU = "/voice/step?at=main:main-menu&lang=en&tries=0"
ROUTES = ["/voice/incoming", MAIN_MENU, "/voice/done?at=main:leave-voicemail&lang=en&tries=0",
          "/voice/dialed?at=main:talk-to-someone&lang=en&tries=0", "/voice/fallback", "/voice/status"]
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
SHA256_SETTINGS = f"key={SHARED_KEY_ID},algorithm=HMAC_SHA256"


def answered(response) -> bool:
    return response.status_code in (200, 204)


@pytest.mark.parametrize("route", ROUTES)
def test_a_request_signed_with_our_auth_token_is_answered(live_server, route):
    response = signed_post(live_server.url + route, call_params(CallStatus="completed"))

    assert answered(response), response.text


@pytest.mark.parametrize("route", ROUTES)
def test_a_request_without_a_signature_is_refused(live_server, route):
    response = requests.post(live_server.url + route, data=call_params(), timeout=15)

    assert response.status_code == 403


@pytest.mark.parametrize("route", ROUTES)
def test_a_request_signed_with_another_auth_token_is_refused(live_server, route):
    response = signed_post(live_server.url + route, call_params(), token="not-our-auth-token")

    assert response.status_code == 403


@pytest.mark.parametrize("signature", ["", "forged", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="])
def test_a_made_up_signature_is_refused(live_server, signature):
    response = requests.post(live_server.url + "/voice/incoming", data=call_params(),
                             headers={"X-Twilio-Signature": signature}, timeout=15)

    assert response.status_code == 403


# -- replayed to another URL -------------------------------------------------------------------------
@pytest.mark.parametrize("sent_to", [
    "/voice/step?at=main:main-menu&lang=en&tries=2",
    "/voice/step?at=main:main-menu&lang=es&tries=0",
    "/voice/step?at=main:main-menu&lang=en&tries=0&heard=nothing",
    "/voice/step?at=main:nobody-answered&lang=en&tries=0",
    "/voice/step",
    "/voice/done?at=main:main-menu&lang=en&tries=0",
    "/voice/dialed?at=main:main-menu&lang=en&tries=0",
    "/voice/incoming",
])
def test_a_valid_signature_replayed_to_another_url_is_refused(live_server, sent_to):
    params = call_params(Digits="1")
    assert answered(signed_post(live_server.url + MAIN_MENU, params))      # the original is good

    replayed = signed_post(live_server.url + sent_to, params, signed_url=live_server.url + MAIN_MENU)

    assert replayed.status_code == 403


@pytest.mark.parametrize("sent", [
    call_params(Digits="0"),
    call_params(Digits="1", SpeechResult="operator"),
    call_params(Digits="1", From="+15550000000"),
    call_params(Digits="1", CallSid="CA" + "2" * 32),
    {key: value for key, value in call_params(Digits="1").items() if key != "From"},
], ids=["other-digits", "added-field", "other-caller", "other-call", "dropped-field"])
def test_parameters_changed_after_signing_are_refused(live_server, sent):
    url = live_server.url + MAIN_MENU

    response = signed_post(url, sent, signed_params=call_params(Digits="1"))

    assert response.status_code == 403


# -- SharedKey (HMAC-SHA256) ---------------------------------------------------------------------------
@pytest.mark.parametrize("settings_header", [
    SHA256_SETTINGS,
    f"key={SHARED_KEY_ID}, algorithm=HMAC_SHA256",
    f"algorithm=HMAC_SHA256,key={SHARED_KEY_ID}",
], ids=["as-twilio-sends-it", "with-a-space", "other-order"])
@pytest.mark.parametrize("route", ROUTES)
def test_a_request_signed_with_a_configured_shared_key_is_answered(live_server, route, settings_header):
    response = signed_post(live_server.url + route, call_params(CallStatus="completed"), token=SHARED_KEY_SECRET,
                           algorithm="HMAC_SHA256", headers={SETTINGS_HEADER: settings_header})

    assert answered(response), response.text


@pytest.mark.parametrize("secret, algorithm, settings_header", [
    (SHARED_KEY_SECRET, "HMAC_SHA256", "key=webhooks_sharedkey_unknown,algorithm=HMAC_SHA256"),
    ("not-our-shared-secret", "HMAC_SHA256", SHA256_SETTINGS),
    (SHARED_KEY_SECRET, "HMAC_SHA256", "algorithm=HMAC_SHA256"),
    (SHARED_KEY_SECRET, "HMAC_SHA256", f"key={SHARED_KEY_ID},algorithm=HMAC_MD5"),
    (SHARED_KEY_SECRET, "HMAC_SHA1", SHA256_SETTINGS),
    (AUTH_TOKEN, None, SHA256_SETTINGS),
    (SHARED_KEY_SECRET, "HMAC_SHA256", None),
], ids=["unknown-key-id", "wrong-secret", "no-key-id", "unsupported-algorithm", "sha1-where-sha256-is-named",
        "auth-token-signature-naming-a-shared-key", "sha256-without-the-settings-header"])
def test_a_shared_key_signature_that_does_not_match_a_configured_key_is_refused(
        live_server, secret, algorithm, settings_header):
    headers = {SETTINGS_HEADER: settings_header} if settings_header else {}

    response = signed_post(live_server.url + MAIN_MENU, call_params(Digits="1"), token=secret,
                           algorithm=algorithm, headers=headers)

    assert response.status_code == 403


# -- behind a proxy --------------------------------------------------------------------------------
PUBLIC_URL = "https://public.example/voice/incoming"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example"}


def test_behind_a_trusted_proxy_a_request_signed_for_the_public_https_url_is_answered(serve, make_app):
    server = serve(make_app(trust_proxy=True))

    response = signed_post(server.url + "/voice/incoming", call_params(), signed_url=PUBLIC_URL,
                           headers=FORWARDED)

    assert response.status_code == 200
    assert parse_twiml(response.text).find("Gather") is not None


def test_behind_a_trusted_proxy_the_next_step_signed_for_the_public_url_is_answered(serve, make_app):
    server = serve(make_app(trust_proxy=True))
    public_step = "https://public.example" + MAIN_MENU

    response = signed_post(server.url + MAIN_MENU, call_params(Digits="1"), signed_url=public_step,
                           headers=FORWARDED)

    assert response.status_code == 200


def test_behind_a_trusted_proxy_a_request_signed_for_the_internal_url_is_refused(serve, make_app):
    server = serve(make_app(trust_proxy=True))

    response = signed_post(server.url + "/voice/incoming", call_params(), headers=FORWARDED)

    assert response.status_code == 403


def test_without_trust_proxy_forwarded_headers_are_ignored_and_the_public_signature_refused(serve, make_app):
    server = serve(make_app(trust_proxy=False))

    response = signed_post(server.url + "/voice/incoming", call_params(), signed_url=PUBLIC_URL,
                           headers=FORWARDED)

    assert response.status_code == 403


# -- a refusal is logged -----------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["unsigned", "wrong-token", "tampered"])
def test_a_refused_request_is_logged_with_its_path(live_server, caplog, how):
    caplog.set_level(logging.INFO)
    url, params = live_server.url + MAIN_MENU, call_params(CallSid="CAforged0000", Digits="0")
    if how == "unsigned":
        response = requests.post(url, data=params, timeout=15)
    elif how == "wrong-token":
        response = signed_post(url, params, token="not-our-auth-token")
    else:
        response = signed_post(url, params, signed_params={**params, "Digits": "1"})

    assert response.status_code == 403
    refusals = [record for record in caplog.records
                if record.levelno >= logging.WARNING and "/voice/step" in record.getMessage()]
    assert len(refusals) == 1, caplog.text
    assert "CAforged0000" in refusals[0].getMessage()


def test_an_answered_request_logs_no_refusal(live_server, caplog):
    caplog.set_level(logging.INFO)

    signed_post(live_server.url + MAIN_MENU, call_params(Digits="1"))

    # (A background sweep of an earlier test's helpline may log as this runs: only the web layer counts.)
    assert not [record for record in caplog.records
                if record.levelno >= logging.WARNING and record.name.startswith("ivr.web")], caplog.text
