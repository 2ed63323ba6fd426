"""Pronunciation: the `pronounce:` table of a language, the pieces a prompt is said in, the checks
`ivr check` runs over every prompt, and the <Say> TwiML the pieces become."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from ivr.flow.model import Language
from ivr.flow.pronounce import (
    PHONEME, SAY_AS, SUB, Pronunciation, Rule, SpokenText, check_pronunciation, check_voice, pieces,
    read_pronunciation,
)
from ivr.yamlfile.source import read_yaml
from ivr.twilio.twiml import say_pronounced

FILE = "flows/main.yaml"
# Line 1 is `languages:`; the rules start on line 5, their words in column 7.
HEAD = "languages:\n  {code}:\n    voice: {voice}\n    pronounce:\n"

ENGLISH = """\
      911: digits
      "988": digits
      OIN: letters
      myoclonus: {ipa: maɪˈɑklənəs}
      neurotoxicity: {say: neuro toxicity}
      "2026": number
"""
SPANISH = """\
      "911": digits
      "988": digits
      mioclonía: {ipa: mjokloˈnia}
"""


def read_table(rules: str, code: str = "en", voice: str = "Polly.Joanna-Neural") -> tuple:
    """The language's Pronunciation and every problem, as `ivr check` prints them."""
    tree, problems = read_yaml(HEAD.format(code=code, voice=voice) + rules, FILE)
    assert problems == []
    node = tree.get("languages").get(code).get("pronounce")
    found: list = []
    table = read_pronunciation(node, FILE, code, found)
    return table, [str(problem) for problem in found]


def said(text: str, table: Pronunciation) -> list:
    """Each piece as (text, the rule's word), None for plain text."""
    return [(piece.text, piece.rule.word if piece.rule else None) for piece in pieces(text, table)]


# -- reading -------------------------------------------------------------------------------------
def test_the_table_gives_each_word_its_ssml_and_remembers_where_it_was_written():
    table, problems = read_table(ENGLISH)
    assert problems == []
    assert table.rules == (
        Rule("911", "digits", SAY_AS, "digits"),
        Rule("988", "digits", SAY_AS, "digits"),
        Rule("OIN", "letters", SUB, "O I N"),
        Rule("myoclonus", "ipa", PHONEME, "maɪˈɑklənəs"),
        Rule("neurotoxicity", "say", SUB, "neuro toxicity"),
        Rule("2026", "number", ""),
    )
    assert [(rule.file, rule.line, rule.column) for rule in table.rules] == [
        (FILE, line, 7) for line in range(5, 11)]
    assert (table.language, table.line, table.column) == ("en", 5, 7)


def test_a_number_needs_no_quotes():
    slow, _ = read_table(SPANISH, "es")
    assert [rule.word for rule in slow.rules] == ["911", "988", "mioclonía"]


def test_a_language_without_a_table_has_no_rules_and_says_its_text_plainly():
    table = read_pronunciation(None, FILE, "es", [])
    assert table == Pronunciation("es")
    assert said("Llame al 911.", table) == [("Llame al 911.", None)]
    assert pieces("", table) == ()


BROKEN_RULES = {
    "an unknown way to say it": (
        "      OIN: spell\n",
        [f"{FILE}:5:12: language 'en': text ('spell') is not a way to pronounce 'OIN'"
         " (use digits, number, letters, {say: WORDS} or {ipa: SOUNDS})"]),
    "a misspelt way to say it": (
        "      911: digit\n",
        [f"{FILE}:5:12: language 'en': text ('digit') is not a way to pronounce '911' (did you mean 'digits'?)"]),
    "a number where a way to say it goes": (
        "      911: 3\n",
        [f"{FILE}:5:12: language 'en': a number (3) is not a way to pronounce '911'"
         " (use digits, number, letters, {say: WORDS} or {ipa: SOUNDS})"]),
    "a list where a way to say it goes": (
        "      911: [digits]\n",
        [f"{FILE}:5:12: language 'en': a list is not a way to pronounce '911'"
         " (use digits, number, letters, {say: WORDS} or {ipa: SOUNDS})"]),
    "digits for a word": (
        "      OIN: digits\n",
        [f"{FILE}:5:12: language 'en': 'OIN' has no digits to read as digits"
         " (use letters to spell it out, {say: WORDS} or {ipa: SOUNDS})"]),
    "an empty IPA": (
        "      myoclonus: {ipa: }\n",
        [f"{FILE}:5:19: language 'en': 'myoclonus' has no IPA sounds (write them, e.g. {{ipa: maɪˈɑklənəs}})"]),
    "an empty alias": (
        '      OIN: {say: ""}\n',
        [f"{FILE}:5:13: language 'en': 'OIN' has no words to say (write them, e.g. {{say: O I N}})"]),
    "a yes/no where the IPA goes": (
        "      OIN: {ipa: no}\n",
        [f"{FILE}:5:18: language 'en': 'ipa' should be text, found yes/no ('no' is read as False)"
         ' (put it in quotes: "no")']),
    "letters for something with none": (
        '      "&": letters\n',
        [f"{FILE}:5:12: language 'en': '&' has no letters to spell out"
         " (use digits, number, letters, {say: WORDS} or {ipa: SOUNDS})"]),
    "IPA copied with its slashes": (
        "      myoclonus: {ipa: /maɪˈɑklənəs/}\n",
        [f"{FILE}:5:24: language 'en': the IPA for 'myoclonus' is written with // around it"
         " (write only the sounds, without the slashes or brackets)"]),
    "both an alias and IPA": (
        "      OIN: {say: O I N, ipa: oʊaɪɛn}\n",
        [f"{FILE}:5:12: language 'en': say how to pronounce 'OIN' one way"
         " (write either {say: WORDS} or {ipa: SOUNDS})"]),
    "a misspelt field": (
        "      OIN: {sya: O I N}\n",
        [f"{FILE}:5:13: language 'en': unknown field 'sya' (did you mean 'say'?)",
         f"{FILE}:5:12: language 'en': say how to pronounce 'OIN' one way"
         " (write either {say: WORDS} or {ipa: SOUNDS})"]),
    "an empty word": (
        '      "": digits\n',
        [f"{FILE}:5:7: language 'en': an empty word cannot be pronounced (write the word or number in quotes)"]),
}


@pytest.mark.parametrize("rules, expected", BROKEN_RULES.values(), ids=BROKEN_RULES.keys())
def test_each_mistake_in_a_rule_is_reported_where_it_is_written(rules, expected):
    table, problems = read_table(rules)
    assert problems == expected
    assert table.rules == ()


def test_the_same_word_twice_in_other_capitals_keeps_the_first():
    table, problems = read_table("      OIN: letters\n      oin: {say: oh eye en}\n")
    assert problems == [f"{FILE}:6:7: language 'en': 'oin' is already written as 'OIN' on line 5"
                        " (words match whatever their capitals; keep one)"]
    assert [(rule.word, rule.value) for rule in table.rules] == [("OIN", "O I N")]


def test_a_phrase_written_twice_with_other_spaces_is_the_same_word():
    table, problems = read_table("      naloxone kit: {say: nah lox own kit}\n      naloxone  Kit: letters\n")
    assert problems == [f"{FILE}:6:7: language 'en': 'naloxone  Kit' is already written as 'naloxone kit'"
                        " on line 5 (words match whatever their capitals; keep one)"]


def test_a_table_that_is_not_a_group_of_words_is_reported():
    tree, _ = read_yaml("languages:\n  en:\n    pronounce: digits\n", FILE)
    problems: list = []
    read_pronunciation(tree.get("languages").get("en").get("pronounce"), FILE, "en", problems)
    assert [str(p) for p in problems] == [
        f"{FILE}:3:16: language 'en': expected a group of fields, found text ('digits')"]


def test_one_broken_rule_does_not_lose_the_others():
    table, problems = read_table("      911: digit\n      OIN: letters\n")
    assert len(problems) == 1
    assert [rule.word for rule in table.rules] == ["OIN"]


# -- pieces --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def english():
    return read_table(ENGLISH)[0]


@pytest.mark.parametrize("text, expected", [
    ("911 is for emergencies", [("911", "911"), (" is for emergencies", None)]),
    ("hang up now and call 911", [("hang up now and call ", None), ("911", "911")]),
    ("call 911.", [("call ", None), ("911", "911"), (".", None)]),
    ("call 911, or text 988!", [("call ", None), ("911", "911"), (", or text ", None), ("988", "988"),
                                ("!", None)]),
    ("(911)", [("(", None), ("911", "911"), (")", None)]),
    ("O I N, also called OIN or Oin", [("O I N, also called ", None), ("OIN", "OIN"), (" or ", None),
                                        ("Oin", "OIN")]),
    ("Myoclonus and MYOCLONUS", [("Myoclonus", "myoclonus"), (" and ", None), ("MYOCLONUS", "myoclonus")]),
    ("opioid-induced neurotoxicity", [("opioid-induced ", None), ("neurotoxicity", "neurotoxicity")]),
])
def test_a_rule_word_is_said_by_its_rule_wherever_it_stands_in_a_sentence(text, expected, english):
    assert said(text, english) == expected


@pytest.mark.parametrize("text", [
    "in 1911",            # a longer number
    "9119",
    "911-2",              # part of a number joined by a dash…
    "1,911 people",       # …or a thousands separator
    "9.911",
    "911th",              # part of a word
    "OINT",
    "myoclonuses",
    "neurotoxicityx",
])
def test_a_rule_word_inside_a_longer_word_or_number_is_left_alone(text, english):
    assert said(text, english) == [(text, None)]


def test_the_longest_rule_wins_where_two_begin_at_the_same_place():
    table, _ = read_table("      OIN: letters\n      OIN test: {say: the O I N test}\n")
    assert said("the OIN test, not OIN", table) == [
        ("the ", None), ("OIN test", "OIN test"), (", not ", None), ("OIN", "OIN")]


def test_a_phrase_rule_matches_across_any_spaces():
    table, _ = read_table("      naloxone kit: {say: nah lox own kit}\n")
    assert said("a naloxone\n  kit", table) == [("a ", None), ("naloxone\n  kit", "naloxone kit")]


def test_a_number_rule_leaves_the_number_to_the_voice_in_the_plain_text(english):
    assert said("Since 2026, call 911", english) == [("Since 2026, call ", None), ("911", "911")]


# -- checks --------------------------------------------------------------------------------------
def spoken(language: str, text: str, line: int = 50) -> SpokenText:
    return SpokenText("prompt 'emergency-first'", FILE, line, 7, language, text)


def test_a_number_no_rule_covers_is_an_error_at_the_prompt_that_says_it():
    english, _ = read_table(ENGLISH)
    spanish = Pronunciation("es")
    problems = check_pronunciation({"en": english, "es": spanish}, [
        spoken("en", "Call 911 or text 988. OIN, myoclonus, neurotoxicity, 2026."),
        spoken("es", "Llame al 911, o al 911 otra vez.", line=53),
    ])
    assert [str(p) for p in problems] == [
        f"{FILE}:53:7: prompt 'emergency-first': the 'es' text says 911, which a voice reads as a number"
        ' (add "911": digits under languages.es.pronounce, or "911": number if it is meant as one)',
    ]


def test_a_number_several_texts_say_without_a_rule_is_one_error_at_the_table_naming_each_text():
    english, _ = read_table('      "988": digits\n')      # "911": digits was removed above it
    problems = check_pronunciation({"en": english}, [
        spoken("en", "Call 911 now.", line=50),
        SpokenText("prompt 'act-emergency'", "flows/health-info.yaml", 12, 5, "en", "Call 911 or text 988."),
        spoken("en", "If this is an emergency, call 911.", line=60),
    ])
    assert [str(p) for p in problems] == [
        f"{FILE}:5:7: language 'en': 3 'en' texts say 911, which a voice reads as a number:"
        " prompt 'emergency-first' (line 50), prompt 'emergency-first' (line 60),"
        " prompt 'act-emergency' (health-info.yaml:12)"
        ' (add "911": digits under languages.en.pronounce, or "911": number if it is meant as one)',
    ]


@pytest.mark.parametrize("text, numbers", [
    ("We are here 24 hours a day, 7 days a week.", []),
    ("Over 1,000 people called in 2025.", ["1,000", "2025"]),
    ("Press 911-2 for the office.", ["911-2"]),
    ("The line is 800-662-4357.", ["800-662-4357"]),
    ("Room 1911 and 911", ["1911"]),
])
def test_only_numbers_of_three_or_more_digits_need_a_rule(text, numbers, english):
    problems = check_pronunciation({"en": english}, [spoken("en", text)])
    assert [p.message for p in problems if p.is_error] == [
        f"the 'en' text says {number}, which a voice reads as a number" for number in numbers]


def test_a_rule_no_prompt_uses_is_a_warning_where_the_rule_is_written(english):
    problems = check_pronunciation({"en": english}, [spoken("en", "Call 911 about OIN.")])
    assert [str(p) for p in problems] == [
        f"{FILE}:{line}:7: warning: language 'en': no 'en' prompt says {word!r}"
        " (remove the rule, or check its spelling against the prompts)"
        for line, word in ((6, "988"), (8, "myoclonus"), (9, "neurotoxicity"), (10, "2026"))]


def test_a_rule_is_used_only_by_prompts_in_its_own_language(english):
    spanish, _ = read_table(SPANISH, "es")
    problems = check_pronunciation({"en": english, "es": spanish}, [
        spoken("en", "Call 911 or 988 about OIN, myoclonus, neurotoxicity, since 2026."),
        spoken("es", "Llame al 911 o al 988. La mioclonía, or myoclonus."),
    ])
    assert problems == []


def test_a_voice_that_cannot_read_ssml_is_an_error_when_the_language_has_rules(english):
    assert check_voice(english, "Polly.Joanna-Neural") == []
    assert check_voice(english, "Google.en-US-Neural2-F") == []
    assert check_voice(Pronunciation("en"), "man") == []
    assert [str(p) for p in check_voice(english, "man")] == [
        f"{FILE}:5:7: language 'en': the voice 'man' cannot follow pronounce rules"
        " (use an Amazon Polly voice (Polly.…) or a Google voice (Google.…))"]


# -- the TwiML the pieces become -----------------------------------------------------------------
def say_with_rules(parent, text: str, table: Pronunciation, voice: str, language: str):
    """The helpline's own rendering (twiml.say_pronounced) for a language with this table."""
    return say_pronounced(parent, text, Language(table.language, "", voice, language, pronounce=table))


def test_the_pieces_become_say_as_sub_and_phoneme_inside_one_say(english):
    response = VoiceResponse()
    say_with_rules(response, "If someone is not breathing, call 911. Myoclonus can be a sign of OIN,"
                   " opioid-induced neurotoxicity.", english, "Polly.Joanna-Neural", "en-US")
    assert str(response) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Say language="en-US" voice="Polly.Joanna-Neural">If someone is not breathing, call '
        '<say-as interpret-as="digits">911</say-as>. '
        '<phoneme alphabet="ipa" ph="maɪˈɑklənəs">Myoclonus</phoneme> can be a sign of '
        '<sub alias="O I N">OIN</sub>, opioid-induced '
        '<sub alias="neuro toxicity">neurotoxicity</sub>.</Say></Response>')


def test_a_menu_prompt_inside_gather_is_said_the_same_way():
    spanish, _ = read_table(SPANISH, "es")
    response = VoiceResponse()
    gather = response.gather(input="dtmf speech")
    say_with_rules(gather, "Llame al 911 & no espere.", spanish, "Polly.Lupe-Neural", "es-US")
    assert str(response) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech">'
        '<Say language="es-US" voice="Polly.Lupe-Neural">Llame al '
        '<say-as interpret-as="digits">911</say-as> &amp; no espere.</Say></Gather></Response>')


WORDS = st.sampled_from(["911", "988", "1911", "OIN", "oin", "Myoclonus", "neurotoxicity", "2026",
                         "call", "911-2", "señales", "24"])
GAPS = st.sampled_from([" ", ", ", ". ", "-", "\n", "(", ")", "", "&", "<"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(WORDS, GAPS), max_size=12))
def test_the_say_speaks_every_character_of_the_text_once_in_order(parts):
    english, _ = read_table(ENGLISH)
    text = "".join(word + gap for word, gap in parts)
    found = pieces(text, english)
    assert "".join(piece.text for piece in found) == text
    assert not any(a.rule is None and b.rule is None for a, b in zip(found, found[1:]))
    response = VoiceResponse()
    say_with_rules(response, text, english, "Polly.Joanna-Neural", "en-US")
    assert "".join(ET.fromstring(response.to_xml(xml_declaration=False)).itertext()) == text
