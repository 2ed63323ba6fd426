"""Reading flow files: values as YAML means them, each with its line and column; a file that
cannot be read hides nothing else; keys in quotes; recordings that no longer say their prompt.

The fixture folders named in FIXTURES are in broken/, like every other rule's (see
test_check_rules.py); the others here edit a copy of one to show a variation of its rule.
"""
from __future__ import annotations

import datetime
import random
import shutil
from pathlib import Path

import pytest
import yaml

import flowgen
from ivr.flow.loader import load_flows
from ivr.yamlfile.source import Mapping, Scalar, Sequence, read_yaml

BROKEN = Path(__file__).parent / "broken"
SHIPPED = Path(__file__).resolve().parents[2] / "flows"
TODAY = datetime.date(2026, 12, 1)

# fixture folder -> every line `ivr check` should print for it, in order
FIXTURES = {
    "yaml-error-in-another-flow": [
        "flows/health-info.yaml:6:1: the YAML is not well formed: while scanning for the next token found"
        " character '\\t' that cannot start any token (indent with spaces, not tabs)",
    ],
    "yaml-error-in-main": [
        "flows/health-info.yaml:8:5: prompt 'myoclonus-signs': has no 'es' text"
        " (every prompt needs each language: en, es)",
        "flows/health-info.yaml:18:15: menu 'myoclonus': key '1' goes to 'wat', which does not exist"
        " (did you mean 'what'?)",
        "flows/health-info.yaml:26:12: say 'what': 'pause' should be a whole number, found text ('long')",
        "flows/health-info.yaml:32:5: say 'signs': unknown field 'paus' (did you mean 'pause'?)",
        "flows/main.yaml:8:9: the YAML is not well formed: while parsing a flow sequence expected ',' or ']',"
        " but got ':' (check the indentation and quotes on this line and the one before)",
    ],
    "menu-key-not-in-quotes": [
        "flows/main.yaml:39:14: menu 'main-menu': 'key' should be one phone key, found a number (1)"
        ' (write the key in quotes: "1")',
    ],
    "recording-says-another-text": [
        "flows/main.yaml:33:9: warning: prompt 'hours-info': the recording audio/es/hours-info.mp3 says"
        " another text than the 'es' text here (re-record it, or update audio/es/hours-info.txt once it"
        " matches)",
    ],
    "recording-without-transcript": [
        "flows/main.yaml:32:9: warning: prompt 'hours-info': the recording audio/en/hours-info.wav has no"
        " transcript, so whether it says the 'en' text here cannot be checked (write the words it says in"
        " audio/en/hours-info.txt)",
    ],
}


def problems_in(folder: Path, monkeypatch) -> list:
    monkeypatch.chdir(folder)
    return [str(problem) for problem in load_flows("flows", today=TODAY).problems]


def copy_of(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(BROKEN / name, tmp_path / name))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("name, expected", [pytest.param(n, e, id=n) for n, e in FIXTURES.items()])
def test_each_fixture_reports_exactly_its_mistake_with_file_line_and_column(name, expected, monkeypatch):
    assert problems_in(BROKEN / name, monkeypatch) == expected


# -- reading -----------------------------------------------------------------------------------
def plain(node):
    """A located tree as the plain data PyYAML's SafeLoader would make of it."""
    if isinstance(node, Mapping):
        return {key: plain(value) for key, value in node.entries.items()}
    if isinstance(node, Sequence):
        return [plain(item) for item in node.items]
    return node.value


def assert_read_as_pyyaml_reads_it(text: str) -> None:
    tree, problems = read_yaml(text, "x.yaml")
    assert problems == []
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    assert plain(tree) == expected
    assert [type(v) for v in _leaves(plain(tree))] == [type(v) for v in _leaves(expected)]


def _leaves(data):
    if isinstance(data, dict):
        return [leaf for key in data for leaf in _leaves(data[key])]
    if isinstance(data, list):
        return [leaf for item in data for leaf in _leaves(item)]
    return [data]


TRICKY = [
    "a: no\nb: 'no'\nc: on\nd: 010\ne: 1_000\nf: 2026-12-25\ng: ~\nh:\ni: 12:30\nj: .inf\nk: 0x1F\n",
    "a: >-\n  folded\n  text\nb: |\n  kept\n  lines\nc: \"double\"\nd: 'it''s'\ne: \"tab\\there\"\n",
    "a: Mioclonía, señales\nb: [uno, dos, 'tres']\nc: {en: x, es: y}\n",
    "a: multi\n  line plain\nb: 'multi\n  line quoted'\n",
    "- a\n- b: c\n  d: e\n",
    "key: value # a comment\n# another\nother: 'x # not a comment'\n",
    "a: !!int '5'\nb: !!str 5\nc: !!float 1\nd: &x [1, 2]\ne: *x\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_values_are_read_as_yaml_1_1_says_no_is_false_and_010_is_eight(text):
    assert_read_as_pyyaml_reads_it(text)


@pytest.mark.parametrize("name", sorted(p.name for p in SHIPPED.glob("*.yaml")))
def test_the_shipped_files_are_read_as_pyyaml_reads_them(name):
    assert_read_as_pyyaml_reads_it((SHIPPED / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", range(8))
def test_generated_flows_are_read_as_pyyaml_reads_them(seed):
    for text in flowgen.flow_files(random.Random(seed), 40).values():
        assert_read_as_pyyaml_reads_it(text)


def test_keys_are_kept_as_written_where_yaml_would_make_numbers_and_yes_no_of_them():
    tree, problems = read_yaml("1: one\nyes: true\n05: five\n", "x.yaml")
    assert problems == [] and list(tree.entries) == ["1", "yes", "05"]


def test_every_key_and_value_knows_the_line_and_column_it_was_written_at():
    tree, _ = read_yaml("steps:\n  welcome:\n    type: say\n    holidays: [2026-12-25, 'x']\n", "f.yaml")
    welcome = tree.get("steps").get("welcome")
    key = tree.get("steps").key_node("welcome")
    assert (key.line, key.column, welcome.line, welcome.column) == (2, 3, 3, 5)
    holidays = welcome.get("holidays")
    assert [(item.line, item.column, item.value, item.quoted) for item in holidays.items] == [
        (4, 16, datetime.date(2026, 12, 25), False), (4, 28, "x", True)]
    assert isinstance(welcome.get("type"), Scalar) and welcome.get("type").raw == "say"


@pytest.mark.parametrize("text, expected", [
    ("a: 1\nb: [<<, x]\n<<: {c: 2}\n", [
        "x.yaml:2:5: the YAML tag '!!merge' is not allowed (flows hold plain text, numbers and lists; remove the tag)",
        "x.yaml:3:1: YAML merge keys ('<<') are not supported (write the fields out in full)"]),
    ("a: =\n", ["x.yaml:1:4: the YAML tag '!!value' is not allowed"
                " (flows hold plain text, numbers and lists; remove the tag)"]),
    ("a: !!bool maybe\nb: 2026-02-30\n", [
        "x.yaml:1:4: cannot read 'maybe': it is not a valid bool",
        "x.yaml:2:4: cannot read '2026-02-30': it is not a valid timestamp"]),
    ("[a]: b\n", ["x.yaml:1:1: a field name must be a plain word"]),
])
def test_what_plain_data_cannot_hold_is_reported_where_it_is_written(text, expected):
    _, problems = read_yaml(text, "x.yaml")
    assert [str(problem) for problem in problems] == expected


INDENTATION = "x.yaml:{}: the YAML is not well formed: the indentation of {!r} (column {}) does not match the fields beside it"


@pytest.mark.parametrize("text, expected", [
    # After a text written over several lines (>-), one space deeper than its neighbour.
    ("prompts:\n  a:\n    en: >-\n      Call us.\n      Any time.\n     es: Llámenos.\n",
     INDENTATION.format("6:6", "es", 6) + " (indent it to column 5, as 'en' on line 3)"),
    # An option of a list, one space short.
    ("options:\n  - key: \"1\"\n    goto: a\n  - key: \"2\"\n   goto: b\n",
     INDENTATION.format("5:4", "goto", 4) + " (indent it to column 5, as 'key' on line 4)"),
    # A sentence with a colon in it is not a field: it needs quotes.
    ("prompts:\n  a:\n    en: Call us\n      Today: we are open.\n",
     "x.yaml:4:12: the YAML is not well formed: mapping values are not allowed here"
     " (a value with ': ' in it needs quotes)"),
])
def test_a_line_indented_off_names_the_column_it_belongs_in_and_a_colon_in_a_sentence_asks_for_quotes(
        text, expected):
    tree, problems = read_yaml(text, "x.yaml")
    assert tree is None
    assert [str(problem) for problem in problems] == [expected]


def test_an_alias_bomb_is_stopped_rather_than_filling_the_memory():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    tree, problems = read_yaml("\n".join(lines) + "\n", "x.yaml")
    assert tree is None
    assert [str(problem) for problem in problems] == [
        "x.yaml:1:1: the file is too large to read"
        " (it expands to more than 2 million values; are aliases (*name) nested?)"]


# -- a file that cannot be read ------------------------------------------------------------------
def test_a_flow_file_that_cannot_be_read_is_known_so_nothing_leading_to_it_is_reported_missing(
        tmp_path, monkeypatch):
    folder = copy_of("yaml-error-in-another-flow", tmp_path)
    (folder / "flows" / "health-info.yaml").write_bytes(b"steps: caf\xe9\n")
    assert problems_in(folder, monkeypatch) == ["flows/health-info.yaml:1:1: is not UTF-8 text (byte 10)"
                                                " (save it as UTF-8)"]


def test_once_the_unreadable_file_is_fixed_what_leads_into_it_is_checked_again(tmp_path, monkeypatch):
    folder = copy_of("yaml-error-in-another-flow", tmp_path)
    health = folder / "flows" / "health-info.yaml"
    edit(health, "\tes:", "      es:")
    edit(health, "  myoclonus:\n", "  myoclonus-what:\n")
    assert problems_in(folder, monkeypatch) == [
        "flows/main.yaml:41:15: menu 'main-menu': key '1' goes to 'health-info:myoclonus', which does not"
        " exist (did you mean 'health-info:myoclonus-what'?)"]


def test_a_reference_to_a_flow_file_that_is_not_there_names_the_folder_it_was_looked_for_in(
        tmp_path, monkeypatch):
    folder = copy_of("yaml-error-in-another-flow", tmp_path)
    (folder / "flows" / "health-info.yaml").unlink()
    (folder / "flows").rename(folder / "call-flows")
    monkeypatch.chdir(folder)
    assert [str(p) for p in load_flows("call-flows", today=TODAY).problems] == [
        "call-flows/main.yaml:41:15: menu 'main-menu': key '1' goes to 'health-info:myoclonus',"
        " which does not exist (there is no call-flows/health-info.yaml)"]


# -- keys --------------------------------------------------------------------------------------
def test_a_key_written_05_is_refused_and_the_message_says_yaml_read_it_as_5(tmp_path, monkeypatch):
    folder = copy_of("menu-key-not-in-quotes", tmp_path)
    edit(folder / "flows" / "main.yaml", "- key: 1\n", "- key: 05\n")
    assert problems_in(folder, monkeypatch) == [
        "flows/main.yaml:39:14: menu 'main-menu': 'key' should be one phone key, found a number"
        " ('05' is read as 5) (write the key in quotes: \"5\")"]


@pytest.mark.parametrize("field", ["repeat_key", "back_key"])
def test_the_keys_under_defaults_must_be_in_quotes_too(field, tmp_path, monkeypatch):
    folder = copy_of("menu-key-not-in-quotes", tmp_path)
    edit(folder / "flows" / "main.yaml", "- key: 1\n", '- key: "1"\n')
    edit(folder / "flows" / "main.yaml", "  menu:\n", f"  menu:\n    {field}: 8\n")
    assert problems_in(folder, monkeypatch) == [
        f"flows/main.yaml:20:{5 + len(field) + 2}: defaults.menu: {field!r} should be one phone key, found a"
        ' number (8) (write the key in quotes: "8")']


# -- recordings and reviews --------------------------------------------------------------------
def test_a_transcript_that_differs_only_in_spaces_and_line_breaks_says_the_same_text(tmp_path, monkeypatch):
    folder = copy_of("recording-says-another-text", tmp_path)
    (folder / "audio" / "es" / "hours-info.txt").write_text(
        "  Alguien está aquí para hablar con usted\n\ntodos los días,   de día y de noche.\n", encoding="utf-8")
    assert problems_in(folder, monkeypatch) == []


def test_a_prompt_read_aloud_with_no_recording_needs_no_transcript(tmp_path, monkeypatch):
    folder = copy_of("recording-without-transcript", tmp_path)
    (folder / "audio" / "en" / "hours-info.wav").unlink()
    (folder / "audio" / "en" / "hours-info.txt").write_text("Some old words.\n", encoding="utf-8")
    assert problems_in(folder, monkeypatch) == []


@pytest.mark.parametrize("written", ["reviewed:", "reviewed: ~", 'reviewed: ""'])
def test_an_empty_reviewed_means_not_yet_reviewed_and_is_no_error(written, tmp_path, monkeypatch):
    folder = copy_of("recording-says-another-text", tmp_path)
    (folder / "audio" / "es" / "hours-info.txt").unlink()
    (folder / "audio" / "es" / "hours-info.mp3").unlink()
    edit(folder / "flows" / "main.yaml", "  hours-info:\n",
         f"  hours-info:\n    health: true\n    source: The clinical lead\n    {written}\n")
    monkeypatch.chdir(folder)
    result = load_flows("flows", today=TODAY)
    assert result.errors == [] and result.flows is not None
    assert result.flows.prompts[("main", "hours-info")].reviewed_on is None
