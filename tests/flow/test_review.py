"""`ivr review`: the clinical lead signs health information in the flow file itself, `ivr check`
stops warning about what was signed, and `ivr review --due` is the lead's to-do list.

Every test works on a copy of the shipped flows whose health information waits for the clinical
lead (an empty `reviewed:`), and runs the commands beside it, so paths read as staff see them.
"""
from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.flow import review_edit
from ivr.flow.loader import load_flows

WAITING = "    reviewed:                   # not yet: the clinical lead signs with `ivr review`\n"
SIGNED = "    reviewed: {by: Dr. A. Rivera, on: 2026-11-24}\n"
TODAY = datetime.date.today()


@pytest.fixture
def flows(tmp_path, monkeypatch, shipped_flows_dir) -> Path:
    shutil.copytree(shipped_flows_dir, tmp_path / "flows")
    health_info = tmp_path / "flows" / "health-info.yaml"
    # Whatever the shipped prompts say today, start from "not yet reviewed".
    health_info.write_text(re.sub(r"(?m)^    reviewed:.*\n", WAITING, health_info.read_text("utf-8")), "utf-8")
    monkeypatch.chdir(tmp_path)
    return Path("flows")


def ivr(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def health_prompts(flows: Path) -> list:
    prompts = load_flows(flows).flows.prompts
    return sorted(name for (flow, name), prompt in prompts.items() if prompt.health)


def unreviewed_warnings(output: str) -> list:
    return sorted(re.findall(r"warning: prompt '([^']+)': health information not yet reviewed by a clinician",
                             output))


def contents(flows: Path) -> dict:
    return {path.name: path.read_bytes() for path in sorted(flows.iterdir())}


def reviewed_line_of(lines: list, prompt: str) -> int:
    """The index of `prompt`'s `reviewed:` line."""
    start = lines.index(f"  {prompt}:\n")
    return next(i for i in range(start, len(lines)) if lines[i].startswith("    reviewed:"))


def test_health_information_not_yet_reviewed_is_a_warning_and_callers_still_hear_it(flows):
    result = ivr("check", flows)
    assert result.exit_code == 0, result.output
    assert unreviewed_warnings(result.stdout) == health_prompts(flows)
    assert re.search(r"^flows/health-info\.yaml:\d+:5: warning: prompt 'oin-what': health information not yet"
                     r" reviewed by a clinician \(once the clinical lead has checked it:"
                     r" ivr review health-info:oin-what --by NAME\)$", result.stdout, re.MULTILINE)
    assert result.stderr.startswith("flows: OK")


def test_a_recorded_review_ends_that_prompts_warning_and_no_other(flows):
    result = ivr("review", "health-info:oin-what", "--by", "Dr. A. Rivera", "--on", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"flows/health-info\.yaml:\d+: health-info:oin-what: reviewed by Dr\. A\. Rivera"
                        r" on 2026-11-24\n", result.output)
    prompt = load_flows(flows).flows.prompts[("health-info", "oin-what")]
    assert (prompt.reviewed_by, prompt.reviewed_on) == ("Dr. A. Rivera", datetime.date(2026, 11, 24))
    warned = unreviewed_warnings(ivr("check", flows).stdout)
    assert warned == [name for name in health_prompts(flows) if name != "oin-what"]


def test_only_the_reviewed_line_changes_and_every_comment_stays(flows):
    before = contents(flows)
    ivr("review", "oin-what", "--by", "Dr. A. Rivera", "--on", "2026-11-24")
    after = contents(flows)
    assert after.keys() == before.keys()              # no temporary file left behind
    assert {n: b for n, b in after.items() if n != "health-info.yaml"} == \
        {n: b for n, b in before.items() if n != "health-info.yaml"}
    old = before["health-info.yaml"].decode().splitlines(keepends=True)
    new = after["health-info.yaml"].decode().splitlines(keepends=True)
    changed = reviewed_line_of(old, "oin-what")
    assert old[changed] == WAITING and new[changed] == SIGNED
    assert new[:changed] + new[changed + 1:] == old[:changed] + old[changed + 1:]


OIN_WHAT_REVIEWED_AS = {
    "nothing": ["    reviewed:\n"],
    "a tilde": ["    reviewed: ~    # to do\n"],
    "an old review": ["    reviewed: {by: Helpline clinical lead, on: 2020-01-15}\n"],
    "lines of its own": ["    reviewed:       # on paper too\n", "      by: Dr. Old\n",
                         "      on: 2020-01-15  # the old guideline\n"],
}


@pytest.mark.parametrize("written", OIN_WHAT_REVIEWED_AS.values(), ids=OIN_WHAT_REVIEWED_AS.keys())
def test_however_the_review_was_written_it_becomes_one_line(flows, written):
    path = flows / "health-info.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    at = reviewed_line_of(lines, "oin-what")
    path.write_text("".join(lines[:at] + written + lines[at + 1:]), "utf-8")
    assert ivr("review", "oin-what", "--by", "Dr. A. Rivera", "--on", "2026-11-24").exit_code == 0
    assert path.read_text("utf-8") == "".join(lines[:at] + [SIGNED] + lines[at + 1:])


def test_a_health_prompt_without_a_reviewed_line_gets_one_under_health(flows):
    path = flows / "health-info.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    del lines[reviewed_line_of(lines, "oin-what")]
    path.write_text("".join(lines), "utf-8")
    assert unreviewed_warnings(ivr("check", flows).stdout) == health_prompts(flows)
    assert ivr("review", "oin-what", "--by", "Dr. A. Rivera", "--on", "2026-11-24").exit_code == 0
    health = lines.index("    health: true\n", lines.index("  oin-what:\n")) + 1
    assert path.read_text("utf-8") == "".join(lines[:health] + [SIGNED] + lines[health:])


def test_a_file_saved_on_windows_keeps_its_line_endings(flows):
    path = flows / "health-info.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    at = reviewed_line_of(lines, "oin-what")
    path.write_bytes("".join(lines).replace("\n", "\r\n").encode())
    assert ivr("review", "oin-what", "--by", "Dr. A. Rivera", "--on", "2026-11-24").exit_code == 0
    assert path.read_bytes() == "".join(lines[:at] + [SIGNED] + lines[at + 1:]).replace("\n", "\r\n").encode()


def test_a_name_with_commas_and_colons_is_kept_exactly_as_given(flows):
    name = "Rivera, MD: clinical lead #1"
    assert ivr("review", "oin-what", "--by", name, "--on", "2026-11-24").exit_code == 0
    assert load_flows(flows).flows.prompts[("health-info", "oin-what")].reviewed_by == name


def test_several_prompts_are_signed_at_once_by_name_alone_when_only_one_flow_has_it(flows):
    result = ivr("review", "oin-what", "oin-pain", "health-info:act-help", "--by", "Dr. A. Rivera")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 3
    prompts = load_flows(flows).flows.prompts
    for name in ("oin-what", "oin-pain", "act-help"):
        assert prompts[("health-info", name)].reviewed_on == TODAY
    assert unreviewed_warnings(ivr("check", flows).stdout) == sorted(
        set(health_prompts(flows)) - {"oin-what", "oin-pain", "act-help"})


@pytest.mark.parametrize("names, refusal", [
    (["oin-what", "oin-wat"], "there is no prompt 'oin-wat' (did you mean 'oin-what'?)"),
    (["health-info:act-hlp"], "there is no prompt 'health-info:act-hlp' (did you mean 'health-info:act-help'?)"),
    (["oin-what", "topic-menu"], "'health-info:topic-menu' is not health information, so it needs no clinical"
                                 " review (if it is, add health: true and its source: to it first)"),
])
def test_a_prompt_that_cannot_be_signed_is_refused_and_nothing_is_written(flows, names, refusal):
    before = contents(flows)
    result = ivr("review", *names, "--by", "Dr. A. Rivera")
    assert result.exit_code == 1
    assert result.output == f"Error: nothing was recorded:\n  {refusal}\n"
    assert contents(flows) == before


def test_a_name_two_flows_use_must_say_which_flow(flows):
    main_yaml = flows / "main.yaml"
    main_yaml.write_text(main_yaml.read_text("utf-8").replace("\nprompts:\n", "\nprompts:\n  oin-what:\n"
                         "    en: Hello.\n    es: Hola.\n    health: true\n    source: a leaflet\n", 1), "utf-8")
    result = ivr("review", "oin-what", "--by", "Dr. A. Rivera")
    assert result.exit_code == 1
    assert "'oin-what' is a prompt in several flows: health-info:oin-what, main:oin-what" \
           " (say which, as flow:name)" in result.output
    assert ivr("review", "main:oin-what", "--by", "Dr. A. Rivera").exit_code == 0


def test_a_review_dated_in_the_future_is_refused(flows):
    before = contents(flows)
    tomorrow = TODAY + datetime.timedelta(days=1)
    result = ivr("review", "oin-what", "--by", "Dr. A. Rivera", "--on", tomorrow.isoformat())
    assert result.exit_code == 1
    assert f"--on {tomorrow.isoformat()} is in the future" in result.output
    assert contents(flows) == before


def test_flows_with_a_mistake_are_not_signed_until_it_is_fixed(flows):
    main_yaml = flows / "main.yaml"
    main_yaml.write_text(re.sub(r"(?m)^start: \S+", "start: nowhere", main_yaml.read_text("utf-8")), "utf-8")
    before = contents(flows)
    result = ivr("review", "oin-what", "--by", "Dr. A. Rivera")
    assert result.exit_code == 1
    assert "flows has problems to fix first (run: ivr check flows)" in result.output
    assert contents(flows) == before


def test_a_review_that_would_break_the_flows_is_not_written(flows, monkeypatch):
    monkeypatch.setattr(review_edit, "_written_review", lambda by, on: "{by: [not, text], on: 2026-11-24}")
    before = contents(flows)
    result = ivr("review", "oin-what", "--by", "Dr. A. Rivera")
    assert result.exit_code == 1
    assert re.search(r"recording the review would break the flows \(flows/health-info\.yaml:\d+:\d+: ",
                     result.output)
    assert contents(flows) == before


def test_a_file_that_cannot_be_saved_is_left_whole(flows, monkeypatch):
    def refuse(source, target):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(review_edit.os, "replace", refuse)
    before = contents(flows)
    result = ivr("review", "oin-what", "--by", "Dr. A. Rivera")
    assert result.exit_code == 1
    assert "could not save flows/health-info.yaml: Permission denied" in result.output
    assert contents(flows) == before                 # the old file, and no half-written one beside it


def test_due_lists_every_health_prompt_never_reviewed_as_a_to_do_not_a_failure(flows):
    result = ivr("review", "--due", "--flows", flows)
    assert result.exit_code == 0
    listed = [re.fullmatch(r"flows/health-info\.yaml:(\d+): health-info:([a-z-]+): never reviewed", line)
              for line in result.stdout.splitlines()]
    assert all(listed), result.stdout
    assert sorted(match[2] for match in listed) == health_prompts(flows)
    assert [int(match[1]) for match in listed] == sorted(int(match[1]) for match in listed)   # as in the file
    assert result.stderr == f"{len(listed)} health prompts due for a clinical review;" \
                            " once checked: ivr review PROMPT... --by NAME\n"


def test_due_lists_a_review_older_than_the_months_given(flows):
    long_ago = TODAY.replace(year=TODAY.year - 1) - datetime.timedelta(days=31)
    ivr("review", "oin-what", "--by", "Dr. A. Rivera", "--on", long_ago.isoformat())
    assert re.search(rf"^flows/health-info\.yaml:\d+: health-info:oin-what: last reviewed {long_ago.isoformat()}"
                     r" by Dr\. A\. Rivera$", ivr("review", "--due").stdout, re.MULTILINE)
    assert "oin-what" not in ivr("review", "--due", "--review-months", "24").stdout


def test_due_says_so_when_every_review_is_recent(flows):
    assert ivr("review", *health_prompts(flows), "--by", "Dr. A. Rivera").exit_code == 0
    result = ivr("review", "--due")
    assert result.exit_code == 0
    assert result.output == "flows: nothing is due; every health prompt was reviewed in the last 12 months\n"
    assert unreviewed_warnings(ivr("check", flows).stdout) == []
