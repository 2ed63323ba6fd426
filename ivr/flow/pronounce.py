"""How the voice says numbers and medical words: each language's `pronounce:` table in main.yaml,
the prompt text split into the pieces <Say> speaks with SSML, and the checks behind `ivr check`.

A voice reads "911" as "nine hundred eleven" and guesses at "myoclonus"; a caller in crisis must
hear "nine one one". What Twilio's <Say> passes on to Amazon Polly, neural voices included:
- <say-as interpret-as="digits"> reads 1-2-3-4. Of say-as, only "characters" (spell-out) is not
  neural: Polly says that whole sentence in the standard voice instead, so `letters` is a <sub>.
  https://docs.aws.amazon.com/polly/latest/dg/say-as-tag.html
- <sub alias="…"> on every engine: https://docs.aws.amazon.com/polly/latest/dg/sub-tag.html
- <phoneme alphabet="ipa" ph="…"> on standard, neural and long-form voices; the symbols must be in
  the voice's own language's table (en-US has ɑ, not British ɒ):
  https://docs.aws.amazon.com/polly/latest/dg/phoneme-tag.html,
  https://docs.aws.amazon.com/polly/latest/dg/ph-table-english-us.html,
  https://docs.aws.amazon.com/polly/latest/dg/ph-table-spanish-us.html
- which tag each engine has: https://docs.aws.amazon.com/polly/latest/dg/supportedtags.html
- SSML in <Say> needs a Polly or Google voice; Basic voices have none, and unsupported SSML can
  make <Say> fail: https://www.twilio.com/docs/voice/twiml/say, https://www.twilio.com/docs/api/errors/13513
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Iterable, NamedTuple

from ..yamlfile.fields import Fields
from ..yamlfile.problems import WARNING, Problem, did_you_mean
from ..yamlfile.source import Mapping, Node, Scalar, describe

DIGITS, NUMBER, LETTERS, SAY, IPA = "digits", "number", "letters", "say", "ipa"
WORD_FORMS = (DIGITS, NUMBER, LETTERS)          # written as a word: "911": digits
FORMS_HINT = "use digits, number, letters, {say: WORDS} or {ipa: SOUNDS}"
SAY_AS, SUB, PHONEME = "say-as", "sub", "phoneme"
SSML_VOICES = ("Polly.", "Google.")
# A number as a voice would read it whole: digits joined by '.', ',' or '-' ("1,000", "911-2").
NUMBER_PATTERN = r"\d+(?:[.,-]\d+)*"
LONGEST_PLAIN_NUMBER = 2       # "24 hours" reads well; from three digits on, a rule decides


@dataclass(frozen=True)
class Rule:
    """One word or number, and the SSML that says it."""
    word: str            # as written under pronounce:, and matched whole in prompts: "911", "OIN"
    form: str            # the staff's word: digits, number, letters, say or ipa
    element: str         # say-as, sub or phoneme; "" for `number`, which the voice reads as it will
    value: str = ""      # interpret-as, the alias, or the IPA
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Piece:
    """A stretch of a prompt: plain text (rule None) or one word said by its rule."""
    text: str
    rule: Rule | None = None


@dataclass(frozen=True)
class Pronunciation:
    """A language's rules and the one regular expression, compiled once, that finds them all
    (and, in the same pass, every number no rule takes)."""
    language: str
    rules: tuple = ()
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)
    _pattern: re.Pattern = field(default=None, init=False, compare=False, repr=False)
    _by_group: tuple = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self):
        # Longest first: at the same place, "OIN test" wins over "OIN"; a bare number comes last.
        ordered = tuple(sorted(self.rules, key=lambda rule: -len(rule.word)))
        alternatives = [f"({_within_numbers(rule.word)})" for rule in ordered] + [f"({NUMBER_PATTERN})"]
        # The word boundary stands outside the alternatives, so inside a word the search moves on
        # at once instead of trying every rule (three times faster on a prompt).
        pattern = rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)"
        object.__setattr__(self, "_pattern", re.compile(pattern, re.IGNORECASE))
        object.__setattr__(self, "_by_group", (None,) + ordered + (None,))

    def matches(self, text: str):
        """(match, rule) for each rule's word in `text`, left to right; rule None for a number
        that no rule takes."""
        for match in self._pattern.finditer(text):
            yield match, self._by_group[match.lastindex]


def _within_numbers(word: str) -> str:
    """The word, never matched as part of a longer number ("1,911", "911-2"); any spaces in it
    match any run of spaces or line breaks."""
    body = r"\s+".join(re.escape(part) for part in word.split())
    before = r"(?<!\d[.,-])" if word[0].isdigit() else ""
    after = r"(?![.,-]\d)" if word[-1].isdigit() else ""
    return before + body + after


NO_RULES = Pronunciation("")
_DIGIT = re.compile(r"\d")


def pieces(text: str, pronunciation: Pronunciation) -> tuple:
    """`text` as plain pieces and rule pieces, never two plain pieces in a row (twilio's <Say>
    keeps only the last of two strings nested one after the other)."""
    if not pronunciation.rules:
        return (Piece(text),) if text else ()
    found, start = [], 0
    for match, rule in pronunciation.matches(text):
        if rule is None or not rule.element:
            continue        # a number, or a `number` rule: the voice's own reading, in the plain text
        if match.start() > start:
            found.append(Piece(text[start:match.start()]))
        found.append(Piece(match.group(), rule))
        start = match.end()
    if start < len(text):
        found.append(Piece(text[start:]))
    return tuple(found)


# -- reading the table ---------------------------------------------------------------------------
def read_pronunciation(node: Node | None, file: str, language: str, problems: list) -> Pronunciation:
    """The rules under languages.<language>.pronounce (None: the language has none)."""
    if node is None:
        return Pronunciation(language)
    table = Fields(node, f"language '{language}'", file, problems, ())
    rules, seen = [], {}
    for written, value in table.node.entries.items():
        key_node = table.node.key_node(written)
        word = written.strip()
        if not word:
            table.report(key_node, "an empty word cannot be pronounced", "write the word or number in quotes")
            continue
        same = " ".join(word.split()).casefold()       # as the rule will match it
        first = seen.get(same)
        if first is not None:
            table.report(key_node, f"{word!r} is already written as {first.word!r} on line {first.line}",
                         "words match whatever their capitals; keep one")
            continue
        rule = _read_rule(table, word, key_node, value)
        if rule is not None:
            seen[same] = rule
            rules.append(rule)
    return Pronunciation(language, tuple(rules), file, node.line, node.column)


def _read_rule(table: Fields, word: str, key_node: Node, value: Node) -> Rule | None:
    place = dict(file=table.file, line=key_node.line, column=key_node.column)
    if isinstance(value, Mapping):
        return _read_say_or_ipa(table, word, value, place)
    form = value.value if isinstance(value, Scalar) and isinstance(value.value, str) else None
    if form not in WORD_FORMS:
        hint = did_you_mean(form, WORD_FORMS) if form else ""
        table.report(value, f"{describe(value)} is not a way to pronounce {word!r}", hint or FORMS_HINT)
        return None
    if form == LETTERS:
        letters = " ".join(ch for ch in word if ch.isalnum())
        if not letters:
            table.report(value, f"{word!r} has no letters to spell out", FORMS_HINT)
            return None
        return Rule(word, LETTERS, SUB, letters, **place)
    if not any(ch.isdigit() for ch in word):
        table.report(value, f"{word!r} has no digits to read as {form}",
                     "use letters to spell it out, {say: WORDS} or {ipa: SOUNDS}")
        return None
    if form == DIGITS:
        return Rule(word, DIGITS, SAY_AS, "digits", **place)
    return Rule(word, NUMBER, "", "", **place)


def _read_say_or_ipa(table: Fields, word: str, value: Mapping, place: dict) -> Rule | None:
    fields = Fields(value, table.where, table.file, table.problems, (SAY, IPA))
    fields.check_unknown()
    written = [key for key in (SAY, IPA) if fields.has(key)]
    if len(written) != 1:
        fields.report(value, f"say how to pronounce {word!r} one way",
                      "write either {say: WORDS} or {ipa: SOUNDS}")
        return None
    form = written[0]
    node = fields.raw(form)
    blank = isinstance(node, Scalar) and (node.value is None or node.value == "" or str(node.value).isspace())
    if blank:
        what, example = ("words to say", "O I N") if form == SAY else ("IPA sounds", "maɪˈɑklənəs")
        # At the field's name: an empty value has no place of its own that staff could see.
        fields.report(value.key_node(form), f"{word!r} has no {what}",
                      f"write them, e.g. {{{form}: {example}}}")
        return None
    text = fields.text_of(node, f"{form!r}")
    if not text:
        return None
    if form == SAY:
        return Rule(word, SAY, SUB, text, **place)
    if text[0] in "/[" or text[-1] in "/]":
        fields.report(node, f"the IPA for {word!r} is written with {text[0]}{text[-1]} around it",
                      "write only the sounds, without the slashes or brackets")
        return None
    return Rule(word, IPA, PHONEME, text, **place)


# -- checks --------------------------------------------------------------------------------------
class SpokenText(NamedTuple):
    """One language's text of one prompt, and where it is written."""
    where: str           # "prompt 'welcome'", "say 'emergency'"
    file: str
    line: int
    column: int
    language: str
    text: str


def check_pronunciation(tables: dict, texts: Iterable[SpokenText]) -> list:
    """An error for every number of three or more digits that no rule covers (a voice would read
    911 as "nine hundred eleven"), and a warning for every rule that no prompt uses.
    `tables`: language code -> Pronunciation."""
    problems, used = [], set()
    unread: dict = {}           # (language, number) -> every text that says it
    numbers_only = {code for code, table in tables.items() if all(r.word[:1].isdigit() for r in table.rules)}
    for spoken in texts:
        if spoken.language in numbers_only and not _DIGIT.search(spoken.text):
            continue        # most texts: no number to check and no word a rule could take
        table = tables.get(spoken.language, NO_RULES)
        numbers = []
        for match, rule in table.matches(spoken.text):
            if rule is not None:
                used.add((table.language, rule.word))
            elif _read_as_a_number(match.group()):
                numbers.append(match.group())
        for number in dict.fromkeys(numbers):
            unread.setdefault((spoken.language, number), []).append(spoken)
    for (language, number), said_in in unread.items():
        problems.append(_number_without_a_rule(tables.get(language, NO_RULES), language, number, said_in))
    for table in tables.values():
        for rule in table.rules:
            if (table.language, rule.word) not in used:
                problems.append(Problem(
                    rule.file, rule.line, rule.column, f"language '{table.language}'",
                    f"no {table.language!r} prompt says {rule.word!r}",
                    "remove the rule, or check its spelling against the prompts", WARNING))
    return problems


def _number_without_a_rule(table: Pronunciation, language: str, number: str, said_in: list) -> Problem:
    """One problem for one number: at the text that says it, or, when several do (its rule was
    removed, or never written), at the language's pronounce table, naming every text."""
    hint = (f'add "{number}": digits under languages.{language}.pronounce,'
            f' or "{number}": number if it is meant as one')
    if len(said_in) == 1:
        spoken = said_in[0]
        return Problem(spoken.file, spoken.line, spoken.column, spoken.where,
                       f"the {language!r} text says {number}, which a voice reads as a number", hint)
    first = said_in[0]
    place = (table.file, table.line, table.column) if table.file else (first.file, first.line, first.column)
    ordered = sorted(said_in, key=lambda spoken: (spoken.file != place[0], spoken.file, spoken.line))
    texts = ", ".join(f"{spoken.where} (line {spoken.line})" if spoken.file == place[0] else
                      f"{spoken.where} ({PurePath(spoken.file).name}:{spoken.line})"
                      for spoken in ordered)
    return Problem(*place, f"language '{language}'",
                   f"{len(said_in)} {language!r} texts say {number}, which a voice reads as a number: {texts}",
                   hint)


def _read_as_a_number(number: str) -> bool:
    return max(len(group) for group in re.split(r"[.,-]", number)) > LONGEST_PLAIN_NUMBER


def check_voice(pronunciation: Pronunciation, voice: str) -> list:
    """An error when a language has rules but a voice that cannot read SSML."""
    if not pronunciation.rules or not voice or voice.startswith(SSML_VOICES):
        return []
    return [Problem(pronunciation.file, pronunciation.line, pronunciation.column,
                    f"language '{pronunciation.language}'",
                    f"the voice {voice!r} cannot follow pronounce rules",
                    "use an Amazon Polly voice (Polly.…) or a Google voice (Google.…)")]
