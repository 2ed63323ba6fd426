"""Reads prompts (text per language, recordings, where health facts come from) from YAML.

A recording replaces a prompt's text on the phone. Beside `audio/<language>/<name>.mp3` (or .wav),
`<name>.txt` holds the words that were recorded: when the text in the flow changes and the
recording does not, callers would hear the old words, so `ivr check` warns.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..yamlfile.fields import Fields
from .model import Prompt
from ..yamlfile.problems import WARNING, did_you_mean
from .say_limit import PROMPT_HINT, too_long_to_say
from ..yamlfile.source import Mapping, Node, Scalar

PROMPT_FIELDS_EXTRA = ("audio", "health", "source", "reviewed", "note")
AUDIO_SUFFIXES = (".mp3", ".wav")
WORDS_PER_SECOND = 2.5          # an unhurried voice; 75 words is about 30 seconds
LONGEST_SECONDS = 30


class UnreadPrompts(Mapping):
    """The prompts of a flow file that exists but cannot be read: any name may be among them."""


class PromptReader:
    """Turns an inline prompt or a prompt's name into a Prompt, checking its languages."""

    def __init__(self, languages: tuple, audio_dir: Path | None, problems: list):
        self.languages = languages          # the flows' language codes, in order
        self.audio_dir = audio_dir
        self.problems = problems
        self.named: dict = {}               # (flow, name) -> Prompt
        self.unread: set = set()            # flows whose prompts are unknown: their file cannot be read
        self._listing: dict = {}            # language -> names of its recordings

    def read_named(self, flow: str, file: str, node: Node) -> None:
        if isinstance(node, UnreadPrompts):
            self.unread.add(flow)
            return
        container = Fields(node, "prompts", file, self.problems, ())
        for name, value in container.node.entries.items():
            self.named[(flow, name)] = self.read_inline(name, file, value, f"prompt '{name}'")

    def read_inline(self, name: str, file: str, node: Node, where: str) -> Prompt:
        fields = Fields(node, where, file, self.problems, self.languages + PROMPT_FIELDS_EXTRA)
        fields.check_unknown()
        texts = []
        for code in self.languages:
            if fields.has(code):
                text = fields.text(code)
                texts.append((code, text))
                self._check_length(fields, code, text)
            elif isinstance(node, Mapping):
                fields.report(node, f"has no {code!r} text", "every prompt needs each language: "
                              + ", ".join(self.languages))
        # `reviewed:` left empty is how a new prompt waits for the clinical lead: a to-do, not a mistake.
        reviewed = None if _left_empty(fields.raw("reviewed")) else fields.sub("reviewed", where, ("by", "on"))
        reviewed_by, reviewed_on = "", None
        if reviewed is not None:
            reviewed.check_unknown()
            reviewed_by = reviewed.text("by", required="say who reviewed it")
            on = reviewed.raw("on")
            if on is None:
                reviewed.missing("on", "say when, as 2026-11-01")
            else:
                reviewed_on = reviewed.date(on, "'on'")
        return Prompt(
            name=name, texts=tuple(texts), audio=self._audio(fields, name, dict(texts)),
            health=fields.flag("health"), source=fields.text("source"),
            reviewed_by=reviewed_by, reviewed_on=reviewed_on,
            file=file, line=node.line, column=node.column,
        )

    def resolve(self, fields: Fields, key: str, flow: str, name_for_inline: str,
                required: str = "") -> Prompt | None:
        """The prompt a step's field names or writes out."""
        node = fields.raw(key)
        if node is None:
            if required:
                fields.missing(key, required)
            return None
        if isinstance(node, Scalar) and isinstance(node.value, str):
            return self.lookup(fields, node, flow)
        return self.read_inline(name_for_inline, fields.file, node, fields.where)

    def lookup(self, fields: Fields, node: Scalar, flow: str) -> Prompt | None:
        name = node.value
        found = self.named.get((flow, name)) or self.named.get(("main", name))
        if found is None and not {flow, "main"} & self.unread:
            known = {n for (f, n) in self.named if f in (flow, "main")}
            fields.report(node, f"uses the prompt {name!r}, which does not exist",
                          did_you_mean(name, known) or "define it under 'prompts:'")
        return found

    def _check_length(self, fields: Fields, code: str, text: str) -> None:
        seconds = len(text.split()) / WORDS_PER_SECOND
        if seconds > LONGEST_SECONDS:
            fields.report(fields.raw(code), f"the {code!r} text takes about {seconds:.0f} seconds to say",
                          "keep a prompt under 30 seconds; split it into steps with a menu between")
        refused = too_long_to_say(code, text)
        if refused:
            fields.report(fields.raw(code), refused, PROMPT_HINT)

    def _audio(self, fields: Fields, name: str, texts: dict) -> tuple:
        named = {}
        audio = fields.sub("audio", fields.where, self.languages)
        if audio is not None:
            audio.check_unknown()
            for code in self.languages:
                if audio.has(code):
                    file_name = audio.text(code)
                    if file_name and not self._exists(code, file_name):
                        audio.report(audio.raw(code), f"the recording {code}/{file_name} does not exist",
                                     f"put the file in audio/{code}/ or remove the line")
                    named[code] = file_name
        found = []
        for code in self.languages:
            if code in named:
                found.append((code, named[code]))
                continue
            if not self._recordings(code):
                continue                # no recording at all in this language: nothing to look for
            for suffix in AUDIO_SUFFIXES:
                if self._exists(code, name + suffix):
                    found.append((code, name + suffix))
                    break
        for code, recording in found:
            if texts.get(code) and self._exists(code, recording):
                self._check_transcript(fields, code, recording, texts[code])
        return tuple(found)

    def _check_transcript(self, fields: Fields, code: str, recording: str, text: str) -> None:
        folder = f"{self.audio_dir.name}/{code}"
        transcript = recording.rpartition(".")[0] + ".txt"
        said = self._read_transcript(code, transcript)
        if said is None:
            fields.report(fields.raw(code), f"the recording {folder}/{recording} has no transcript, so whether it "
                          f"says the {code!r} text here cannot be checked",
                          f"write the words it says in {folder}/{transcript}", WARNING)
        elif said.split() != text.split():
            fields.report(fields.raw(code), f"the recording {folder}/{recording} says another text than the "
                          f"{code!r} text here", f"re-record it, or update {folder}/{transcript} once it matches",
                          WARNING)

    def _read_transcript(self, code: str, file_name: str) -> str | None:
        if file_name not in self._recordings(code):
            return None
        try:
            return (self.audio_dir / code / file_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def _exists(self, code: str, file_name: str) -> bool:
        if "/" in file_name or "\\" in file_name or file_name.startswith("."):
            return False
        return file_name in self._recordings(code)

    def _recordings(self, code: str) -> frozenset:
        """The files in audio/<code>/, listed once per load rather than stat'ed per prompt."""
        found = self._listing.get(code)
        if found is None:
            try:
                directory = self.audio_dir / code
                found = frozenset(e.name for e in os.scandir(directory) if e.is_file())
            except (OSError, TypeError):
                found = frozenset()
            self._listing[code] = found
        return found


def _left_empty(node: Node | None) -> bool:
    return isinstance(node, Scalar) and (node.value is None or node.value == "")
