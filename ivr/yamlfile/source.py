"""Reads a YAML file into a tree that remembers where every value was written.

PyYAML alone would lose line numbers, keep the last of two duplicate keys, turn `no` into False
and happily build Python objects from `!!python/...` tags. Staff deserve better: this reader keeps
keys as written, reports duplicates and unsafe tags, and never constructs anything but plain data.
libyaml's composer (through PyYAML) does the parsing and keeps each node's line and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import yaml

from .problems import Problem

YAML_TAG = "tag:yaml.org,2002:"
STR, MAP, SEQ = YAML_TAG + "str", YAML_TAG + "map", YAML_TAG + "seq"
SAFE_TAGS = {YAML_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
MAX_NODES = 2_000_000       # an alias bomb ("billion laughs") stops here instead of eating memory
# Where libyaml is missing (PyYAML is always built with it in its wheels), PyYAML's own parser.
_LIBYAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = "plain"            # an unquoted value whose type (text, number, yes/no…) is not decided yet
_MAYBE_TYPED = frozenset(yaml.resolver.Resolver.yaml_implicit_resolvers)   # first characters, '' too
_QUOTES = ("'", '"')
_ScalarNode = yaml.ScalarNode


@dataclass(eq=False, slots=True)
class Node:
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Scalar(Node):
    value: object          # str, int, float, bool, None, datetime.date
    quoted: bool = False
    raw: str = ""          # exactly as written, e.g. 'no' for the value False

    @property
    def text(self) -> str:
        return "" if self.value is None else str(self.value)


@dataclass(eq=False, slots=True)
class Sequence(Node):
    items: list = field(default_factory=list)


@dataclass(eq=False, slots=True)
class Mapping(Node):
    entries: dict = field(default_factory=dict)     # key as written -> the value's node
    # key -> where the key itself was written: libyaml's mark (0-based line and column). A key's
    # node is made only when a problem names it: a big flow set has a hundred thousand keys.
    marks: dict = field(default_factory=dict)

    def get(self, key):
        return self.entries.get(key)

    def key_node(self, key) -> "Scalar":
        mark = self.marks.get(key)
        if mark is None:
            return Scalar(self.line, self.column, key, False, key)
        return Scalar(mark.line + 1, mark.column + 1, key, False, key)


def describe(node: Node) -> str:
    """How a staff member would name what they wrote."""
    if isinstance(node, Mapping):
        return "a group of fields"
    if isinstance(node, Sequence):
        return "a list"
    value = node.value
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"yes/no ({node.raw!r} is read as {value})"
    if isinstance(value, (int, float)):
        if node.raw and node.raw != str(value):
            return f"a number ({node.raw!r} is read as {value})"       # 05 is 5, 010 is 8
        return f"a number ({value})"
    return f"text ({node.text!r})"


class _TypesLater:
    """The composer leaves unquoted values untyped: PyYAML's resolver would run its patterns on
    every one of them, where the reader decides each distinct value once per file."""

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else STR
        return MAP if kind is yaml.MappingNode else SEQ

    def descend_resolver(self, current_node, current_index):
        pass                # path resolvers: none are registered for flows

    def ascend_resolver(self):
        pass


class _Composer(_TypesLater, _LIBYAML):
    pass


class _WordyComposer(_TypesLater, yaml.SafeLoader):
    """PyYAML's own parser: slower, but it words syntax errors as its documentation does."""


class _Reader:
    """Turns libyaml's nodes into located Nodes: the walk is most of the reading time, so the
    common cases (text, a group, a list) take the shortest way."""

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []
        self.rules = yaml.SafeLoader("")    # PyYAML's resolver and constructor, for YAML 1.1 types
        self.typed: dict = {}               # (tag, text as written) -> value, once per file
        self.count = 0

    def problem(self, mark, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.filename, mark.line + 1, mark.column + 1, "", message, hint))

    def convert(self, node) -> Node | None:
        if node.__class__ is _ScalarNode:
            return self.scalar(node)
        if node.tag not in SAFE_TAGS:
            return self.refuse_tag(node)
        self.count += len(node.value)
        if self.count > MAX_NODES:
            raise _TooBig()
        mark = node.start_mark
        if node.__class__ is yaml.MappingNode:
            return self.mapping(node, Mapping(mark.line + 1, mark.column + 1))
        items = []
        for item in node.value:
            item = self.scalar(item) if item.__class__ is _ScalarNode else self.convert(item)
            if item is not None:
                items.append(item)
        return Sequence(mark.line + 1, mark.column + 1, items)

    def mapping(self, node, mapping: Mapping) -> Mapping:
        entries, marks = mapping.entries, mapping.marks
        convert, scalar = self.convert, self.scalar
        for key_node, value_node in node.value:
            if key_node.__class__ is not _ScalarNode:
                self.problem(key_node.start_mark, "a field name must be a plain word")
                continue
            key = key_node.value
            if key in marks:
                first = marks[key]
                self.problem(key_node.start_mark, f"{key!r} is written twice",
                             f"the first is on line {first.line + 1}; YAML would silently keep only this one")
                continue
            if key == "<<" and key_node.tag in (_PLAIN, YAML_TAG + "merge"):
                self.problem(key_node.start_mark, "YAML merge keys ('<<') are not supported",
                             "write the fields out in full")
                continue
            marks[key] = key_node.start_mark
            if value_node.__class__ is _ScalarNode:
                text = value_node.value
                # The shortest way for the most common value: a word or sentence, typed as text.
                if value_node.tag is _PLAIN and text[:1] not in _MAYBE_TYPED or value_node.tag == STR:
                    value_mark = value_node.start_mark
                    entries[key] = Scalar(value_mark.line + 1, value_mark.column + 1, text,
                                          value_node.style in _QUOTES, text)
                    continue
                value = scalar(value_node)
            else:
                value = convert(value_node)
            if value is not None:
                entries[key] = value
        return mapping

    def scalar(self, node) -> Scalar | None:
        text, tag, mark = node.value, node.tag, node.start_mark
        if tag is _PLAIN:
            if text[:1] in _MAYBE_TYPED:    # most values are words: no YAML 1.1 rule starts with theirs
                tag = self.rules.resolve(_ScalarNode, text, (True, False))
            else:
                tag = STR
        if tag == STR:
            return Scalar(mark.line + 1, mark.column + 1, text, node.style in _QUOTES, text)
        if tag not in SAFE_TAGS:        # written (!!python/…), or '=', YAML's "value" tag
            return self.refuse_tag(_ScalarNode(tag, text, mark))
        value = self.typed.get((tag, text), node)
        if value is node:
            value = self.construct(node, tag)
            if value is node:
                return None
        return Scalar(mark.line + 1, mark.column + 1, value, node.style in _QUOTES, text)

    def construct(self, node, tag):
        """The value of a typed scalar; the node itself when it is not one (reported here)."""
        try:
            value = self.rules.yaml_constructors[tag](self.rules, node)
        except Exception as error:     # PyYAML raises KeyError, ValueError… for '!!bool maybe'
            reason = getattr(error, "problem", None) or f"it is not a valid {tag.rsplit(':', 1)[-1]}"
            self.problem(node.start_mark, f"cannot read {node.value!r}: {reason}")
            return node
        self.typed[(tag, node.value)] = value
        return value

    def refuse_tag(self, node) -> None:
        tag = node.tag.replace(YAML_TAG, "!!")
        self.problem(node.start_mark, f"the YAML tag {tag!r} is not allowed",
                     "flows hold plain text, numbers and lists; remove the tag")
        return None


class _TooBig(Exception):
    pass


def read_yaml(text: str, filename: str) -> tuple[Node | None, list[Problem]]:
    """The located tree of one YAML document, and every problem met reading it."""
    reader = _Reader(filename)
    try:
        return _read(text, filename, reader)
    except RecursionError:
        return None, [Problem(filename, 1, 1, "", "the YAML is nested too deeply to read",
                              "flows need only a few levels of indentation")]


def _read(text: str, filename: str, reader: "_Reader"):
    try:
        try:
            root = yaml.compose(text, Loader=_Composer)
        except yaml.MarkedYAMLError:
            # libyaml words some errors differently; PyYAML's own reader says them as documented.
            root = yaml.compose(text, Loader=_WordyComposer)
    except yaml.MarkedYAMLError as error:
        misplaced = _misindented(text, error)
        if misplaced is not None:
            line, column, message, hint = misplaced
            return None, [Problem(filename, line, column, "", message, hint)]
        mark = error.problem_mark or error.context_mark
        message = "the YAML is not well formed: " + " ".join(
            part for part in (error.context, error.problem) if part)
        if mark is None:
            return None, [Problem(filename, 1, 1, "", message)]
        return None, [Problem(filename, mark.line + 1, mark.column + 1, "", message,
                              _syntax_hint(error))]
    except yaml.YAMLError as error:
        return None, [Problem(filename, 1, 1, "", f"the YAML is not well formed: {error}")]
    if root is None:
        return None, [Problem(filename, 1, 1, "", "the file is empty")]
    try:
        tree = reader.convert(root)
    except _TooBig:
        return None, [Problem(filename, 1, 1, "", "the file is too large to read",
                              "it expands to more than 2 million values; are aliases (*name) nested?")]
    return tree, reader.problems


# A field name alone on a line (`prompt`, `if_nobody_answers`, `"0"`): prose ("Note: call us",
# "open hours: 24") is not taken for one, so a colon in a sentence still gets the quotes hint.
_FIELD_NAME = re.compile(r"""[a-z][a-z0-9_-]*|"[^"\n]*"|'[^'\n]*'""")


class _Line(NamedTuple):
    number: int         # 0-based, as libyaml counts
    indent: int         # where its first field name starts, 0-based ("- name:" counts at name)
    dash: int           # where its "- " starts; the indent when it has none
    name: str


def _field_lines(lines: list, row: int):
    """The lines above `row` that start a field, nearest first (blanks, comments and lines of
    text left out)."""
    for number in range(row - 1, -1, -1):
        text = lines[number]
        body = text.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        dash = len(text) - len(body)
        while body.startswith("- "):
            body = body[2:].lstrip(" ")
        name, colon, _ = body.partition(":")
        if colon and _FIELD_NAME.fullmatch(name.strip()):     # not a line of text or a list's word
            yield _Line(number, len(text) - len(body), dash, name.strip())


def _misindented(text: str, error):
    """(line, column, message, hint) when the error is a line indented differently from the
    fields beside it: libyaml reads a line indented too deep as more of the value above it
    ("mapping values are not allowed here") and one too shallow as the end of its group ("expected
    <block end>"), and neither says indentation. None for any other error."""
    mark, problem = error.problem_mark, error.problem or ""
    lines = text.splitlines()
    if mark is None or mark.line >= len(lines):
        return None
    line = lines[mark.line]
    indent = len(line) - len(line.lstrip(" "))
    name = line[indent:].lstrip("- ").partition(":")[0].strip()
    if "mapping values are not allowed" in problem:
        # The colon found is the first on its line, after a field name alone: the line is a field
        # indented deeper than the one above it, whose value it was read as continuing.
        if not _FIELD_NAME.fullmatch(line[indent:mark.column]):
            return None
        above = next(_field_lines(lines, mark.line), None)
        if above is None or above.indent >= indent:
            return None
        expected = above
    elif "expected <block end>" in problem and mark.column == indent:
        # A line indented less than its group, yet more than the group around that: the nearest
        # fields above it deeper than it are where it belongs.
        expected = None
        for above in _field_lines(lines, mark.line):
            if above.indent > indent and (expected is None or above.indent < expected.indent):
                expected = above
            if above.dash <= indent:
                break
        if expected is None:
            # Deeper than the field above, but not as deep as its text (`en: >-` and its lines).
            expected = next(_field_lines(lines, mark.line), None)
            if expected is None or expected.indent >= indent:
                return None
    else:
        return None
    return (mark.line + 1, indent + 1,
            f"the YAML is not well formed: the indentation of {name!r} (column {indent + 1}) does not"
            " match the fields beside it",
            f"indent it to column {expected.indent + 1}, as {expected.name!r} on line {expected.number + 1}")


def _syntax_hint(error) -> str:
    problem = error.problem or ""
    if "mapping values are not allowed" in problem:
        return "a value with ': ' in it needs quotes"
    if "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    if "could not find expected ':'" in problem:
        return "a field name needs ':' after it"
    return "check the indentation and quotes on this line and the one before"
