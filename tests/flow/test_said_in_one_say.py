"""`ivr check` refuses a prompt or message text too long for one <Say> (Twilio's 13521:
https://www.twilio.com/docs/api/errors/13521), at the file and line of that text. Each folder in
said_too_long/ is a small flows directory, valid but for what its first comment describes."""
from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.flow.loader import load_flows
from ivr.flow.say_limit import too_long_to_say

FOLDERS = Path(__file__).parent / "said_too_long"
TODAY = datetime.date(2026, 12, 1)
EXPECTED = {
    "message-over-one-say": [
        "flows/main.yaml:114:9: message 'offer-taken': the 'es' text has 3,015 characters as Twilio counts them "
        "(UTF-8 bytes: an accented letter is two); one <Say> holds at most 3,000 "
        "(shorten it: a message is said in one piece)",
    ],
    "prompt-over-one-say": [
        "flows/main.yaml:46:11: say 'opening-hours': the 'en' text has 3,131 characters; one <Say> holds at most "
        "3,000 (split it into shorter prompts, one step each)",
        "flows/main.yaml:46:11: say 'opening-hours': the 'en' text takes about 216 seconds to say "
        "(keep a prompt under 30 seconds; split it into steps with a menu between)",
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_text_too_long_for_one_say_is_refused_at_its_line_with_a_hint(name, monkeypatch):
    monkeypatch.chdir(FOLDERS / name)

    problems = load_flows("flows", today=TODAY).problems

    assert sorted(str(problem) for problem in problems) == sorted(EXPECTED[name])
    assert all(problem.is_error for problem in problems)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ivr_check_exits_1_on_a_text_too_long_for_one_say(name):
    result = subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", "check", "flows"],
                            cwd=FOLDERS / name, capture_output=True, text=True, encoding="utf-8", timeout=60)

    assert result.returncode == 1
    assert "one <Say> holds at most 3,000" in result.stdout + result.stderr


@pytest.mark.parametrize("text, refused", [
    ("a" * 3000, False),
    ("a" * 3001, True),
    ("ñ" * 750, False),                    # 1,500 UTF-8 bytes, 4,500 characters URL-encoded
    ("ñ" * 751, True),                     # 4,506 characters URL-encoded
    ("ñ" * 1501, True),                    # 1,501 letters, 3,002 bytes: the stricter reading
    ("é " * 750, True),                    # 2,250 bytes, but 6,750 characters URL-encoded
    ("word " * 600, False),                # 3,000 bytes, 4,200 URL-encoded (its last space dropped: 2,999)
])
def test_a_text_is_measured_by_every_reading_of_twilios_limits(text, refused):
    assert bool(too_long_to_say("en", text.strip())) is refused
