"""Rules that keep every language the line offers a language a caller can use: one a caller can
choose, and one whose callers are understood when they ask for a person or say they are in crisis.

Adding a language under `languages:` is easy to do halfway. Without a choice on the language menu
nobody ever hears it; without its own words for the everywhere choices, a caller who says
"surdose" hears "that key is not one of the choices".
"""
from __future__ import annotations

from . import model
from ..yamlfile.fields import KEYS
from ..yamlfile.problems import Problem


def check_language_choices(flows: model.FlowSet) -> list:
    """Where the flows have a language menu, every language but the first (where every call
    starts) must be one of its choices: it is the only way a caller can reach it."""
    menus = sorted((step for step in flows.steps.values() if isinstance(step, model.LanguageMenu)),
                   key=lambda step: (step.file, step.line, step.column))
    if not menus:
        return []
    chosen = {option.language for menu in menus for option in menu.options}
    menu = menus[0]
    problems = []
    free = iter(_free_keys(flows, menu))
    for language in flows.languages[1:]:
        if language.code in chosen:
            continue
        key = next(free, None)
        choice = f'- {{key: "{key}", language: {language.code}}}' if key else f"- {{language: {language.code}}}"
        prompt = f" and say it in the prompt '{menu.prompt.name}'" if menu.prompt is not None else ""
        problems.append(Problem(menu.file, menu.line, menu.column, menu.label,
                                f"no choice picks the language {language.code!r} ({language.name}), "
                                "so no caller can choose it",
                                f"add {choice} to its options{prompt}"))
    return problems


def _free_keys(flows: model.FlowSet, menu: model.Menu) -> list:
    """The digits a new choice on this menu could use, lowest first."""
    taken = {option.key for option in menu.options} | {menu.repeat_key}
    taken |= {choice.key for choice in flows.everywhere}
    if menu.back is not None:
        taken.add(menu.back_key)
    return [key for key in KEYS if key.isdigit() and key != "0" and key not in taken]


def check_everywhere_words(flows: model.FlowSet) -> list:
    """An everywhere choice that listens for words (a person, the crisis words) listens in every
    language the line offers: a caller in crisis must be understood in each of them."""
    problems = []
    for choice in flows.everywhere:
        if not choice.words.all():
            continue            # a key alone: the same in every language
        for language in flows.languages:
            if choice.words.for_language(language.code):
                continue
            who = "a caller in crisis" if choice.urgent else "a caller"
            problems.append(Problem(choice.file, choice.line, choice.column, f"everywhere '{choice.name}'",
                                    f"has no {language.code!r} words",
                                    f"{who} who says them in {language.name} is not understood: "
                                    f"add {language.code}: [...] under its words"))
    return problems
