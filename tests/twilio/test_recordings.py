"""A voicemail's recording, heard and deleted through the REST adapter: fetched as MP3 with the
account's credentials from the simulator over real HTTP, never from a URL that is not one of this
account's recordings at the adapter's own Twilio (a forged RecordingUrl would take our credentials
with it), and deleted once, however many times it is asked. A caller who leaves a voicemail gives
the helpline a RecordingUrl the adapter can fetch."""
from __future__ import annotations

import io
import re
import shutil
import wave
from pathlib import Path

import pytest
import requests
from flask import Flask, request

from ivr.sim.twilio import lone_phone
from ivr.sim.phone import Phone, scripted
from ivr.sim.phone import TestClientTransport as InProcess  # (not a test class)
from ivr.sim.clock import SimClock
from ivr.sim.media import MP3_FRAME
from ivr.sim.state import ACCOUNT_SID, API_PATH
from ivr.sim.twilio import SimTwilio
from ivr.sim.webhooks import Helpline
from ivr.twilio.rest import NotOurRecording, TwilioApi, TwilioUnavailable, recording_sid
from ivr.web import create_app

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
CALL = "CA" + "c" * 32
SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "flows"


class Nowhere:
    """The helpline's side of the simulator: its webhooks are answered and forgotten."""

    def post(self, url, params, headers):
        return 204, ""


def served_sim() -> SimTwilio:
    sim = SimTwilio(Helpline(Nowhere(), AUTH_TOKEN), SimClock(speed=50.0), AUTH_TOKEN, default_phone="no-answer")
    sim.serve()
    return sim


@pytest.fixture
def sim():
    twilio = served_sim()
    yield twilio
    twilio.stop()


@pytest.fixture
def elsewhere():
    """Another Twilio-like server, on another port, that would take our credentials all the same."""
    twilio = served_sim()
    yield twilio
    twilio.stop()


@pytest.fixture
def api(sim) -> TwilioApi:
    return TwilioApi(ACCOUNT_SID, AUTH_TOKEN, base_url=sim.api_url)


def mp3_frames(audio: bytes) -> int:
    """How many whole MPEG audio frames `audio` is, each starting with the frame sync."""
    assert audio and len(audio) % len(MP3_FRAME) == 0
    frames = [audio[at:at + len(MP3_FRAME)] for at in range(0, len(audio), len(MP3_FRAME))]
    assert all(frame[0] == 0xFF and frame[1] & 0xE0 == 0xE0 for frame in frames)
    return len(frames)


# -- hearing a recording -----------------------------------------------------------------------------
def test_a_recording_is_fetched_as_mp3_with_the_accounts_credentials(sim, api):
    sid, url = sim.add_recording(CALL, 5)

    audio, content_type = api.recording_audio(url)

    assert content_type == "audio/mpeg"
    assert mp3_frames(audio) == round(5 * 32000 / 1152)          # five seconds of 36 ms frames
    assert url == f"{sim.api_url}{API_PATH}/Recordings/{sid}"     # no extension, as Twilio sends it
    assert [(method, path) for method, path, _ in sim.requests] == [("GET", f"{API_PATH}/Recordings/{sid}.mp3")]


def test_a_recording_asked_for_with_a_wrong_auth_token_is_refused(sim):
    _, url = sim.add_recording(CALL, 5)
    with pytest.raises(TwilioUnavailable) as raised:
        TwilioApi(ACCOUNT_SID, "not-the-token", base_url=sim.api_url).recording_audio(url)
    assert (raised.value.status, raised.value.code) == (401, 20003)


def test_the_simulator_serves_a_wav_without_an_extension_or_with_wav_and_the_resource_as_json(sim):
    sid, url = sim.add_recording(CALL, 3)
    auth = (ACCOUNT_SID, AUTH_TOKEN)

    for wav_url in (url, url + ".wav"):
        response = requests.get(wav_url, auth=auth, timeout=5)
        assert response.headers["Content-Type"] == "audio/x-wav"
        with wave.open(io.BytesIO(response.content)) as audio:
            assert audio.getnframes() / audio.getframerate() == 3.0
    resource = requests.get(url + ".json", auth=auth, timeout=5).json()
    assert (resource["sid"], resource["call_sid"], resource["duration"]) == (sid, CALL, "3")
    assert resource["uri"] == f"{API_PATH}/Recordings/{sid}.json"
    assert requests.get(url + ".mp3", timeout=5).status_code == 401           # no credentials, no audio


def ours(sim, sid: str) -> str:
    return f"{sim.api_url}{API_PATH}/Recordings/{sid}"


FORGED = {
    "another host": lambda sim, other, sid: f"{other.api_url}{API_PATH}/Recordings/{sid}",
    "another account": lambda sim, other, sid: f"{sim.api_url}/2010-04-01/Accounts/AC{'1' * 32}/Recordings/{sid}",
    "a call, not a recording": lambda sim, other, sid: f"{sim.api_url}{API_PATH}/Calls/CA{'2' * 32}",
    "a recording's transcriptions": lambda sim, other, sid: ours(sim, sid) + "/Transcriptions",
    "no sid": lambda sim, other, sid: f"{sim.api_url}{API_PATH}/Recordings/",
    "a sid that is not a recording's": lambda sim, other, sid: ours(sim, "CA" + sid[2:]),
    "another host in front as a user name": lambda sim, other, sid:
        ours(other, sid).replace("http://", f"http://{sim.api_url.removeprefix('http://')}@"),
    "our host in front as a user name": lambda sim, other, sid:
        ours(sim, sid).replace("http://", "http://evil.example@"),
    "a query": lambda sim, other, sid: ours(sim, sid) + "?redirect=https://evil.example/",
    "a fragment": lambda sim, other, sid: ours(sim, sid) + "#x",
    "https instead of http": lambda sim, other, sid: ours(sim, sid).replace("http://", "https://"),
    "a path in front": lambda sim, other, sid: f"{sim.api_url}/proxy{API_PATH}/Recordings/{sid}",
    "dot segments": lambda sim, other, sid: f"{sim.api_url}{API_PATH}/Calls/../Recordings/{sid}",
    "an encoded slash": lambda sim, other, sid: f"{sim.api_url}{API_PATH}/Recordings%2F{sid}",
    "another scheme": lambda sim, other, sid: f"file:///etc/{API_PATH}/Recordings/{sid}",
    "empty": lambda sim, other, sid: "",
}


@pytest.mark.parametrize("forgery", FORGED)
def test_a_url_that_is_not_one_of_our_recordings_at_our_twilio_is_refused_without_a_request(
        sim, elsewhere, api, forgery):
    sid, _ = sim.add_recording(CALL, 5)
    url = FORGED[forgery](sim, elsewhere, sid)

    with pytest.raises(NotOurRecording):
        api.recording_audio(url)
    with pytest.raises(NotOurRecording):
        api.delete_recording(url)

    assert sim.requests == [] and elsewhere.requests == []
    assert sid in sim.recordings


def test_refusing_a_forged_url_is_a_twilio_unavailable_so_the_staff_page_answers_as_for_any_failure(sim, api):
    with pytest.raises(TwilioUnavailable) as raised:
        api.recording_audio(f"https://evil.example{API_PATH}/Recordings/RE{'3' * 32}")
    assert raised.value.status is None and "evil" not in str(raised.value)


def test_the_adapter_built_for_twilio_itself_takes_only_api_twilio_com_urls():
    api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN)
    assert api._our_recording(f"https://api.twilio.com{API_PATH}/Recordings/RE{'4' * 32}") == f"RE{'4' * 32}"
    assert api._our_recording(f"https://API.twilio.com:443{API_PATH}/Recordings/RE{'4' * 32}") == f"RE{'4' * 32}"
    for url in (f"http://api.twilio.com{API_PATH}/Recordings/RE{'4' * 32}",
                f"https://api.twilio.com.evil.example{API_PATH}/Recordings/RE{'4' * 32}",
                f"https://api.twilio.com:8443{API_PATH}/Recordings/RE{'4' * 32}"):
        with pytest.raises(NotOurRecording):
            api._our_recording(url)


@pytest.mark.parametrize("url, sid", [
    (f"https://api.twilio.com{API_PATH}/Recordings/RE{'a' * 32}", f"RE{'a' * 32}"),
    (f"https://api.twilio.com{API_PATH}/Recordings/RE{'A' * 32}.mp3", f"RE{'A' * 32}"),
    (f"http://127.0.0.1:5001{API_PATH}/Recordings/RE{'0' * 32}.json", f"RE{'0' * 32}"),
    (f"https://api.twilio.com{API_PATH}/Recordings/RE{'a' * 31}", None),
    (f"https://api.twilio.com{API_PATH}/Recordings/RE{'g' * 32}", None),
    (f"https://api.twilio.com{API_PATH}/Calls/CA{'a' * 32}", None),
    ("https://api.twilio.com/recording/RE1", None),
    ("", None),
])
def test_the_sid_of_a_recording_url_is_read_from_its_path(url, sid):
    assert recording_sid(url) == sid


# -- deleting a recording ----------------------------------------------------------------------------
def test_a_deleted_recording_is_not_found_any_more(sim, api):
    sid, url = sim.add_recording(CALL, 5)

    api.delete_recording(url)

    with pytest.raises(TwilioUnavailable) as raised:
        api.recording_audio(url)
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert sid not in sim.recordings
    assert [(method, path) for method, path, _ in sim.requests] == [
        ("DELETE", f"{API_PATH}/Recordings/{sid}.json"), ("GET", f"{API_PATH}/Recordings/{sid}.mp3")]


def test_deleting_a_recording_twice_or_by_its_sid_is_done_all_the_same(sim, api):
    _, url = sim.add_recording(CALL, 5)
    other, _ = sim.add_recording(CALL, 7)

    api.delete_recording(url)
    api.delete_recording(url)             # already gone at Twilio: 404, which counts as done
    api.delete_recording(other)

    assert sim.recordings == {}


def test_a_delete_twilio_fails_comes_back_as_twilio_unavailable(sim):
    sid, url = sim.add_recording(CALL, 5)
    with pytest.raises(TwilioUnavailable) as raised:
        TwilioApi(ACCOUNT_SID, "not-the-token", base_url=sim.api_url).delete_recording(url)
    assert raised.value.status == 401 and sid in sim.recordings


# -- a caller leaves a voicemail ---------------------------------------------------------------------
@pytest.fixture
def helpline(tmp_path, sim):
    """The helpline in this process (posted to as http://localhost), its Twilio the simulator."""
    app = create_app({
        "instance_dir": tmp_path / "instance", "database_url": f"sqlite:///{tmp_path / 'helpline.db'}",
        "flows_dir": Path(shutil.copytree(SHIPPED_FLOWS, tmp_path / "flows")), "audio_dir": tmp_path / "audio",
        "twilio_auth_token": AUTH_TOKEN, "caller_hash_key": "test-caller-hash-key",
        "backup_line": "+15005550006", "twilio_account_sid": ACCOUNT_SID, "twilio_api_url": sim.api_url})
    app.extensions["ivr"].start()
    sim.helpline.transport = InProcess(app)
    yield app
    app.extensions["ivr"].close()


def test_a_voicemail_a_caller_leaves_is_a_recording_the_helpline_can_fetch_and_delete(sim, helpline):
    phone = Phone(InProcess(helpline), AUTH_TOKEN, from_number="+15017122661", twilio=sim)
    phone.call(scripted(["1", "0", "hold:1"]))          # English, a person, nobody free: a voicemail

    assert "record" in [heard.kind for heard in phone.heard], phone.heard
    [posted] = [params for _, params, _ in phone.requests if "RecordingUrl" in params]
    ivr = helpline.extensions["ivr"]
    ivr.calls.flush()
    [voicemail] = ivr.owed.voicemails(None, ivr.now())
    assert voicemail.recording_url == posted["RecordingUrl"]
    assert posted["RecordingSid"] == recording_sid(posted["RecordingUrl"]) and posted["RecordingSid"] in sim.recordings
    assert posted["RecordingDuration"] == "12"

    audio, content_type = ivr.api.recording_audio(voicemail.recording_url)
    ivr.api.delete_recording(voicemail.recording_url)

    assert content_type == "audio/mpeg" and mp3_frames(audio) == round(12 * 32000 / 1152)
    assert sim.recordings == {}


def test_a_phone_without_a_served_twilio_posts_a_recording_url_of_twilios_documented_shape():
    posted = []
    stub = Flask("a-helpline-that-only-records")

    @stub.post("/voice/incoming")
    def incoming():
        return '<Response><Record action="/voice/recorded" maxLength="5"/></Response>'

    @stub.post("/voice/recorded")
    def recorded():
        posted.append(request.form.to_dict())
        return "<Response><Hangup/></Response>"

    @stub.post("/voice/status")
    def status():
        return "", 204

    phone = lone_phone(InProcess(stub), AUTH_TOKEN)         # its own simulated Twilio, not served
    phone.call(scripted([]))

    [params] = posted
    sid = params["RecordingSid"]
    assert re.fullmatch(r"RE[0-9a-f]{32}", sid)
    assert params["RecordingUrl"] == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"
    assert params["RecordingDuration"] == "5"                      # no longer than the <Record> allows
    assert sid in phone.twilio.recordings
