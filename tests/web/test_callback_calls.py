"""A callback made through the helpline (`ivr callbacks call ID --by NAME`): the professional's phone
rings first and names the caller's language and the time they asked; pressing 1 dials the caller
from the helpline's number. Neither side sees the other's number; how it went is kept — over real
HTTP with Twilio simulated, the command run as its own process, on SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
import datetime
import os
import subprocess
import sys
import zoneinfo

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.sim import professionals
from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID
from like_twilio import AUTH_TOKEN, CALL_PARAMS, CALLER, call_params, signed_post, wait_for

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
#: Wednesday 10:05 in New York, when the caller asked to be called back.
ASKED = datetime.datetime(2026, 11, 25, 10, 5, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)
ANA = "+12025550101"
HELPLINE = CALL_PARAMS["To"]
TYPED = "+12025550199"                      # the number the caller typed to be called back on
#: How long a caller called back talks once they answer: long enough to be a talk (a duration,
#: 'reached'), short of the simulator's two minutes, which took 6 s of the wall's time at 20x.
TALK = 15
# In the language the caller asked in: the professional rung for it speaks it.
WHISPER = "Devolución de llamada para una persona que la pidió en español a las 10:05. Oprima 1 para llamarla ahora."


@pytest.fixture
def line(make_app, serve, twilio, database_url, monkeypatch):
    twilio.clock = SimClock(20.0, start=ASKED)      # slow enough that setting up stays within 10:05
    monkeypatch.setitem(professionals.CALLED_BACK, "person",
                        dataclasses.replace(professionals.CALLED_BACK["person"], talks_for=TALK))
    app = make_app(database_url=database_url)
    app.extensions["ivr"].clock = twilio.clock
    server = serve(app)
    # A Spanish caller typed their number on hold and confirmed it.
    sid = "CA" + "5" * 32
    query = "at=main:request-callback&lang=es&tries=0"
    assert signed_post(f"{server.url}/voice/callback-number?{query}", call_params(sid, Digits="2025550199")).ok
    assert signed_post(f"{server.url}/voice/callback-confirm?{query}", call_params(sid, Digits="1")).ok
    [pending] = app.extensions["ivr"].calls.pending_callbacks()
    return app, server, pending.id


@dataclasses.dataclass
class Ran:
    """What a terminal shows of one `ivr callbacks call` run."""
    returncode: int
    stdout: str
    stderr: str


def call_back(app, server, twilio, callback_id: int, who: str = "Ana Rivera", process: bool = False) -> Ran:
    """`ivr callbacks call ID --by WHO` on the running helpline's database and Twilio: in this process
    (click's runner), or with `process` as a process of its own, as staff run it."""
    settings = app.extensions["ivr"].settings
    env = dict(DATABASE_URL=settings.database_url, IVR_INSTANCE_DIR=str(settings.instance_dir),
               IVR_FLOWS_DIR=str(settings.flows_dir), IVR_PUBLIC_URL=server.url, TWILIO_ACCOUNT_SID=ACCOUNT_SID,
               TWILIO_AUTH_TOKEN=AUTH_TOKEN, IVR_TWILIO_API_URL=twilio.api_url)
    arguments = ["callbacks", "call", str(callback_id), "--by", who]
    if process:
        ran = subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", *arguments],
                             env={**{key: value for key, value in os.environ.items()
                                     if not key.startswith(("IVR_", "TWILIO_", "DATABASE_URL"))}, **env},
                             capture_output=True, text=True, timeout=60)
        return Ran(ran.returncode, ran.stdout, ran.stderr)
    # The settings go in as click's context object: changing os.environ here would race the
    # simulator's threads, which read it.
    result = CliRunner().invoke(main, arguments, obj={"environ": env})
    return Ran(result.exit_code, result.stdout, result.stderr)


def callback_row(app, callback_id: int):
    with app.extensions["ivr"].database.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT number, status, attempts, last_outcome FROM callbacks WHERE id = ?"
            if app.extensions["ivr"].database.dialect.name == "sqlite" else
            "SELECT number, status, attempts, last_outcome FROM callbacks WHERE id = %s", (callback_id,)).one()


def answers(twilio, route: str) -> list:
    return [(params, status) for url, params, status in twilio.helpline.log if f"/voice/{route}?" in url]


def test_a_callback_rings_the_professional_first_then_the_caller_sees_only_the_helpline(line, twilio):
    app, server, callback_id = line

    result = call_back(app, server, twilio, callback_id, process=True)

    assert result.returncode == 0, result.stderr
    assert "ringing Ana Rivera" in result.stdout and TYPED not in result.stdout + result.stderr
    assert wait_for(lambda: callback_row(app, callback_id)[1] == "done", timeout=15)
    [(method, path, params)] = [r for r in twilio.requests if r[1].endswith("/Calls.json")]
    assert (params["To"], params["From"]) == ([ANA], [HELPLINE])       # Ana sees the helpline, not the caller
    [dialed] = [c for c in twilio.calls.values() if c.direction == "outbound-dial"]
    assert (dialed.to, dialed.from_) == (TYPED, HELPLINE)                # the caller sees the helpline, not Ana
    assert callback_row(app, callback_id) == ("", "done", 1, "reached")   # the number is erased
    offered = [p for p, status in answers(twilio, "callback-offer")]
    assert offered and all(CALLER not in str(p) and TYPED not in str(p) for p in offered)


def test_the_whisper_names_the_language_and_the_time_the_caller_asked(line, twilio):
    app, server, callback_id = line
    twilio.phones[ANA] = "silent"                                       # Ana listens and does not press

    assert call_back(app, server, twilio, callback_id).returncode == 0
    leg = wait_for(lambda: [c for c in twilio.calls.values() if c.to == ANA and c.status == "completed"], timeout=15)

    assert leg
    response = signed_post(f"{server.url}/voice/callback-offer?id={callback_id}",
                           call_params(leg[0].sid, Direction="outbound-api"))
    assert WHISPER in response.text
    assert TYPED not in response.text and "2025550199" not in response.text
    assert callback_row(app, callback_id)[1:3] == ("pending", 0)        # nobody was dialled


def test_a_caller_who_does_not_answer_keeps_their_request_and_the_try_is_counted(line, twilio):
    app, server, callback_id = line
    twilio.phones[TYPED] = "no-answer"

    assert call_back(app, server, twilio, callback_id).returncode == 0

    assert wait_for(lambda: callback_row(app, callback_id)[2] == 1, timeout=15)
    assert callback_row(app, callback_id) == (TYPED, "pending", 1, "no-answer")


def test_calling_back_a_callback_that_is_done_or_unknown_is_refused_with_a_clear_message(line, twilio):
    app, server, callback_id = line

    unknown = call_back(app, server, twilio, callback_id + 100)
    nobody = call_back(app, server, twilio, callback_id, who="Nobody Here")

    assert unknown.returncode != 0 and f"no pending callback {callback_id + 100}" in unknown.stderr
    assert nobody.returncode != 0 and "'Nobody Here' is not on the roster" in nobody.stderr
    assert not [r for r in twilio.requests if r[1].endswith("/Calls.json")]
