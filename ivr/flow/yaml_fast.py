"""The fast path for reading flows: rapidyaml's C++ parser, for files with nothing to report.

PyYAML's reader (yaml_source) knows where every value was written and explains every mistake,
but a 10,000-step flow set takes it seconds. rapidyaml parses the same file in milliseconds. So a
flow is read here first; anything unusual (a syntax error, a tag, an alias, a duplicate key)
raises NotPlain, and the caller reads the file again with PyYAML, which reports it precisely.
Plain values are typed with PyYAML's own YAML 1.1 rules, so `no` is still False on both paths.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading

import yaml

from .yaml_source import Mapping, Scalar, Sequence

try:
    import ryml
except ImportError:       # the fast path is an optimisation; without it PyYAML reads everything
    ryml = None

_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_CONSTRUCTOR = yaml.SafeLoader("")
_STDERR_LOCK = threading.Lock()


class NotPlain(Exception):
    """This file needs PyYAML's careful reading."""


@functools.lru_cache(maxsize=65536)
def plain_value(text: str):
    """What PyYAML's SafeLoader makes of an unquoted value: 'no' -> False, '010' -> 8, …"""
    if text == "":
        return None
    for tag, pattern in _RESOLVERS.get(text[0], ()):
        if pattern.match(text):
            if tag in ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value", "tag:yaml.org,2002:yaml"):
                raise NotPlain(tag)
            try:
                return _CONSTRUCTOR.construct_object(yaml.ScalarNode(tag, text))
            except Exception as error:      # '2026-02-30' looks like a date and is not one
                raise NotPlain(str(error)) from error
    return text


@contextlib.contextmanager
def _quiet_stderr():
    """rapidyaml prints its parse errors to the process's stderr before raising; PyYAML will
    explain the same error better, so that first message is silenced."""
    with _STDERR_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):
            yield
            return
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
                yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def read_fast(data: bytes):
    """The tree of a plain YAML file (positions left at 0), or NotPlain."""
    if ryml is None:
        raise NotPlain("rapidyaml is not installed")
    if b"\\" in data or b"\t" in data:
        # Escapes and tabs are where the two parsers' rules differ: PyYAML is the judge of those.
        raise NotPlain("escapes or tabs")
    buffer = bytearray(data)
    try:
        with _quiet_stderr():
            tree = ryml.parse_in_place(buffer)
    except Exception as error:
        raise NotPlain(str(error)) from error
    root = tree.root_id()
    if tree.is_stream(root) or not (tree.is_map(root) or tree.is_seq(root)):
        raise NotPlain("not a single document of fields")
    try:
        return _Walker(tree, buffer).node(root)
    except (UnicodeDecodeError, RecursionError) as error:
        raise NotPlain(str(error)) from error


# Keys' own nodes serve only to place a problem, and a flow with a problem is read again by
# PyYAML: on this path every key shares one placeholder, which saves a third of the objects.
_KEY = Scalar(0, 0, "", raw="")
_RESERVED = set("@`%!&*|>'\"{}[],#?:-")


class _Walker:
    """One call for a node's type bits, then plain Python: the walk is the cost here."""

    def __init__(self, tree, buffer):
        self.tree = tree
        self.buffer = buffer          # the tree points into it: keep it alive while walking
        self.unusual = ryml.KEYTAG | ryml.VALTAG | ryml.KEYANCH | ryml.VALANCH | ryml.KEYREF | ryml.VALREF
        self.none = ryml.NONE
        # The SWIG functions themselves when this rapidyaml has them: a fifth of the walk is the
        # Python wrapper around each call otherwise.
        native = getattr(ryml, "_ryml", None)
        for name in ("type", "key", "val", "first_child", "next_sibling"):
            function = getattr(native, "Tree_" + name, None)
            setattr(self, name, functools.partial(function, tree) if function else getattr(tree, name))

    def node(self, node_id):
        tree, kind = self, self.type(node_id)
        if kind & self.unusual:
            raise NotPlain("tags, anchors and aliases are read by PyYAML")
        if kind & ryml.MAP:
            mapping = Mapping(0, 0)
            entries = mapping.entries
            child = tree.first_child(node_id)
            while child != self.none:
                key = bytes(tree.key(child)).decode("utf-8")
                if key in entries or key == "<<":
                    raise NotPlain("a duplicate or merge key")
                entries[key] = (_KEY, self.node(child))
                child = tree.next_sibling(child)
            return mapping
        if kind & ryml.SEQ:
            items = []
            child = tree.first_child(node_id)
            while child != self.none:
                items.append(self.node(child))
                child = tree.next_sibling(child)
            return Sequence(0, 0, items)
        view = tree.val(node_id)
        text = "" if view is None else bytes(view).decode("utf-8")
        if kind & ryml.VALQUO:          # quoted, or a | or > block: always text
            return Scalar(0, 0, text, quoted=bool(kind & (ryml.VAL_SQUO | ryml.VAL_DQUO)), raw=text)
        if text[:1] in _RESERVED:
            raise NotPlain("a reserved character starts a plain value")   # PyYAML refuses these
        return Scalar(0, 0, plain_value(text), raw=text)
