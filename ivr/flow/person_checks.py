"""Rules that keep a person one key away, and keep what a menu says true to the keys it has.

A menu that says "press 0 for a counselor" must have a 0 that reaches one; a caller who keeps
pressing wrong keys must end with a person or the backup line; and a menu that announces
"press 3" must have a 3. The crisis words do not count as a way to a person: a caller who is not
in crisis has no reason to say them.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import NamedTuple

from . import model
from ..yamlfile.problems import WARNING, Problem

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


class PersonChoice(NamedTuple):
    """What the everywhere choice for a person being gone explains: one problem, at the block,
    for the menus left without a key to a person and the key their prompts announce."""
    problems: list
    menus: frozenset = frozenset()      # refs of the menus it covers
    keys: frozenset = frozenset()       # (menu ref, key): keys announced that it would have given


def check_person_choice(flows: model.FlowSet) -> PersonChoice:
    """When no everywhere choice gives a key to a person (deleted, or its key taken away), every
    menu without a key of its own would say so, and every prompt that says "press 0" too: one
    edit, a screenful of problems, none of them where the edit was. Said once, where it was."""
    if any(_keyed_way_to_a_person(flows, choice) for choice in flows.everywhere):
        return PersonChoice([])
    menus = [step for step in flows.steps.values() if isinstance(step, model.Menu) and not person_keys(flows, step)]
    if len(menus) < 2:
        return PersonChoice([])     # one menu: its own problem says it, where it is
    missing = {step.ref: missing_keys(flows, step) for step in menus}
    # A key that several menus announce and none has is the everywhere key that went with it.
    counts = Counter(key for keys in missing.values() for key in keys)
    keys = sorted(key for key, count in counts.items() if count > 1)
    key = keys[0] if len(keys) == 1 else "0"
    names = ", ".join(step.name for step in menus[:5]) + (f" and {len(menus) - 5} more" if len(menus) > 5 else "")
    said = f", though their prompts say to press {' or '.join(keys)}" if keys else ""
    unkeyed = [choice for choice in flows.everywhere if not choice.urgent and choice.key is None
               and choice.goto is not None and reaches_person(flows, choice.goto)]
    goto = flows.fallback.written_from("main") if flows.fallback is not None else "talk-to-someone"
    if unkeyed:
        choice = unkeyed[0]
        problem = Problem(choice.file, choice.line, choice.column, f"everywhere '{choice.name}'",
                          f"has no key, so {len(menus)} menus have no key to a person: {names}{said}",
                          f'give it key: "{key}"')
    else:
        file, line, column = flows.everywhere_at
        problem = Problem(file, line, column, "everywhere",
                          f"no choice takes a caller to a person, so {len(menus)} menus have no key "
                          f"to one: {names}{said}",
                          f'add one: - {{name: a person, key: "{key}", goto: {goto}}}, with words in each language')
    folded = frozenset((ref, k) for ref, found in missing.items() for k in found if k in keys)
    return PersonChoice([problem], frozenset(missing), folded)


def _keyed_way_to_a_person(flows: model.FlowSet, choice: model.Everywhere) -> bool:
    """A key every menu hears that takes a caller to a person; a goto that lands nowhere counts
    (it is reported where it is written)."""
    if choice.urgent or choice.key is None:
        return False
    return choice.goto not in flows.steps or reaches_person(flows, choice.goto)


def check_person_keys(flows: model.FlowSet, covered: frozenset = frozenset()) -> list:
    """`covered`: menus whose missing key to a person check_person_choice has already said."""
    problems = []
    for step in flows.steps.values():
        if not isinstance(step, model.Menu):
            continue
        if not person_keys(flows, step) and step.ref not in covered:
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


def _keys_offered(flows: model.FlowSet, step: model.Step):
    """(the prompt that announces the step's keys, its options, every key that works there), or None."""
    everywhere = {choice.key for choice in flows.everywhere if choice.key is not None}
    if isinstance(step, model.Menu):
        usable = {o.key for o in step.options} | everywhere | {step.repeat_key}
        if step.back is not None:
            usable.add(step.back_key)
        return step.prompt, step.options, usable
    if isinstance(step, model.Queue) and step.offer is not None:
        return step.offer, step.options, {o.key for o in step.options} | everywhere
    return None


def missing_keys(flows: model.FlowSet, step: model.Step) -> set:
    """The keys the step's prompt announces, in any language, that do not work there."""
    offered = _keys_offered(flows, step)
    if offered is None or offered[0] is None:
        return set()
    prompt, _, usable = offered
    patterns = {language.code: announcer(language.press) for language in flows.languages}
    said = set()
    for language, text in prompt.texts:
        said |= announced_keys(text, patterns.get(language))
    return said - usable


def check_announced_keys(flows: model.FlowSet, covered: frozenset = frozenset()) -> list:
    """A key a menu announces but does not have is an error (the caller presses it and hears
    'not one of the choices'); a key it has but never announces is a warning (nobody will find it).
    `covered`: (menu, key) pairs check_person_choice has already said."""
    problems = []
    patterns = {language.code: announcer(language.press) for language in flows.languages}
    for step in flows.steps.values():
        offered = _keys_offered(flows, step)
        if offered is None or offered[0] is None:
            continue
        prompt, options, usable = offered
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
                if (step.ref, key) in covered:
                    continue
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
