"""`ivr call`: staff ring the helpline from a terminal and read what a caller would hear."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "flows"
BACKUP_LINE = "+15005550006"


@pytest.fixture
def ivr_call(tmp_path):
    """Run `ivr call ...` as its own process, with its own instance folder and a copy of the flows."""
    flows = shutil.copytree(SHIPPED_FLOWS, tmp_path / "flows")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("IVR_", "TWILIO_", "DATABASE_URL"))}
    env.update(IVR_INSTANCE_DIR=str(tmp_path), IVR_BACKUP_LINE=BACKUP_LINE,
               IVR_AUDIO_DIR=str(tmp_path / "audio"))

    def run(*arguments) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", "from ivr.cli import main; main()", "call", "--flows", str(flows), *arguments],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return run


def test_a_call_in_spanish_hears_the_emergency_notice_then_neurotoxicity_then_is_connected(ivr_call, tmp_path):
    result = ivr_call("--press", "2,3,0")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[en-US]") and "911" in lines[0] and "988" in lines[0]
    assert lines[1].startswith("[es-US]") and "911" in lines[1] and "988" in lines[1]
    assert any(line.startswith("[es-US]") and "neurotoxicidad causada por opioides" in line for line in lines)
    assert "(hold: helpline-recovery-es)" in lines      # waiting while professionals' phones ring
    assert lines[-2].startswith("(talk: helpline-CA")    # one of them pressed 1: they talk
    assert lines[-1] == "(hangup)"                       # the conversation ended: Twilio hangs up
    assert "professional's phone +1202555" in result.stderr          # people on the demo roster
    # A throwaway database and instance folder: the helpline's own (IVR_INSTANCE_DIR) is untouched.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["flows"]


def test_when_nobody_answers_the_caller_waits_on_hold_and_is_offered_voicemail_and_a_call_back(ivr_call):
    result = ivr_call("--press", "1,0,hold:hangup", "--nobody-answers")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    ringing = lines.index("(menu: ringing)")             # first the phones ring, and nobody answers
    after = lines[next(i for i in range(ringing, len(lines)) if lines[i].startswith("[en-US] You are now on hold.")):]
    assert after[1] == "(hold: helpline-recovery-en)"
    # Why nobody is free: they were just rung and did not pick up — not "with other callers".
    assert after[2].startswith("[en-US] The recovery professionals on shift cannot pick up just now.")
    assert after[3] == "[en-US] You are next in line."
    assert "to leave a confidential voicemail, press 1" in after[4]
    assert "To ask for a call back, press 2" in after[4]
    assert after[5] == "(menu: on hold)"                # keys and words while the choices are said
    assert after[-1] == "(hangup: the caller hung up)"
    assert "no-answer" in result.stderr


def test_when_nobody_answers_the_caller_can_leave_a_voicemail_and_hears_goodbye(ivr_call):
    result = ivr_call("--press", "1,0,hold:1", "--nobody-answers")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "(record: up to 180s)" in lines
    assert "Goodbye." in lines[-2]
    assert lines[-1] == "(hangup)"


def test_a_speed_that_is_not_a_speed_is_refused_in_one_line_before_any_call(ivr_call, tmp_path):
    result = ivr_call("--press", "1,0", "--speed", "-3")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--speed" in result.stderr and "-3" in result.stderr
    assert result.stdout == ""                            # nobody called: no call left in the records


def test_calling_a_helpline_that_is_not_running_asks_whether_it_is(ivr_call):
    import socket
    with socket.socket() as free:                         # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with socket.socket() as twilio_port:
        twilio_port.bind(("127.0.0.1", 0))
        sim_port = twilio_port.getsockname()[1]

    result = ivr_call("--url", f"http://127.0.0.1:{port}", "--twilio-port", str(sim_port), "--press", "1")

    assert result.returncode == 1
    assert result.stdout == ""                            # no call was made
    assert result.stderr.splitlines() == [f"Error: could not reach the helpline at http://127.0.0.1:{port}: "
                                          "is it running? (`make run` starts it)"]
