"""What a caller says is matched to a menu's words whatever the accents, capitals and punctuation."""
import pytest

from ivr.calls.engine import Spoke
from ivr.flow import model
from ivr.flow.speech import contains_phrase, normalize, spoken_key


@pytest.mark.parametrize("said, normal", [
    ("Mioclonía!", "mioclonia"),
    ("NEUROTOXICIDAD", "neurotoxicidad"),
    ("¿Qué hacer?", "que hacer"),
    ("Español, por favor.", "espanol por favor"),
    ("  una   persona  ", "una persona"),
    ("I can’t breathe", "i can't breathe"),
    ("opioid-induced neurotoxicity", "opioid induced neurotoxicity"),
    ("Ñandú, pingüino", "nandu pinguino"),
    ("", ""),
    ("?!", ""),
])
def test_normalize_drops_accents_capitals_and_punctuation(said, normal):
    assert normalize(said) == normal


@pytest.mark.parametrize("said, key", [
    ("dos", "2"),
    ("Dos.", "2"),
    ("two", "2"),
    ("2", "2"),
    ("cero", "0"),
    ("Zero!", "0"),
    ("nueve", "9"),
    ("nine", "9"),
])
def test_a_number_said_alone_counts_as_pressing_its_key(said, key, shipped_flows):
    assert spoken_key(normalize(said).split(), shipped_flows.number_words) == key


@pytest.mark.parametrize("said", ["dos tres", "press two", "twelve", "22", "", "uno dos"])
def test_anything_but_one_number_alone_is_not_a_key(said, shipped_flows):
    assert spoken_key(normalize(said).split(), shipped_flows.number_words) is None


@pytest.mark.parametrize("said, phrase", [
    ("I think he's not breathing", "not breathing"),
    ("¡SOBREDOSIS!", "sobredosis"),
    ("Quiero saber qué hacer ahora", "qué hacer"),
    ("mioclonia", "mioclonía"),
    ("Can't breathe", "can't breathe"),
    ("I can’t breathe", "can't breathe"),
])
def test_a_phrase_is_heard_inside_what_the_caller_said(said, phrase):
    assert contains_phrase(normalize(said).split(), phrase)


@pytest.mark.parametrize("said, phrase", [
    ("breathing is not easy", "not breathing"),   # the words, in order, next to each other
    ("dosage", "dos"),                             # whole words only
    ("someone", "one"),
    ("anything", ""),                              # an empty phrase never matches
])
def test_a_phrase_is_not_heard_in_words_that_merely_contain_its_letters(said, phrase):
    assert not contains_phrase(normalize(said).split(), phrase)


@pytest.mark.parametrize("said", ["dos", "Dos", "dos.", "DOS!"])
def test_saying_dos_at_the_language_menu_chooses_spanish(at, said):
    turn = at("choose-language", Spoke(said))

    assert turn.state.language == "es"
    assert turn.step.ref == model.Ref("main", "main-menu")


@pytest.mark.parametrize("said, topic", [
    ("MIOCLONÍA", "myoclonus"),
    ("mioclonia", "myoclonus"),
    ("¿Qué hacer?", "what-to-do"),
    ("que hacer", "what-to-do"),
    ("Neurotoxicity.", "oin"),
])
def test_menu_words_are_heard_without_their_accents_capitals_or_punctuation(shipped_flows, at, said, topic):
    turn = at("main-menu", Spoke(said), "es")

    first_topic_step = shipped_flows.step(model.Ref("health-info", topic))
    assert turn.said[0].prompt == first_topic_step.prompt
