"""One edit, one problem, where the edit was: a copy of the shipped flows broken as a staff member
might break it (a line indented one space off, the everywhere choice for a person deleted, a
pronounce rule removed) gets one line from `ivr check`, at the edited place, saying what to do."""
from __future__ import annotations

import datetime
import re
import shutil

import pytest

from ivr.flow.loader import load_flows

TODAY = datetime.date(2026, 12, 1)
MENU = "  main-menu:\n    type: menu\n    prompt: main-menu-choices\n"
PERSON = """\
  - name: a person
    key: "0"
    words:
      en: [someone, operator, a person, human, counselor, talk to someone]
      es: [una persona, operador, operadora, alguien, consejero]
    goto: talk-to-someone
"""


@pytest.fixture
def flows_dir(tmp_path, shipped_flows_dir):
    return shutil.copytree(shipped_flows_dir, tmp_path / "flows")


def edit(flows_dir, old: str, new: str, file: str = "main.yaml") -> int:
    """Replaces `old` once; the line (1-based) where it started."""
    path = flows_dir / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def errors(flows_dir) -> list:
    return [str(p) for p in load_flows(flows_dir, today=TODAY).errors]


# -- indentation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("spaces, column", [(5, 6), (3, 4)], ids=["one space too many", "one too few"])
def test_a_field_indented_off_by_one_says_indentation_and_the_column_it_belongs_in(flows_dir, spaces, column):
    line = edit(flows_dir, MENU, MENU.replace("    prompt:", " " * spaces + "prompt:")) + 2
    assert errors(flows_dir) == [
        f"{flows_dir}/main.yaml:{line}:{column}: the YAML is not well formed: the indentation of 'prompt'"
        f" (column {column}) does not match the fields beside it (indent it to column 5, as 'type' on line {line - 1})"]


def test_a_field_of_an_everywhere_choice_indented_too_little_is_lined_up_with_its_neighbours(flows_dir):
    line = edit(flows_dir, PERSON, PERSON.replace("    goto:", "   goto:")) + 5
    assert errors(flows_dir) == [
        f"{flows_dir}/main.yaml:{line}:4: the YAML is not well formed: the indentation of 'goto' (column 4)"
        f" does not match the fields beside it (indent it to column 5, as 'words' on line {line - 3})"]


def test_a_colon_inside_a_sentence_still_asks_for_quotes(flows_dir):
    line = edit(flows_dir, "    en: Please hold.", "    en: Please hold: we are here.")
    assert errors(flows_dir) == [
        f"{flows_dir}/main.yaml:{line}:20: the YAML is not well formed: mapping values are not allowed here"
        " (a value with ': ' in it needs quotes)"]


# -- the everywhere choice for a person ------------------------------------------------------------
MENUS = ("myoclonus-menu, opioid-link-menu, oin-menu, warning-menu, what-to-do-menu and 2 more,"
         " though their prompts say to press 0")


def test_deleting_the_everywhere_choice_for_a_person_is_one_problem_at_everywhere(flows_dir):
    edit(flows_dir, PERSON, "")
    line = edit(flows_dir, "everywhere:", "everywhere:")
    assert errors(flows_dir) == [
        f"{flows_dir}/main.yaml:{line}:1: everywhere: no choice takes a caller to a person, so 7 menus"
        f" have no key to one: {MENUS}"
        ' (add one: - {name: a person, key: "0", goto: talk-to-someone}, with words in each language)']


def test_taking_the_key_from_the_choice_for_a_person_is_one_problem_at_that_choice(flows_dir):
    line = edit(flows_dir, PERSON, PERSON.replace('    key: "0"\n', ""))
    assert errors(flows_dir) == [
        f"{flows_dir}/main.yaml:{line}:5: everywhere 'a person': has no key, so 7 menus have no key to a"
        f' person: {MENUS} (give it key: "0")']


# -- pronunciation -----------------------------------------------------------------------------------
def test_removing_a_pronounce_rule_is_one_problem_where_it_was_naming_every_text_that_says_it(flows_dir):
    line = edit(flows_dir, '      "911": digits             # nine one one, not nine hundred eleven\n', "")
    problems = errors(flows_dir)
    assert len(problems) == 1, problems
    # One problem naming every English text that says 911, however many the flows have today.
    said = re.match(rf"{re.escape(str(flows_dir))}/main.yaml:{line}:7: language 'en': (\d+) 'en' texts say 911, "
                    r"which a voice reads as a number: prompt 'emergency-first' \(line ", problems[0])
    assert said, problems[0]
    assert len(re.findall(r"'[\w-]+' \((?:line \d+|[\w-]+\.yaml:\d+)\)", problems[0])) == int(said.group(1)) > 1
    assert problems[0].endswith(", prompt 'act-emergency' (health-info.yaml:121)"
                                ' (add "911": digits under languages.en.pronounce, or "911": number if it is'
                                " meant as one)")
