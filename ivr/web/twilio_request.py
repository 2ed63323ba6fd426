"""Twilio's webhook parameters, read once and cheaply.

A menu press must cost little more than a bare Flask view, and werkzeug's general form parser
(streams, multipart, limits for uploads) is several times the cost of the little
urlencoded body Twilio sends. This reads that body directly, with a hard size limit.
"""
from __future__ import annotations

from urllib.parse import unquote_plus

from flask import request

MAX_BODY = 64 * 1024      # Twilio's voice parameters are a few hundred bytes


MAX_FIELDS = 200


class Params(dict):
    """name -> list of values; the twilio RequestValidator reads it through getall()."""

    def getall(self, name):
        return self[name]

    def first(self, name: str, default: str = "") -> str:
        values = self.get(name)
        return values[0] if values else default


def _parse(text: str) -> Params:
    """application/x-www-form-urlencoded -> Params; decodes only the pairs that need it."""
    params = Params()
    if not text:
        return params
    pairs = text.split("&")
    if len(pairs) > MAX_FIELDS:
        raise ValueError("too many fields")
    for pair in pairs:
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in pair or "+" in pair:
            name, value = unquote_plus(name), unquote_plus(value)
        params.setdefault(name, []).append(value)
    return params


def form(environ=None) -> Params:
    """The POST parameters; `environ` saves a context look-up where the caller has it already."""
    environ = environ or request.environ
    cached = environ.get("ivr.form")
    if cached is None:
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded") or not body:
            try:
                cached = _parse(body.decode("utf-8", "replace"))
            except ValueError:       # more than max_num_fields: not Twilio
                cached = Params()
        else:
            cached = Params()
        environ["ivr.form"] = cached
    return cached


def args(environ=None) -> Params:
    environ = environ or request.environ
    cached = environ.get("ivr.args")
    if cached is None:
        try:
            cached = _parse(environ.get("QUERY_STRING", ""))
        except ValueError:
            cached = Params()
        environ["ivr.args"] = cached
    return cached
