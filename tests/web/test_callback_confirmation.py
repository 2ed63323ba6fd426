"""A callback number is read back and kept only once the caller confirms it with a key."""
from __future__ import annotations

import os
import subprocess
import sys

from like_twilio import call_params, client_post, parse_twiml, spoken

NUMBER = "http://localhost/voice/callback-number?at=main:request-callback&lang={lang}&tries={tries}"
CONFIRM = "http://localhost/voice/callback-confirm?at=main:request-callback&lang={lang}&tries=0"


def post(app, url, **params):
    response = client_post(app.test_client(), url, call_params(**params))
    assert response.status_code == 200
    return parse_twiml(response.get_data(as_text=True))


def test_a_typed_number_is_read_back_and_kept_once_confirmed(app):
    document = post(app, NUMBER.format(lang="es", tries=0), Digits="2025550199")
    assert spoken(document) == ["Usted marcó 2 0 2, 5 5 5, 0 1 9 9. Si es correcto, oprima 1. "
                                "Para marcarlo de nuevo, oprima 2."]
    assert app.extensions["ivr"].calls.pending_callbacks() == []          # not before it is confirmed

    goodbye = post(app, CONFIRM.format(lang="es"), Digits="1")
    assert goodbye.find("Hangup") is not None
    [pending] = app.extensions["ivr"].calls.pending_callbacks()
    assert (pending.number, pending.language) == ("+12025550199", "es")


def test_pressing_2_asks_for_the_number_again_and_keeps_nothing(app):
    post(app, NUMBER.format(lang="en", tries=0), Digits="2025550199")
    again = post(app, CONFIRM.format(lang="en"), Digits="2")
    assert again.find("Gather").get("action").startswith("callback-number?")
    assert app.extensions["ivr"].calls.pending_callbacks() == []


def test_a_number_too_short_is_explained_and_asked_again_then_a_person_takes_over(app):
    first = post(app, NUMBER.format(lang="en", tries=0), Digits="5551")
    assert "not a full phone number" in " ".join(spoken(first))
    assert first.find("Gather").get("action").startswith("callback-number?")
    last = post(app, NUMBER.format(lang="en", tries=2), Digits="")
    assert last.find("Enqueue") is not None                            # after three tries: a person
    assert "connecting you" in " ".join(spoken(last))


def test_done_erases_the_number(app, settings_for, tmp_path):
    post(app, NUMBER.format(lang="en", tries=0), Digits="2025550199")
    post(app, CONFIRM.format(lang="en"), Digits="1")
    [pending] = app.extensions["ivr"].calls.pending_callbacks()
    settings = settings_for()
    env = {**os.environ, "DATABASE_URL": settings["database_url"], "IVR_INSTANCE_DIR": str(settings["instance_dir"])}
    command = [sys.executable, "-c", "from ivr.cli import main; main()", "callbacks"]
    listed = subprocess.run(command + ["list"], env=env, capture_output=True, text=True, timeout=60)
    assert f"{pending.id:>5}  " in listed.stdout and " en" in listed.stdout
    assert "2025550199" not in listed.stdout          # nobody dials it from their own phone
    done = subprocess.run(command + ["done", str(pending.id)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert app.extensions["ivr"].calls.pending_callbacks() == []
    with app.extensions["ivr"].database.connect() as connection:
        assert connection.exec_driver_sql("SELECT number, status FROM callbacks").one() == ("", "done")
