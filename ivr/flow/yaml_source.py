"""Reads a YAML file into a tree that remembers where every value was written.

PyYAML alone would lose line numbers, keep the last of two duplicate keys, turn `no` into False
and happily build Python objects from `!!python/...` tags. Staff deserve better: this reader keeps
keys as written, reports duplicates and unsafe tags, and never constructs anything but plain data.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from .problems import Problem

SAFE_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}
MAX_NODES = 2_000_000
# libyaml's parser when PyYAML was built with it (the wheels are): same YAML, several times faster.
COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # an alias bomb ("billion laughs") stops here instead of eating memory


@dataclass(eq=False)
class Node:
    line: int
    column: int


@dataclass(eq=False)
class Scalar(Node):
    value: object          # str, int, float, bool, None, datetime.date
    quoted: bool = False
    raw: str = ""          # exactly as written, e.g. 'no' for the value False

    @property
    def text(self) -> str:
        return "" if self.value is None else str(self.value)


@dataclass(eq=False)
class Sequence(Node):
    items: list = field(default_factory=list)


@dataclass(eq=False)
class Mapping(Node):
    # key as written -> (the key's own node, the value's node)
    entries: dict = field(default_factory=dict)

    def get(self, key):
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def key_node(self, key):
        return self.entries[key][0]


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
        return f"a number ({value})"
    return f"text ({node.text!r})"


class _Reader:
    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []
        self.constructor = yaml.SafeLoader("")
        self.count = 0

    def problem(self, mark, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.filename, mark.line + 1, mark.column + 1, "", message, hint))

    def convert(self, node) -> Node | None:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig()
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if node.tag not in SAFE_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(node.start_mark, f"the YAML tag {tag!r} is not allowed",
                         "flows hold plain text, numbers and lists; remove the tag")
            return None
        if isinstance(node, yaml.MappingNode):
            mapping = Mapping(line, column)
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(key_node.start_mark, "a field name must be a plain word")
                    continue
                key = key_node.value
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problem(key_node.start_mark, "YAML merge keys ('<<') are not supported",
                                 "write the fields out in full")
                    continue
                if key in mapping.entries:
                    first = mapping.entries[key][0]
                    self.problem(key_node.start_mark, f"{key!r} is written twice",
                                 f"the first is on line {first.line}; YAML would silently keep only this one")
                    continue
                value = self.convert(value_node)
                if value is not None:
                    mapping.entries[key] = (Scalar(key_node.start_mark.line + 1,
                                                   key_node.start_mark.column + 1, key, raw=key), value)
            return mapping
        if isinstance(node, yaml.SequenceNode):
            items = [self.convert(item) for item in node.value]
            return Sequence(line, column, [item for item in items if item is not None])
        try:
            value = self.constructor.construct_object(node)
        except Exception as error:     # PyYAML raises KeyError, ValueError… for '!!bool maybe'
            reason = getattr(error, "problem", None) or f"it is not a valid {node.tag.rsplit(':', 1)[-1]}"
            self.problem(node.start_mark, f"cannot read {node.value!r}: {reason}")
            return None
        return Scalar(line, column, value, quoted=node.style in ("'", '"'), raw=node.value)


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
            root = yaml.compose(text, Loader=COMPOSER)
        except yaml.MarkedYAMLError:
            # libyaml words some errors differently; PyYAML's own reader says them as documented.
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
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


def _syntax_hint(error) -> str:
    problem = error.problem or ""
    if "mapping values are not allowed" in problem:
        return "a value with ': ' in it needs quotes"
    if "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    if "could not find expected ':'" in problem:
        return "a field name needs ':' after it"
    return "check the indentation and quotes on this line and the one before"
