"""Reads the fields of one YAML group with their types, noting a precise problem for each misfit.

Every reader returns a usable value (or None) and never raises: the validator must go on and
report every problem of a file in one run.
"""
from __future__ import annotations

import datetime
import re

from .problems import Problem, did_you_mean
from .source import Mapping, Node, Scalar, Sequence, describe

KEYS = tuple("0123456789*#")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Fields:
    """The fields of one group (a step, a prompt, an option), read once each."""

    def __init__(self, node: Node, where: str, file: str, problems: list, allowed: tuple):
        self.node = node if isinstance(node, Mapping) else Mapping(node.line, node.column)
        self.where, self.file, self.problems = where, file, problems
        self.allowed = allowed
        if not isinstance(node, Mapping):
            self.report(node, f"expected a group of fields, found {describe(node)}")

    # -- reporting ---------------------------------------------------------------------------
    def report(self, node: Node, message: str, hint: str = "", severity: str = "error") -> None:
        self.problems.append(Problem(self.file, node.line, node.column, self.where, message, hint,
                                     severity))

    def check_unknown(self) -> None:
        allowed = self.allowed
        for key in self.node.entries:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or "known fields: " + ", ".join(allowed)
                self.report(self.node.key_node(key), f"unknown field {key!r}", hint)

    def has(self, key: str) -> bool:
        return key in self.node.entries

    def raw(self, key: str) -> Node | None:
        return self.node.entries.get(key)      # the most called line of a load: no call in between

    def missing(self, key: str, why: str) -> None:
        self.report(self.node, f"has no {key!r}", why)

    # -- typed readers -----------------------------------------------------------------------
    def text(self, key: str, required: str = "", default: str = "") -> str:
        node = self.raw(key)
        if node is None:
            if required:
                self.missing(key, required)
            return default
        return self.text_of(node, key) or default

    def text_of(self, node: Node, what: str) -> str:
        if isinstance(node, Scalar) and isinstance(node.value, str) and node.value.strip():
            return node.value.strip()
        if isinstance(node, Scalar) and isinstance(node.value, (bool, int, float)) and not node.quoted:
            self.report(node, f"{what!s} should be text, found {describe(node)}",
                        f'put it in quotes: "{node.raw}"')
        else:
            self.report(node, f"{what!s} should be text, found {describe(node)}")
        return ""

    def name(self, key: str, required: str = "") -> str:
        value = self.text(key, required)
        if value and not NAME.match(value):
            self.report(self.raw(key), f"{value!r} is not a usable name",
                        "use lower-case letters, digits and '-'")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        node = self.raw(key)
        if node is None:
            return default
        if isinstance(node, Scalar) and isinstance(node.value, int) and not isinstance(node.value, bool):
            if low <= node.value <= high:
                return node.value
            self.report(node, f"{key!r} is {node.value}, outside {low} to {high}")
            return default
        self.report(node, f"{key!r} should be a whole number, found {describe(node)}")
        return default

    def flag(self, key: str, default: bool = False) -> bool:
        node = self.raw(key)
        if node is None:
            return default
        if isinstance(node, Scalar) and isinstance(node.value, bool):
            return node.value
        self.report(node, f"{key!r} should be true or false, found {describe(node)}")
        return default

    def key(self, key: str, default: str | None = None) -> str | None:
        node = self.raw(key)
        return default if node is None else self.key_of(node, key)

    def key_of(self, node: Node, what: str) -> str | None:
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, str) and value in KEYS:
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
            # YAML reads `key: 5` as a number and `key: 05` as 5 too: what was meant is a guess.
            hint = f'write the key in quotes: "{value}"'
        else:
            hint = 'use "0" to "9", "*" or "#", in quotes'
        self.report(node, f"{what!r} should be one phone key, found {describe(node)}", hint)
        return None

    def date(self, node: Node, what: str) -> datetime.date | None:
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
        self.report(node, f"{what} should be a date, found {describe(node)}", "write it as 2026-12-25")
        return None

    def listing(self, key: str) -> list:
        """The items of a list field; a single value counts as a list of one."""
        node = self.raw(key)
        if node is None:
            return []
        if isinstance(node, Sequence):
            return list(node.items)
        return [node]

    def sub(self, key: str, where: str, allowed: tuple) -> "Fields | None":
        node = self.raw(key)
        return None if node is None else Fields(node, where, self.file, self.problems, allowed)
