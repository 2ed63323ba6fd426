"""The README's first steps, as a newcomer takes them: `make run`, then each `ivr call --url` example
from another terminal. Each does what its comment says, against the running helpline and the
simulated Twilio `make run` keeps beside it; nothing is written with a time still to come.

The commands are the README's own, read from it; only what a second helpline on this machine needs
differs: its ports, its instance folder, and IVR_CALL_SPEED=20 (the caller hears prompts 20 times
fast, the `--speed` the README describes; rings and the helpline's clock stay real).
"""
import datetime
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from free_ports import free_port

#: One `make run` for the module: under pytest-xdist (--dist loadgroup) every test here runs on one worker.
pytestmark = pytest.mark.xdist_group("readme")

REPO = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent
README_URL = "http://127.0.0.1:5000"
EXAMPLE = re.compile(r"^(\.venv/bin/ivr call --url \S+.*?)\s+#\s*(.+)$")


def readme_examples() -> dict:
    """comment -> command, for every `ivr call --url` line of the README."""
    examples = {}
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        found = EXAMPLE.match(line.strip())
        if found:
            examples[found.group(2)] = found.group(1)
    return examples



class Running:
    """`make run` in its own process group, and how to call it from another terminal."""

    def __init__(self, instance: Path):
        self.instance, self.port, self.twilio_port = instance, free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith(("IVR_", "TWILIO_", "DATABASE_URL"))}
        self.env.update(IVR_INSTANCE_DIR=str(instance), PORT=str(self.port),
                        IVR_TWILIO_API_URL=f"http://127.0.0.1:{self.twilio_port}")

    def command(self, readme_command: str) -> list:
        """The README's command, for this helpline: its URL and its simulated Twilio's port."""
        words = shlex.split(readme_command.replace(README_URL, self.url))
        return [str(VENV / "bin" / "ivr"), *words[1:], "--twilio-port", str(self.twilio_port)]

    def call(self, readme_command: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(self.command(readme_command), input=stdin, capture_output=True, text=True,
                              env={**self.env, "IVR_CALL_SPEED": "20"}, cwd=self.instance, timeout=240)

    def database(self) -> sqlite3.Connection:
        return sqlite3.connect(self.instance / "helpline.db")


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    running = Running(tmp_path_factory.mktemp("make-run"))
    # `make run` as the README says; a venv other than the repository's own (a CI cache, a
    # worktree's) is named, and taken as installed.
    extra = [] if VENV == REPO / ".venv" else [f"VENV={VENV}", "-o", f"{VENV}/.installed"]
    log = open(running.instance / "make-run.log", "w")
    process = subprocess.Popen(["make", "run", *extra], cwd=REPO, env=running.env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(running.url + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        assert process.poll() is None, (running.instance / "make-run.log").read_text()
        yield running
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def example(words: str) -> str:
    """The README's command whose comment has these words."""
    matches = [command for comment, command in readme_examples().items() if words in comment]
    assert len(matches) == 1, f"the README has {len(matches)} examples saying {words!r}: {readme_examples()}"
    return matches[0]


def test_the_readme_shows_each_kind_of_call_against_the_running_helpline():
    assert len(readme_examples()) == 5


def test_answering_at_the_keyboard_hears_the_english_menu_and_hangs_up_cleanly(make_run):
    result = make_run.call(example("answer each menu"), stdin="1\nq\n")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "[en-US] Main menu." in result.stdout
    assert "Traceback" not in result.stderr


def test_spanish_topic_3_then_a_person_reaches_a_professional_within_10_seconds_of_pressing_0(make_run):
    command = make_run.command(example("Spanish, topic 3, then a person"))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**make_run.env, "IVR_CALL_SPEED": "20"}, cwd=make_run.instance)
    heard, pressed_0, talking = [], None, None
    try:
        for line in process.stdout:
            heard.append(line.rstrip("\n"))
            if pressed_0 is None and "Por favor, espere en la línea" in line:
                pressed_0 = time.monotonic()           # the first words after the 0 of the script
            if line.startswith("(talk: "):
                talking = time.monotonic()
                break
    finally:
        process.kill()
        process.wait()
    assert any("neurotoxicidad causada por opioides" in line for line in heard)
    assert pressed_0 is not None and talking is not None, "\n".join(heard)
    print(f"\nfrom pressing 0 to a professional: {talking - pressed_0:.1f} s")
    assert talking - pressed_0 < 10, f"{talking - pressed_0:.1f} s from pressing 0 to a professional"


def test_professionals_whose_voicemail_answers_leave_the_caller_on_hold_never_with_a_machine(make_run):
    result = make_run.call(example("every professional's phone goes to voicemail"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "(menu: on hold)" in result.stdout
    assert "(talk:" not in result.stdout
    legs = [line for line in result.stderr.splitlines() if "professional's phone" in line]
    # Each box answered (completed) and nobody pressed 1 in it: the caller was never put through.
    assert legs and all(line.endswith(": completed") for line in legs), result.stderr


def test_asking_for_a_call_back_saves_it_for_the_staff(make_run):
    result = make_run.call(example("ask for a call back"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "We have your number" in result.stdout
    with make_run.database() as database:
        assert database.execute("select count(*) from callbacks").fetchone()[0] == 1
    listed = subprocess.run([str(VENV / "bin" / "ivr"), "callbacks", "list"], capture_output=True, text=True,
                            env=make_run.env, cwd=make_run.instance, timeout=60)
    assert listed.returncode == 0 and "6175550123" not in listed.stdout      # never the caller's number


def test_a_voicemail_left_in_one_call_still_plays_after_that_call_has_ended(make_run):
    from ivr.sim.state import ACCOUNT_SID
    from ivr.twilio.rest import TwilioApi

    result = make_run.call(example("leave a voicemail"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert any(line.startswith("(record:") for line in result.stdout.splitlines())
    with make_run.database() as database:
        rows = database.execute("select recording_url from voicemails").fetchall()
    assert len(rows) == 1
    # What the staff pages' player fetches, with the helpline's credentials, once the call is over.
    token = (make_run.instance / "dev-twilio-token").read_text().strip()
    audio, content_type = TwilioApi(ACCOUNT_SID, token, f"http://127.0.0.1:{make_run.twilio_port}") \
        .recording_audio(rows[0][0])
    assert content_type == "audio/mpeg" and len(audio) > 1000


def test_nothing_the_examples_did_is_stamped_in_the_future(make_run):
    # One call of its own, so there is a record to look at whichever order the examples ran in.
    assert make_run.call(example("answer each menu"), stdin="1\nq\n").returncode == 0
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    with make_run.database() as database:
        times = [value for table, column in (("calls", "started_at"), ("calls", "ended_at"),
                                             ("callbacks", "requested_at"), ("offers", "created_at"))
                 for (value,) in database.execute(f"select {column} from {table}") if value]
    assert times
    assert [value for value in times if datetime.datetime.fromisoformat(str(value)[:26]) > now] == []


def readme_commands(starting: str) -> list:
    """(command, comment) of every README line starting with these words."""
    found = []
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(starting):
            command, _, comment = line.partition(" # ")
            found.append((command.strip(), comment.strip()))
    return found


def run_ivr(make_run, command: str) -> subprocess.CompletedProcess:
    words = shlex.split(command)
    return subprocess.run([str(VENV / "bin" / "ivr"), *words[1:]], capture_output=True, text=True,
                          env=make_run.env, cwd=REPO, timeout=120)


def test_trying_an_edited_flow_in_this_process_reaches_a_person_and_leaves_the_running_helplines_records_alone(
        make_run):
    (command, comment), = readme_commands(".venv/bin/ivr call --press")
    with make_run.database() as database:
        before = database.execute("select count(*) from calls").fetchone()[0]

    result = run_ivr(make_run, command)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-2].startswith("(talk: ")
    with make_run.database() as database:
        assert database.execute("select count(*) from calls").fetchone()[0] == before


def test_checking_the_flows_says_ok_in_text_and_in_json(make_run):
    (text, _), (as_json, _) = readme_commands(".venv/bin/ivr check")

    checked = run_ivr(make_run, text)
    assert checked.returncode == 0 and "flows/: OK" in checked.stderr, checked.stdout + checked.stderr
    checked = run_ivr(make_run, as_json)
    assert checked.returncode == 0 and '"ok": true' in checked.stdout


def test_the_staff_accounts_of_the_readme_are_made_and_their_links_open_the_set_password_page(make_run):
    links = []
    for command, comment in readme_commands(".venv/bin/ivr staff"):
        result = run_ivr(make_run, command)
        assert result.returncode == 0, (command, result.stdout + result.stderr)
        links += [word for word in result.stdout.split() if "/staff/set-password/" in word]
        if command.endswith("staff list"):
            listed = result.stdout
    assert len(links) == 4                      # three new accounts, and a new link for Ana
    assert "lena-lead" in listed and "ana-rivera" in listed and "ben-carter" in listed
    for link in links[-1:] + links[:1]:        # Ana's newest link; Lena's first one
        page = requests.get(make_run.url + link[link.index("/staff/"):], timeout=10)
        assert page.status_code == 200 and "password" in page.text.lower()
