"""Every language the line offers is one a caller can choose and be understood in: French added
to a copy of the shipped flows halfway (no key on the language menu, or no words of its own for
a person or a crisis) is an error at the place to finish it."""
from __future__ import annotations

import datetime
import shutil

import pytest
import yaml

from ivr.flow.loader import load_flows

FRENCH = {"name": "français", "voice": "Polly.Lea-Neural", "speech": "fr-FR", "press": ["appuyez sur"],
          "pronounce": {"911": "digits", "988": "digits"}}
WORDS = {"a person": ["quelqu'un", "une personne", "conseiller"],
         "crisis words": ["surdose", "ne respire plus", "suicide"]}
TODAY = datetime.date(2026, 12, 1)


def add_french(flows_dir, menu_key: bool = True, words_for=tuple(WORDS)) -> str:
    """French in every prompt and message; a choice on the language menu and the everywhere
    choices' words only where asked. The text of main.yaml, as written."""
    for path in flows_dir.glob("*.yaml"):
        if path.name == "roster.yaml":
            continue
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "languages" in tree:
            tree["languages"]["fr"] = FRENCH
            for choice in tree["everywhere"]:
                if choice["name"] in words_for:
                    choice["words"]["fr"] = WORDS[choice["name"]]
            tree["messages"] = {name: {**texts, "fr": texts["en"]} for name, texts in tree["messages"].items()}
            if menu_key:
                tree["steps"]["choose-language"]["options"].append({"key": "3", "language": "fr"})
                tree["prompts"]["choose-language"]["fr"] = "Pour le français, appuyez sur 3."
            else:
                tree["prompts"]["choose-language"]["fr"] = "Français."
        for prompt in tree.get("prompts", {}).values():
            prompt.setdefault("fr", prompt["en"].replace("press", "appuyez sur"))
        path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return (flows_dir / "main.yaml").read_text(encoding="utf-8")


@pytest.fixture
def flows_dir(tmp_path, shipped_flows_dir):
    return shutil.copytree(shipped_flows_dir, tmp_path / "flows")


def errors(flows_dir) -> list:
    return [str(p) for p in load_flows(flows_dir, today=TODAY).errors]


def line_of(text: str, written: str) -> int:
    return text.splitlines().index(written) + 1


def test_french_added_in_full_is_a_language_the_line_can_offer(flows_dir):
    add_french(flows_dir)
    assert errors(flows_dir) == []


def test_a_language_no_key_of_the_language_menu_picks_is_an_error_at_the_menu_naming_the_key_to_add(flows_dir):
    text = add_french(flows_dir, menu_key=False)
    menu = text.splitlines().index("    type: language") + 1
    assert errors(flows_dir) == [
        f"{flows_dir}/main.yaml:{menu}:5: language 'choose-language': no choice picks the language 'fr'"
        " (français), so no caller can choose it"
        " (add - {key: \"3\", language: fr} to its options and say it in the prompt 'choose-language')"]


@pytest.mark.parametrize("choice, who", [("crisis words", "a caller in crisis"), ("a person", "a caller")])
def test_an_everywhere_choice_without_words_in_a_language_the_line_offers_is_an_error_at_the_choice(
        flows_dir, choice, who):
    text = add_french(flows_dir, words_for=set(WORDS) - {choice})
    assert errors(flows_dir) == [
        f"{flows_dir}/main.yaml:{line_of(text, f'- name: {choice}')}:3: everywhere '{choice}': has no 'fr' words"
        f" ({who} who says them in français is not understood: add fr: [...] under its words)"]
