"""Rules that keep a person one key away, and keep what a menu says true to the keys it has.

A menu that says "press 0 for a counselor" must have a 0 that reaches one; a caller who keeps
pressing wrong keys must end with a person or the backup line; and a menu that announces
"press 3" must have a 3. The crisis words do not count as a way to a person: a caller who is not
in crisis has no reason to say them.
"""
from __future__ import annotations

import re
import unicodedata

from . import model
from .problems import WARNING, Problem

#: Steps a call passes through without waiting for the caller.
PASSING = (model.Say, model.Hours)
PERSON = (model.Connect, model.Queue, model.BackupLine)


def reaches_person(flows: model.FlowSet, ref: model.Ref | None) -> bool:
    """Whether going to `ref` puts the caller with a person (or in line for one) without asking
    them anything more on the way."""
    seen = set()
    while ref is not None and ref not in seen:
        seen.add(ref)
        step = flows.steps.get(ref)
        if isinstance(step, PERSON):
            return True
        if isinstance(step, model.Say):
            ref = step.goto
        elif isinstance(step, model.Hours):
            return reaches_person(flows, step.if_open) and reaches_person(flows, step.if_closed)
        else:
            return False
    return False


def person_keys(flows: model.FlowSet, menu: model.Menu) -> list:
    """The keys that take a caller from this menu to a person: the everywhere choices' (not the
    urgent ones: a crisis route is not a way to ask for someone) and the menu's own."""
    keys = [choice.key for choice in flows.everywhere
            if choice.key is not None and not choice.urgent and reaches_person(flows, choice.goto)]
    keys += [option.key for option in menu.options
             if option.key is not None and reaches_person(flows, menu.target(option))]
    return keys


def check_person_keys(flows: model.FlowSet) -> list:
    problems = []
    for step in flows.steps.values():
        if not isinstance(step, model.Menu):
            continue
        if not person_keys(flows, step):
            problems.append(Problem(step.file, step.line, step.column, step.label,
                                    "no key here reaches a person",
                                    "give the everywhere choice for a person a key (\"0\"), or give this "
                                    "menu an option that goes to a connect, queue or backup-line step"))
        if not reaches_person(flows, step.after_tries or flows.fallback):
            target = (step.after_tries or flows.fallback)
            problems.append(Problem(step.file, step.line, step.column, step.label,
                                    f"after_tries leads to {target.written_from(step.flow)!r}, which is not a person",
                                    "a caller who keeps pressing wrong keys, or cannot press at all, needs "
                                    "someone: lead after_tries to a connect or backup-line step"))
    return problems


# -- what a menu says about its keys ------------------------------------------------------------
def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def announcer(words: tuple):
    """A pattern that finds 'press 3' (or 'oprima 3') in a text, for one language's words."""
    if not words:
        return None
    alternatives = "|".join(re.escape(_plain(word)) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\s+(?:the\s+)?(\d)\b")


def announced_keys(text: str, pattern) -> set:
    return set(pattern.findall(_plain(text))) if pattern is not None else set()


def check_announced_keys(flows: model.FlowSet) -> list:
    """A key a menu announces but does not have is an error (the caller presses it and hears
    'not one of the choices'); a key it has but never announces is a warning (nobody will find it)."""
    problems = []
    patterns = {language.code: announcer(language.press) for language in flows.languages}
    everywhere = {choice.key for choice in flows.everywhere if choice.key is not None}
    for step in flows.steps.values():
        if isinstance(step, model.Menu):
            prompt, options = step.prompt, step.options
            usable = {o.key for o in options} | everywhere | {step.repeat_key}
            if step.back is not None:
                usable.add(step.back_key)
        elif isinstance(step, model.Queue) and step.offer is not None:
            prompt, options = step.offer, step.options
            usable = {o.key for o in options} | everywhere
        else:
            continue
        if prompt is None:
            continue
        announced_anywhere = set()
        for language, text in prompt.texts:
            announced_anywhere |= announced_keys(text, patterns.get(language))
        for language, text in prompt.texts:
            pattern = patterns.get(language)
            if pattern is None:
                continue
            said = announced_keys(text, pattern)
            place = (prompt.file or step.file, prompt.line or step.line, prompt.column or step.column, step.label)
            for key in sorted(said - usable):
                problems.append(Problem(*place, f"the {language!r} prompt says to press {key}, but this step has no key {key}",
                                        "add an option for it, or change the prompt"))
            # A prompt said in every language in turn (the language menu) announces each key once.
            heard = announced_anywhere if getattr(step, "every_language", False) else said
            for option in options:
                if option.key is not None and option.key not in heard and (heard is said or language == prompt.texts[0][0]):
                    problems.append(Problem(step.file, option.line or step.line, option.column or step.column,
                                            step.label,
                                            f"key '{option.key}' is never announced in the {language!r} prompt",
                                            "callers will not know it is there: say it in the prompt",
                                            WARNING))
    return problems
