"""What a caller hears on the shipped flows (flows/*.yaml): safety first, every menu, every topic."""
import datetime
import re
import shutil

import pytest

from ivr.calls.engine import Pressed, Spoke
from ivr.flow import model
from ivr.flow.loader import load_flows

PERSON = model.Ref("main", "talk-to-someone")
MAIN_MENU = model.Ref("main", "main-menu")
LANGUAGES = ["en", "es"]


def texts(utterances) -> str:
    return " ".join(u.text for u in utterances)


def all_prompts(flows) -> set:
    """Named prompts, prompts written inside steps, and the sorry prompts menus play."""
    found = set(flows.prompts.values())
    for step in flows.steps.values():
        for name in ("prompt", "when_invalid", "when_silent"):
            if getattr(step, name, None) is not None:
                found.add(getattr(step, name))
    return found


def health_prompts(flows) -> list:
    return sorted((p for p in flows.prompts.values() if p.health), key=lambda p: p.name)


def months_later(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


# -- the first words of every call ---------------------------------------------------------------
def test_the_emergency_notice_is_the_first_thing_a_caller_hears_in_english_then_spanish(call):
    first, second = call().said[:2]

    assert (first.language, second.language) == ("en", "es")
    assert first.prompt is second.prompt
    for utterance in (first, second):
        assert "911" in utterance.text and "988" in utterance.text


def test_the_greeting_and_language_choice_come_only_after_the_emergency_notice(call):
    turn = call()

    assert "Thank you for calling" in turn.said[2].text
    assert isinstance(turn.step, model.LanguageMenu)
    assert [u.language for u in turn.asked] == ["en", "es"]


# -- what works at every menu ----------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_pressing_0_at_any_menu_connects_to_a_person(at, menu, language):
    turn = at(menu, Pressed("0"), language)

    assert isinstance(turn.step, model.Connect)
    assert turn.step.ref == PERSON
    assert [u.language for u in turn.asked] == [language]


@pytest.mark.parametrize("language, words", [
    ("en", "operator"),
    ("en", "I want to talk to a person"),
    ("en", "zero"),
    ("es", "una persona"),
    ("es", "Quiero hablar con una persona, por favor"),
    ("es", "cero"),
])
def test_asking_for_a_person_at_any_menu_connects_to_a_person(at, menu, language, words):
    turn = at(menu, Spoke(words), language)

    assert turn.step.ref == PERSON
    assert [u.language for u in turn.asked] == [language]


@pytest.mark.parametrize("language, words", [
    ("en", "overdose"),
    ("en", "I think he's not breathing"),
    ("en", "I want to kill myself"),
    ("es", "sobredosis"),
    ("es", "suicidio"),
    ("es", "Creo que mi hermano no respira"),
])
def test_a_crisis_word_at_any_menu_gives_the_emergency_numbers_then_a_person(at, menu, language, words):
    turn = at(menu, Spoke(words), language)

    assert "911" in texts(turn.said) and "988" in texts(turn.said)
    assert {u.language for u in turn.said} == {language}
    assert isinstance(turn.step, model.Connect)


@pytest.mark.parametrize("language, words", [
    ("en", "Someone is overdosing"),
    ("en", "I need to talk to someone, my friend is not breathing"),
    ("es", "Alguien tiene una sobredosis"),
    ("es", "Necesito a alguien, mi hijo no respira"),
])
def test_a_crisis_word_gives_the_emergency_numbers_even_when_the_caller_also_asks_for_someone(
        at, language, words):
    turn = at(MAIN_MENU, Spoke(words), language)

    assert "911" in texts(turn.said)
    assert isinstance(turn.step, model.Connect)


@pytest.mark.parametrize("language, words", [
    ("en", "I think he overdosed"),
    ("en", "He stopped breathing"),
    ("en", "I feel suicidal"),
    ("es", "Me quiero suicidar"),
])
def test_common_ways_of_saying_a_crisis_give_the_emergency_numbers(at, language, words):
    turn = at(MAIN_MENU, Spoke(words), language)

    assert "911" in texts(turn.said)
    assert isinstance(turn.step, model.Connect)


# -- the five topics of the main menu --------------------------------------------------------------
TOPICS = [
    ("1", "en", ["myoclonus", "muscle jerks"]),
    ("1", "es", ["mioclonía", "sacudidas musculares"]),
    ("2", "en", ["opioid use has been linked"]),
    ("2", "es", ["uso de opioides se ha relacionado"]),
    ("3", "en", ["opioid-induced neurotoxicity"]),
    ("3", "es", ["neurotoxicidad causada por opioides"]),
    ("4", "en", ["twitching", "early warning"]),
    ("4", "es", ["espasmo", "señal temprana"]),
    ("5", "en", ["prescribes your medicine", "prescriber"]),
    ("5", "es", ["el médico que le receta"]),
]


@pytest.mark.parametrize("key, language, mentions", TOPICS)
def test_each_main_menu_topic_tells_the_caller_about_its_subject(at, key, language, mentions):
    turn = at(MAIN_MENU, Pressed(key), language)

    heard = texts(turn.said).lower()
    for words in mentions:
        assert words in heard
    assert {u.language for u in turn.said + turn.asked} == {language}
    assert isinstance(turn.step, model.Menu) and turn.step.back == MAIN_MENU


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_main_menu_topic_can_be_asked_for_in_words_as_well_as_by_key(shipped_flows, at, language):
    main_menu = shipped_flows.step(MAIN_MENU)
    assert len(main_menu.options) == 5
    for option in main_menu.options:
        by_key = at(MAIN_MENU, Pressed(option.key), language)
        for words in option.words.for_language(language):
            by_words = at(MAIN_MENU, Spoke(words.capitalize() + ", please"), language)
            assert by_words.step.ref == by_key.step.ref, words
            assert texts(by_words.said) == texts(by_key.said)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_menu_offers_all_five_topics_and_a_person(shipped_flows, language):
    prompt = shipped_flows.step(MAIN_MENU).prompt.text(language)
    press = "press" if language == "en" else "oprima"

    for key in "123450":
        assert f"{press} {key}" in prompt


# -- what the prompts may say --------------------------------------------------------------------
def test_no_prompt_in_the_shipped_flows_is_longer_than_about_75_words(shipped_flows):
    too_long = [(p.name, language, len(text.split()))
                for p in all_prompts(shipped_flows) for language, text in p.texts
                if len(text.split()) > 75]

    assert too_long == []


def test_every_prompt_speaks_every_language_of_the_helpline(shipped_flows):
    codes = [language.code for language in shipped_flows.languages]

    missing = [(p.name, code) for p in all_prompts(shipped_flows) for code in codes if not p.text(code).strip()]

    assert codes == LANGUAGES
    assert missing == []


DOSE_AMOUNT = re.compile(
    r"\b\d+(\.\d+)?\s*(mg|mcg|µg|milligrams?|micrograms?|miligramos?|ml|cc|pills?|tablets?|pastillas?)\b", re.I)
DOSE_CHANGE = re.compile(
    r"\b(take (more|extra|another|a higher|\d)|(increase|raise|double|up) (your|the) (dose|dosage)"
    r"|tome (más|mas|otra|una dosis)|(aumente|suba|duplique) (la|su) dosis)\b", re.I)
#: An instruction starts a clause; "do not take more" and "may take more" tell no one to do it.
CLAUSE_START = re.compile(r"(^|[.!?;:,]\s*|\b(and|then|so|just|please|y|luego|entonces|solo|por favor)\s+)$", re.I)


def dose_instructions(text: str) -> list:
    found = [m.group(0) for m in DOSE_AMOUNT.finditer(text)]
    found += [m.group(0) for m in DOSE_CHANGE.finditer(text) if CLAUSE_START.search(text[:m.start()])]
    return found


@pytest.mark.parametrize("text, caught", [
    ("Take more if the pain gets worse.", True),
    ("If the pain gets worse, increase your dose.", True),
    ("Si el dolor empeora, aumente la dosis.", True),
    ("A usual dose is 10 mg.", True),
    ("Do not take more on your own. Talk with your prescriber.", False),
    ("Some people may take more opioids to fight the pain.", False),
    ("No aumente la dosis por su cuenta.", False),
])
def test_the_dose_check_tells_an_instruction_from_a_warning(text, caught):
    assert bool(dose_instructions(text)) is caught


def test_no_health_prompt_tells_a_caller_to_take_more_or_names_a_dose(shipped_flows):
    found = [(p.name, language, dose_instructions(text))
             for p in health_prompts(shipped_flows) for language, text in p.texts]

    assert [f for f in found if f[2]] == []


def test_the_only_numbers_in_health_information_are_the_emergency_lines_and_our_hours(shipped_flows):
    numbers = {n for p in health_prompts(shipped_flows) for _, text in p.texts for n in re.findall(r"\d+", text)}

    assert numbers <= {"911", "988", "24"}


@pytest.mark.parametrize("language, prescriber", [("en", "prescrib"), ("es", "receta")])
def test_health_information_about_doses_sends_the_caller_to_the_prescriber(shipped_flows, language, prescriber):
    about_changing_a_dose = [p for p in health_prompts(shipped_flows)
                             if re.search(r"take more|your dose|tome más|la dosis por su cuenta", p.text(language))]

    assert about_changing_a_dose
    for prompt in about_changing_a_dose:
        assert prescriber in prompt.text(language), prompt.name


@pytest.mark.parametrize("language, prescriber", [("en", "prescriber"), ("es", "receta")])
def test_what_to_do_now_tells_the_caller_to_talk_with_their_prescriber(at, language, prescriber):
    turn = at(MAIN_MENU, Spoke("what to do" if language == "en" else "qué hacer"), language)

    assert prescriber in texts(turn.said)
    assert "911" in texts(turn.said)


# -- clinical review -------------------------------------------------------------------------------
def test_every_health_prompt_says_where_it_comes_from_and_claims_no_review_it_has_not_had(shipped_flows):
    prompts = health_prompts(shipped_flows)

    assert prompts
    for prompt in prompts:
        assert prompt.source and not prompt.reviewed_by and prompt.reviewed_on is None, prompt.name


def test_the_shipped_flows_warn_only_that_their_health_prompts_await_a_clinician(shipped_flows_dir, shipped_flows, now):
    result = load_flows(shipped_flows_dir, today=now.date())

    assert result.errors == []
    assert sorted(p.where for p in result.warnings) == sorted(f"prompt '{p.name}'" for p in health_prompts(shipped_flows))
    assert all("not yet reviewed by a clinician" in p.message for p in result.warnings)


def test_a_review_older_than_twelve_months_warns_about_each_health_prompt_but_is_no_error(
        shipped_flows, shipped_flows_dir, tmp_path):
    flows_dir = tmp_path / "flows"
    shutil.copytree(shipped_flows_dir, flows_dir)
    health_info = flows_dir / "health-info.yaml"
    signed = re.sub(r"(?m)^    reviewed:.*$", "    reviewed: {by: Dr. A. Rivera, on: 2026-11-20}",
                    health_info.read_text(encoding="utf-8"))
    health_info.write_text(signed, encoding="utf-8")
    latest_review = datetime.date(2026, 11, 20)

    result = load_flows(flows_dir, today=months_later(latest_review, 13))

    assert result.errors == []
    assert result.flows is not None
    stale = [w for w in result.warnings if "months ago" in w.message]
    assert sorted(w.where for w in stale) == sorted(f"prompt '{p.name}'" for p in health_prompts(shipped_flows))
    for warning in stale:
        assert warning.file.endswith("health-info.yaml") and warning.line > 0
        assert warning.where.split("'")[1] in str(warning) and "months ago" in str(warning)
