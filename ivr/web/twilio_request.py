"""Twilio's webhook parameters, read once and cheaply.

A menu press must cost little more than a bare Flask view, and werkzeug's general form parser
(streams, multipart, limits for uploads) is several times the cost of the little
urlencoded body Twilio sends. This reads that body directly, with a hard size limit.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import request

MAX_BODY = 64 * 1024      # Twilio's voice parameters are a few hundred bytes


class Params(dict):
    """name -> list of values; the twilio RequestValidator reads it through getlist()."""

    def getlist(self, name):
        return self[name]

    def first(self, name: str, default: str = "") -> str:
        values = self.get(name)
        return values[0] if values else default


def _parse(text: str) -> Params:
    params = Params()
    for name, value in parse_qsl(text, keep_blank_values=True, max_num_fields=200):
        params.setdefault(name, []).append(value)
    return params


def form() -> Params:
    environ = request.environ
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


def args() -> Params:
    environ = request.environ
    cached = environ.get("ivr.args")
    if cached is None:
        try:
            cached = _parse(environ.get("QUERY_STRING", ""))
        except ValueError:
            cached = Params()
        environ["ivr.args"] = cached
    return cached
