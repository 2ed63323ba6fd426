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


def _parsed_once(environ, key: str, read_text) -> Params:
    """Parse once per request and keep it in the WSGI environ; too many fields is not Twilio."""
    cached = environ.get(key)
    if cached is None:
        try:
            cached = _parse(read_text())
        except ValueError:
            cached = Params()
        environ[key] = cached
    return cached


def _body(environ) -> str:
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    if body and not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return ""
    return body.decode("utf-8", "replace")


def form(environ=None) -> Params:
    """The POST parameters; `environ` saves a context look-up where the caller has it already."""
    environ = environ or request.environ
    return _parsed_once(environ, "ivr.form", lambda: _body(environ))


def args(environ=None) -> Params:
    """The query string's parameters: the call's place, carried in the URL Twilio signed."""
    environ = environ or request.environ
    return _parsed_once(environ, "ivr.args", lambda: environ.get("QUERY_STRING", ""))
