"""`ivr check` reports each rule's mistake in a broken flows folder, with file, line and column.

Each folder in broken/ is a small flows directory, valid except for the one mistake its name and
first comment describe. The tests run in that folder and pass it as `flows`, so every line reads
as a staff member would see it: `flows/main.yaml:LINE:COLUMN: WHERE: MESSAGE (HINT)`.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.flow.loader import load_flows

BROKEN = Path(__file__).parent / "broken"
PROJECT = Path(__file__).parents[2]
TODAY = datetime.date(2026, 12, 1)
PLACE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): ")

# fixture folder -> every line `ivr check` should print for it, in order
ERRORS = {
    "language-digits-not-ten": [
        "flows/main.yaml:3:74: language 'en': 'digits' lists 9 words (list the words for 0 to 9, in order,"
        " e.g. [zero, one, two, ..., nine])",
    ],
    "menu-without-a-key-to-a-person": [
        'flows/main.yaml:33:5: menu \'main-menu\': no key here reaches a person (give the everywhere choice for a person a key ("0"), or give this menu an option that goes to a connect, queue or backup-line step)',
    ],
    "after-tries-not-a-person": [
        "flows/main.yaml:34:5: menu 'main-menu': after_tries leads to 'goodbye', which is not a person (a caller who keeps pressing wrong keys, or cannot press at all, needs someone: lead after_tries to a connect or backup-line step)",
    ],
    "prompt-announces-a-missing-key": [
        "flows/main.yaml:36:7: menu 'main-menu': the 'en' prompt says to press 3, but this step has no key 3 (add an option for it, or change the prompt)",
    ],
    "message-missing": [
        "flows/main.yaml:73:3: messages: has no message 'thank-you' (professionals hear it — the end of a professional's call with the helpline)",
    ],
    "message-unknown-placeholder": [
        "flows/main.yaml:79:14: message 'callers-ahead' (en): the 'en' text does not say {count} (callers need to hear it — on hold: how many callers are ahead of them)",
        "flows/main.yaml:79:14: message 'callers-ahead' (en): the 'en' text uses {cont}, which this message does not have (did you mean 'count'?)",
    ],
    "message-missing-plural-form": [
        "flows/main.yaml:78:7: message 'callers-ahead' (en): the 'en' text has no form for one (the numbers of this language need: one, other)",
    ],
    "language-without-a-voice": [
        "flows/main.yaml:4:7: language 'es': has no 'voice' (name a text-to-speech voice, e.g. Polly.Lea-Neural)",
    ],
    "step-name-with-a-colon": [
        "flows/main.yaml:41:15: menu 'main-menu': key '1' goes to 'opening:hours', which does not exist (there is no flows/opening.yaml)",
        "flows/main.yaml:43:3: steps: the step name 'opening:hours' is not usable (a name may not contain ':' (it separates a flow from a step) or start or end with a space)",
    ],
    "yaml-syntax-error": [
        "flows/main.yaml:46:21: the YAML is not well formed: mapping values are not allowed here"
        " (a value with ': ' in it needs quotes)",
    ],
    "unknown-field": [
        "flows/main.yaml:38:5: menu 'main-menu': unknown field 'timout' (did you mean 'timeout'?)",
    ],
    "text-field-given-a-number": [
        "flows/main.yaml:62:11: connect 'talk-to-someone': team should be text, found a number (2)"
        ' (put it in quotes: "2")',
    ],
    "word-no-read-as-false": [
        "flows/main.yaml:43:34: menu 'main-menu': a word should be text, found yes/no ('no' is read as False)"
        ' (put it in quotes: "no")',
    ],
    "menu-key-out-of-range": [
        "flows/main.yaml:39:14: menu 'main-menu': 'key' should be one phone key, found a number (10)"
        ' (use "0" to "9", "*" or "#", in quotes)',
    ],
    "menu-key-not-a-phone-key": [
        "flows/main.yaml:39:14: menu 'main-menu': 'key' should be one phone key, found text ('A')"
        ' (use "0" to "9", "*" or "#", in quotes)',
    ],
    "duplicate-yaml-key": [
        "flows/main.yaml:47:7: 'en' is written twice"
        " (the first is on line 46; YAML would silently keep only this one)",
    ],
    "duplicate-step-name": [
        "flows/main.yaml:50:3: 'opening-hours' is written twice"
        " (the first is on line 43; YAML would silently keep only this one)",
    ],
    "python-tag": [
        "flows/main.yaml:52:11: the YAML tag '!!python/object/apply:os.system' is not allowed"
        " (flows hold plain text, numbers and lists; remove the tag)",
    ],
    "missing-step": [
        "flows/main.yaml:41:15: menu 'main-menu': key '1' goes to 'opening_hours', which does not exist"
        " (did you mean 'opening-hours'?)",
    ],
    "missing-flow-file": [
        "flows/main.yaml:41:15: menu 'main-menu': key '1' goes to 'health-info:opening-hours',"
        " which does not exist (there is no flows/health-info.yaml)",
    ],
    "missing-flow-name-misspelled": [
        "flows/main.yaml:41:15: menu 'main-menu': key '1' goes to 'health:naloxone', which does not exist"
        " (did you mean 'health-info'?)",
    ],
    "missing-named-prompt": [
        "flows/main.yaml:22:18: defaults.menu: uses the prompt 'sorry-silence', which does not exist"
        " (did you mean 'sorry-silent'?)",
    ],
    "missing-named-recording": [
        "flows/main.yaml:34:17: prompt 'hours-info': the recording en/hours-2026.mp3 does not exist"
        " (put the file in audio/en/ or remove the line)",
    ],
    "unreachable-step": [
        "flows/main.yaml:51:5: say 'old-hours': no caller can reach this step"
        " (lead to it from a menu or another step, or remove it)",
    ],
    "say-loop-without-a-menu": [
        "flows/main.yaml:51:5: say 'holiday-hours': these steps loop forever without asking the caller"
        " anything: holiday-hours → opening-hours → holiday-hours (end the loop with a menu)",
    ],
    "goodbye-without-a-person": [
        "flows/main.yaml:60:5: goodbye 'closed': a caller can reach this goodbye without ever being offered"
        " a person (path: main:line-hours → main:closed; put a menu (0 reaches a person) or a connect step"
        " on the way)",
    ],
    "menu-without-defaults": [
        "flows/main.yaml:20:5: menu 'main-menu': has no 'after_tries' (a caller who keeps pressing wrong"
        " keys or says nothing would be stuck; set it here or under defaults.menu)",
        "flows/main.yaml:20:5: menu 'main-menu': has no 'when_invalid' (a caller who presses a wrong key"
        " would hear nothing; set it here or under defaults.menu)",
        "flows/main.yaml:20:5: menu 'main-menu': has no 'when_silent' (a caller who says nothing would"
        " hear nothing; set it here or under defaults.menu)",
    ],
    "menu-without-when-silent": [
        "flows/main.yaml:33:5: menu 'main-menu': has no 'when_silent' (a caller who says nothing would"
        " hear nothing; set it here or under defaults.menu)",
    ],
    "prompt-missing-a-language": [
        "flows/main.yaml:53:7: say 'emergency': has no 'es' text (every prompt needs each language: en, es)",
    ],
    "prompt-too-long": [
        "flows/main.yaml:46:11: say 'opening-hours': the 'en' text takes about 41 seconds to say"
        " (keep a prompt under 30 seconds; split it into steps with a menu between)",
    ],
    "menu-key-hides-everywhere-zero": [
        "flows/main.yaml:42:9: menu 'main-menu': key '0' hides the everywhere choice 'a person'"
        " (every menu sends 0 to 'talk-to-someone'; use another key)",
    ],
    "menu-words-hide-a-crisis-word": [
        "flows/main.yaml:42:9: menu 'main-menu': the words 'overdose kit' hide the everywhere choice"
        " 'crisis words' ('overdose') (choose words that do not contain it)",
    ],
    "menu-key-used-twice": [
        "flows/main.yaml:42:9: menu 'main-menu': key '1' is used twice (also on line 39)",
    ],
    "unknown-step-type": [
        "flows/main.yaml:44:11: step 'opening-hours': text ('sya') is not a step type (did you mean 'say'?)",
    ],
    "hours-bad-time-zone": [
        "flows/main.yaml:52:15: hours 'line-hours': 'America/NewYork' is not a time zone"
        " (use a name like America/New_York or America/Los_Angeles)",
    ],
    "hours-bad-time-range": [
        "flows/main.yaml:54:16: hours 'line-hours': text ('8am-8pm') is not a time range"
        ' (write it as "08:00-20:00")',
    ],
    "hours-bad-day": [
        "flows/main.yaml:54:7: hours 'line-hours': 'weekdays' is not a day or range of days"
        " (use mon, tue, … sun, a range like mon-fri, or every-day)",
    ],
    "missing-main": [
        "flows/main.yaml:1:1: is missing (every call starts in main.yaml)",
    ],
}

# Health information is checked against TODAY here; `ivr check` itself uses the real date.
WARNINGS = {
    "option-never-announced": [
        "flows/main.yaml:42:9: warning: menu 'main-menu': key '2' is never announced in the 'en' prompt (callers will not know it is there: say it in the prompt)",
        "flows/main.yaml:42:9: warning: menu 'main-menu': key '2' is never announced in the 'es' prompt (callers will not know it is there: say it in the prompt)",
    ],
    "health-review-stale": [
        "flows/main.yaml:32:5: warning: prompt 'naloxone-facts': last reviewed 82 months ago, on 2020-01-15"
        " by Dr. A. Rivera (reviews are due every 12 months; ask the clinical lead to check it)",
    ],
    "health-review-missing": [
        "flows/main.yaml:32:5: warning: prompt 'naloxone-facts': health information not yet reviewed by a"
        " clinician (once the clinical lead has checked it: ivr review main:naloxone-facts --by NAME)",
    ],
    "health-source-missing": [
        "flows/main.yaml:32:5: warning: prompt 'naloxone-facts': health information with no source"
        " (add source: where these facts come from)",
    ],
}

SEVERAL = {
    "several-mistakes": [
        "flows/health-info.yaml:7:12: say 'naloxone': 'pause' is 45, outside 0 to 30",
        "flows/main.yaml:22:18: defaults.menu: uses the prompt 'sorry-silence', which does not exist"
        " (did you mean 'sorry-silent'?)",
        "flows/main.yaml:38:5: menu 'main-menu': unknown field 'timout' (did you mean 'timeout'?)",
        "flows/main.yaml:42:15: menu 'main-menu': key '1' goes to 'opening_hours', which does not exist"
        " (did you mean 'opening-hours'?)",
        "flows/main.yaml:51:7: 'en' is written twice"
        " (the first is on line 50; YAML would silently keep only this one)",
        "flows/main.yaml:58:7: say 'emergency': has no 'es' text (every prompt needs each language: en, es)",
        "flows/main.yaml:66:11: connect 'talk-to-someone': team should be text, found a number (2)"
        ' (put it in quotes: "2")',
    ],
    # Every reference lands here, so the menu and graph rules have all they need to run too.
    "several-mistakes-of-different-kinds": [
        "flows/main.yaml:38:5: menu 'main-menu': unknown field 'timout' (did you mean 'timeout'?)",
        "flows/main.yaml:43:9: menu 'main-menu': key '0' hides the everywhere choice 'a person'"
        " (every menu sends 0 to 'talk-to-someone'; use another key)",
        "flows/main.yaml:55:5: say 'old-hours': no caller can reach this step"
        " (lead to it from a menu or another step, or remove it)",
    ],
}


def cases(*tables):
    return [pytest.param(name, lines, id=name) for table in tables for name, lines in table.items()]


def problems_in(name, monkeypatch) -> list:
    monkeypatch.chdir(BROKEN / name)
    return [str(problem) for problem in load_flows("flows", today=TODAY).problems]


def ivr_check(folder: Path, *options: str):
    """`ivr check flows` run in `folder`, as a staff member would run it: the same command, its
    output and exit code, in this process (click's runner; a new Python costs a second a fixture).
    `ivr_check_process` runs the installed command itself, for the tests that need a real process."""
    with contextlib.chdir(folder):
        return CliRunner().invoke(main, ["check", "flows", *options])


def ivr_check_process(folder: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from ivr.cli import main; main()", "check", "flows", *options],
        cwd=folder, capture_output=True, text=True, encoding="utf-8", timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def test_every_fixture_folder_has_its_expected_problems_written_down():
    from test_reading import FIXTURES as READING          # the reading rules' fixtures, written down there

    folders = {path.name for path in BROKEN.iterdir() if path.is_dir()}
    assert folders == set(ERRORS) | set(WARNINGS) | set(SEVERAL) | set(READING)


@pytest.mark.parametrize("name, expected", cases(ERRORS, WARNINGS))
def test_each_broken_fixture_reports_exactly_its_one_mistake_with_file_line_and_column(
        name, expected, monkeypatch):
    assert problems_in(name, monkeypatch) == expected


@pytest.mark.parametrize("name, expected", cases(SEVERAL))
def test_a_folder_with_several_different_mistakes_reports_every_one_in_one_run(name, expected, monkeypatch):
    assert problems_in(name, monkeypatch) == expected


@pytest.mark.parametrize("name, expected", cases(ERRORS, SEVERAL))
def test_ivr_check_prints_the_problems_and_exits_1_on_each_broken_fixture(name, expected):
    result = ivr_check(BROKEN / name)
    assert result.stdout.splitlines() == expected
    assert result.stderr.startswith(f"{len(expected)} problem{'s' * (len(expected) != 1)} to fix")
    assert result.exit_code == 1


def test_the_installed_ivr_check_prints_a_broken_folders_problems_and_exits_1():
    result = ivr_check_process(BROKEN / "several-mistakes-of-different-kinds")
    assert result.stdout.splitlines() == SEVERAL["several-mistakes-of-different-kinds"]
    assert result.returncode == 1


@pytest.mark.parametrize("name, expected", cases(ERRORS, SEVERAL))
def test_ivr_check_json_gives_each_problem_with_its_file_line_and_column(name, expected):
    result = ivr_check(BROKEN / name, "--format", "json")
    report = json.loads(result.stdout)
    places = [PLACE.match(line).groupdict() for line in expected]
    assert [{"file": p["file"], "line": p["line"], "column": p["column"]} for p in report["problems"]] == [
        {"file": place["file"], "line": int(place["line"]), "column": int(place["column"])}
        for place in places]
    assert (report["ok"], report["errors"], report["warnings"]) == (False, len(expected), 0)
    assert result.exit_code == 1


@pytest.mark.parametrize("name", ["health-review-missing", "health-source-missing"])
def test_ivr_check_warns_about_health_information_but_still_exits_0(name):
    result = ivr_check(BROKEN / name)
    assert set(WARNINGS[name]) <= set(result.stdout.splitlines())
    assert result.stderr.startswith("flows: OK") and result.stderr.endswith(", 1 warning\n")
    assert result.exit_code == 0


def test_a_review_older_than_review_months_is_a_warning_and_ivr_check_still_exits_0():
    result = ivr_check(BROKEN / "health-review-stale", "--review-months", "6")
    assert re.fullmatch(
        r"flows/main\.yaml:32:5: warning: prompt 'naloxone-facts': last reviewed \d+ months ago,"
        r" on 2020-01-15 by Dr\. A\. Rivera \(reviews are due every 6 months;"
        r" ask the clinical lead to check it\)\n", result.stdout)
    assert result.stderr.startswith("flows: OK") and result.stderr.endswith(", 1 warning\n")
    assert result.exit_code == 0


def test_ivr_check_passes_the_shipped_flows():
    result = ivr_check_process(PROJECT)
    assert result.returncode == 0, result.stdout
    assert result.stderr.startswith("flows: OK")
