"""Which health information still needs a clinician's review, and which prompt a reviewer means.

`ivr check` warns from here; `ivr review` (review_edit.py) records the review in the flow file.
"""
from __future__ import annotations

import datetime

from ..yamlfile.problems import WARNING, Problem, did_you_mean

DEFAULT_REVIEW_MONTHS = 12


class NotRecorded(Exception):
    """Why `ivr review` wrote nothing: every flow file is as it was."""

    def __init__(self, reasons):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


def is_health_information(prompt) -> bool:
    """A prompt marked `health: true`, or one that cites a source: either way, facts a caller may act on."""
    return prompt.health or bool(prompt.source)


def written(key) -> str:
    """How to name a prompt on the command line: 'health-info:oin-what'."""
    flow, name = key
    return f"{flow}:{name}"


def due_for_review(prompts: dict, today: datetime.date, months: int = DEFAULT_REVIEW_MONTHS) -> list:
    """(flow, name) -> Prompt pairs of health information never reviewed, or last reviewed `months`
    ago or more, in the order they are written in the files."""
    due = [(key, prompt) for key, prompt in prompts.items()
           if is_health_information(prompt)
           and (prompt.reviewed_on is None or _months_between(prompt.reviewed_on, today) >= months)]
    return sorted(due, key=lambda pair: (pair[1].file, pair[1].line, pair[1].column))


def check_reviews(prompts: dict, today: datetime.date, months: int = DEFAULT_REVIEW_MONTHS) -> list:
    problems = []
    for key, prompt in prompts.items():
        if not is_health_information(prompt):
            continue

        def warn(message, hint):
            problems.append(Problem(prompt.file, prompt.line, prompt.column, f"prompt '{prompt.name}'",
                                    message, hint, WARNING))

        if not prompt.source:
            warn("health information with no source", "add source: where these facts come from")
        if prompt.reviewed_on is None:
            # An empty `reviewed:` is how a new prompt waits for the clinical lead: it is a
            # to-do, not a mistake, so callers keep hearing the flows meanwhile.
            warn("health information not yet reviewed by a clinician",
                 f"once the clinical lead has checked it: ivr review {written(key)} --by NAME")
            continue
        age = _months_between(prompt.reviewed_on, today)
        if age >= months:
            warn(f"last reviewed {age} months ago, on {prompt.reviewed_on.isoformat()} by {prompt.reviewed_by}",
                 f"reviews are due every {months} months; ask the clinical lead to check it")
    return problems


def find_prompt(prompts: dict, name: str):
    """The (flow, name) key that `name` means: 'health-info:oin-what', or 'oin-what' when only one
    flow has a prompt of that name. Raises NotRecorded saying why when it means none.

    Only health information can be signed. A clinical lead's signature says "these facts are
    right"; on a menu prompt it would claim a check nobody asked for, and a date that nothing
    ever looks at again (`ivr check` and `--due` follow health information only). Far more
    often such a name is a slip for the health prompt next to it, so it is refused, with the
    way to mark a prompt as health information if that is what it really is.
    """
    flow, colon, bare = name.rpartition(":")
    if colon:
        matches = [(flow, bare)] if (flow, bare) in prompts else []
    else:
        matches = [key for key in prompts if key[1] == name]
    if len(matches) > 1:
        raise NotRecorded([f"{name!r} is a prompt in several flows: "
                           f"{', '.join(sorted(written(k) for k in matches))} (say which, as flow:name)"])
    if not matches:
        health = [key for key, prompt in prompts.items() if is_health_information(prompt)]
        choices = [written(k) for k in health] if colon else [k[1] for k in health]
        hint = did_you_mean(name, choices) or "`ivr review --due` lists those waiting for a review"
        raise NotRecorded([f"there is no prompt {name!r} ({hint})"])
    key = matches[0]
    if not is_health_information(prompts[key]):
        raise NotRecorded([f"{written(key)!r} is not health information, so it needs no clinical review "
                           "(if it is, add health: true and its source: to it first)"])
    return key


def _months_between(earlier: datetime.date, later: datetime.date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)
