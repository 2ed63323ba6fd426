"""`ivr review`: writes a clinician's review into the flow file itself, changing nothing else.

The file is staff's: their comments, spacing, quotes and line breaks stay byte for byte. A YAML
round trip cannot promise that (ruamel.yaml's re-flows main.yaml's multi-line crisis-word lists
onto single lines), so the review is spliced into the text where PyYAML, the parser `ivr check`
uses, says the prompt's `reviewed:` is. The result is loaded like any edit, and written only if
the flows still load with nothing changed but the review.
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import os
import tempfile
from pathlib import Path

import yaml

from .loader import flow_files, load_flows
from .review import NotRecorded, find_prompt, written

REVIEWED = "reviewed"


@dataclasses.dataclass(frozen=True)
class Recorded:
    """One review written: what a reviewer reads back."""
    prompt: str          # 'health-info:oin-what'
    file: str
    line: int


def record_reviews(directory, names, by: str, on: datetime.date, today: datetime.date,
                   audio_dir=None) -> list:
    """Record that `by` reviewed each prompt of `names` on `on`: all of them, or (NotRecorded) none."""
    directory = Path(directory)
    by = by.strip()
    refusals = []
    if not by or "\n" in by:
        refusals.append("--by needs the reviewer's name, on one line")
    if on > today:
        refusals.append(f"--on {on.isoformat()} is in the future; give the day the review was done")
    before = load_flows(directory, audio_dir, today=today)
    if before.flows is None:
        raise NotRecorded(refusals + [f"{directory} has problems to fix first (run: ivr check {directory})"])
    keys = []
    for name in names:
        try:
            keys.append(find_prompt(before.flows.prompts, name))
        except NotRecorded as refused:
            refusals += refused.reasons
    if refusals:
        raise NotRecorded(refusals)
    keys = list(dict.fromkeys(keys))            # each prompt once, in the order named

    originals = {path: path.read_bytes() for path in flow_files(directory)}
    edited = {}
    for key in keys:
        path = Path(before.flows.prompts[key].file)
        text = edited.get(path, originals[path].decode("utf-8"))
        edited[path] = sign(text, key[1], by, on, where=f"{path}: prompt {written(key)!r}")
    after = _load_edited(directory, originals, edited, audio_dir, today)
    _check_only_reviews_changed(before.flows, after, set(keys), by, on)
    changed = [str(path) for path in edited if path.read_bytes() != originals[path]]
    if changed:
        raise NotRecorded([f"{', '.join(changed)} changed while the review was being recorded; "
                           "run the command again"])
    _replace_files(edited)
    return [Recorded(written(key), before.flows.prompts[key].file, after.prompts[key].line) for key in keys]


def sign(text: str, prompt: str, by: str, on: datetime.date, where: str = "") -> str:
    """`text` (a flow file) with prompt `prompt`'s review set to {by, on}, every other line kept.

    The `reviewed:` line (or lines, when by and on are written under it) becomes one line,
    `reviewed: {by: NAME, on: DATE}`. A comment on that line goes with it: it speaks of the review
    being replaced ("# not yet: ...") and would be false beside the new one. A health prompt
    without the line gets one under `health:`.
    """
    where = where or f"prompt {prompt!r}"
    node = _value_of(yaml.compose(text, Loader=yaml.SafeLoader), "prompts", where)
    node = _value_of(node, prompt, where)
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        raise NotRecorded([f"{where} is not written as a block of fields; add `reviewed:` to it by hand"])
    review = _written_review(by, on)
    found = _entry(node, REVIEWED)
    if found is None:
        return _insert_line(text, node, f"{REVIEWED}: {review}", where)
    key, value = found
    colon = _after_colon(text, key, where)
    if value.start_mark.index == value.end_mark.index:       # nothing written after `reviewed:`
        end = colon
    elif isinstance(value, yaml.MappingNode) and not value.flow_style:
        end = value.value[-1][1].end_mark.index
    else:
        end = value.end_mark.index
    return text[:colon] + " " + review + text[_end_of_line(text, end):]


def _written_review(by: str, on: datetime.date) -> str:
    """`{by: NAME, on: DATE}` as staff write it. PyYAML quotes the name where the flows' reader
    would misread it (a comma, a colon, 'yes', a number)."""
    by_entry = yaml.safe_dump({"by": by}, default_flow_style=True, allow_unicode=True, width=math.inf)
    return "{" + by_entry.strip()[1:-1] + f", on: {on.isoformat()}}}"


def _entry(mapping: yaml.MappingNode, name: str):
    for key, value in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return key, value
    return None


def _value_of(mapping, name: str, where: str):
    found = _entry(mapping, name) if isinstance(mapping, yaml.MappingNode) else None
    if found is None:
        raise NotRecorded([f"{where}: could not find it in the file (was it edited meanwhile?)"])
    return found[1]


def _after_colon(text: str, key: yaml.ScalarNode, where: str) -> int:
    index = key.end_mark.index
    while index < len(text) and text[index] in " \t":
        index += 1
    if not text.startswith(":", index):
        raise NotRecorded([f"{where}: `{REVIEWED}` is written in a way this command does not edit; "
                           "change it by hand"])
    return index + 1


def _end_of_line(text: str, index: int) -> int:
    end = text.find("\n", index)
    if end == -1:
        return len(text)
    return end - 1 if text[end - 1:end] == "\r" else end


def _insert_line(text: str, prompt: yaml.MappingNode, line: str, where: str) -> str:
    """A new line for the review: under `health:`, else above `source:`, at their indentation."""
    newline = "\r\n" if "\r\n" in text else "\n"
    health, source = _entry(prompt, "health"), _entry(prompt, "source")
    if health is not None:
        key, value = health
        end = text.find("\n", value.end_mark.index)
        indented = " " * key.start_mark.column + line
        if end == -1:
            return text + newline + indented + newline
        return text[:end + 1] + indented + newline + text[end + 1:]
    key = source[0] if source else None
    start = text.rfind("\n", 0, key.start_mark.index) + 1 if key else -1
    if key is None or text[start:key.start_mark.index].strip():
        raise NotRecorded([f"{where}: has no place for a `{REVIEWED}:` line; add an empty one by hand"])
    return text[:start] + " " * key.start_mark.column + line + newline + text[start:]


def _load_edited(directory: Path, originals: dict, edited: dict, audio_dir, today):
    """The flows as they would be with the edits, loaded from a scratch copy of the folder."""
    audio_dir = audio_dir if audio_dir is not None else directory.parent / "audio"
    with tempfile.TemporaryDirectory(prefix="ivr-review-") as scratch:
        for path, raw in originals.items():
            target = Path(scratch) / path.name
            if path in edited:
                target.write_text(edited[path], encoding="utf-8", newline="")
            else:
                target.write_bytes(raw)
        result = load_flows(scratch, audio_dir, today=today)
    if result.flows is None:
        first = str(result.errors[0]).replace(scratch, str(directory), 1)
        raise NotRecorded([f"recording the review would break the flows ({first})"])
    return result.flows


def _check_only_reviews_changed(before, after, keys: set, by: str, on: datetime.date) -> None:
    def content(prompt):
        return dataclasses.replace(prompt, file="", line=0, column=0)

    wrong = [written(key) for key in keys
             if (after.prompts[key].reviewed_by, after.prompts[key].reviewed_on) != (by, on)]
    wrong += [written(key) for key, prompt in before.prompts.items() if key not in keys
              and (key not in after.prompts or content(after.prompts[key]) != content(prompt))]
    if wrong or set(after.steps) != set(before.steps):
        raise NotRecorded([f"recording the review would change more than the review of "
                           f"{', '.join(map(written, sorted(keys)))}"])


def _replace_files(edited: dict) -> None:
    """Each file replaced in one step: a running helpline reloads saved flows and must never read
    half of one. Every new file is fully written before the first replace, so a full disk or a
    folder staff may not write to leaves them all as they were. The temporary names do not end
    in .yaml, so they are never taken for flows."""
    staged = {}
    try:
        for path, text in edited.items():
            handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".review")
            staged[path] = scratch
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(scratch, path.stat().st_mode & 0o7777)
        for path, scratch in staged.items():
            os.replace(scratch, path)
    except OSError as error:
        raise NotRecorded([f"could not save {path}: {error.strerror or error}"])
    finally:
        for scratch in staged.values():
            if os.path.exists(scratch):
                os.unlink(scratch)
