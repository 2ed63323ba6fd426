"""Where a call that never asked for a person ended, read from its path through the menus and the
flows: it heard health information, or hung up before choosing a language, or in a menu.

The records keep such a call as outcome 'information' (ivr/store/calls.py: it ended, nobody was
asked for). Twilio's last status callback does not say which step the caller was at, and a step is
recorded only when answered, so the step they hung up at is the one their last answer led to.
Plain Python over a loaded FlowSet, for the Calls and Reports pages.
"""
from __future__ import annotations

from ..flow import model

#: The stored outcome these endings refine.
UNATTENDED = "information"
#: A caller chose a topic: they heard health information (then hung up).
HEARD_INFORMATION = "information"
#: Hung up before choosing a language: during the first words or at the language menu.
BEFORE_LANGUAGE = "hung-up-language-menu"
#: Hung up in a menu, without choosing anything that plays information.
IN_A_MENU = "hung-up-menu"
#: The flows cannot tell (none loaded, or the path names steps they no longer have).
HUNG_UP = "hung-up"
#: Say steps followed in a row, at most: a loop of says is a flow error, never a reason to hang.
LONGEST_WALK = 50


def outcome_of(outcome: str | None, path, flows: model.FlowSet | None) -> str | None:
    """The outcome the staff pages show: the stored one, or for an unattended call where it ended."""
    return ending_of(path, flows) if outcome == UNATTENDED else outcome


def ending_of(path, flows: model.FlowSet | None) -> str:
    """Where an unattended call ended; `path`: its ((step ref, answer), ...) in order."""
    if flows is None:
        return HUNG_UP
    steps = [(flows.step(model.Ref.parse(ref, "")), answer) for ref, answer in path]
    if any(isinstance(flows.step(target), model.Say)
           for step, answer in steps for target in [_chosen(step, answer)] if target is not None):
        return HEARD_INFORMATION
    if not steps:
        where = _waiting_step(flows, flows.start)
    else:
        step, answer = steps[-1]
        if step is None:
            return HUNG_UP
        where = _waiting_step(flows, _chosen(step, answer) or step.ref)
    if isinstance(where, model.LanguageMenu):
        return BEFORE_LANGUAGE
    return IN_A_MENU if isinstance(where, model.Menu) else HUNG_UP


def _chosen(step, answer: str) -> model.Ref | None:
    """Where a key pressed at a menu led: an option's step, or back; None for anything else
    (silence, speech, a wrong key: they stayed in the menu)."""
    if not isinstance(step, model.Menu):
        return None
    for option in step.options:
        if option.key is not None and option.key == answer:
            return step.target(option)
    return step.back if step.back is not None and answer == step.back_key else None


def _waiting_step(flows: model.FlowSet, ref: model.Ref | None):
    """The first step from `ref` on that waits for the caller: say steps play and go on by themselves."""
    step = flows.step(ref) if ref is not None else None
    for _ in range(LONGEST_WALK):
        if not isinstance(step, model.Say) or step.goto is None:
            return step
        step = flows.step(step.goto)
    return step
