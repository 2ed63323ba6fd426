"""The flows' JSON Schema, made from schema.py's step types, for editors (`ivr schema`).

It describes the shape of a flow file — which fields exist, their types and limits — so an editor
completes and underlines as staff type. What needs the whole flow set (a goto that leads nowhere,
a menu with no way to a person) is `ivr check`'s to say.
"""
from __future__ import annotations

import json

from .messages import MESSAGES, PLURAL_FORMS
from .pronounce import WORD_FORMS as PRONOUNCE_FORMS
from .step_types import MENU_DEFAULT_FIELDS, STEP_TYPES, Field

KEY = {"type": "string", "enum": list("0123456789*#"),
       "description": 'one phone key, in quotes: "0" to "9", "*" or "#"'}
LANGUAGE_CODE = "^[a-z]{2,3}$"
TEXT = {"type": "string", "minLength": 1}
WORDS = {"type": "object", "description": "what a caller may say instead of pressing, per language",
         "patternProperties": {LANGUAGE_CODE: {"oneOf": [TEXT, {"type": "array", "items": TEXT}]}},
         "additionalProperties": False}
PROMPT_TEXTS = {
    "type": "object",
    "description": "the text in each language, and where health facts come from",
    "properties": {
        "audio": {"type": "object", "patternProperties": {LANGUAGE_CODE: TEXT}, "additionalProperties": False},
        "health": {"type": "boolean"}, "source": TEXT, "note": {"type": "string"},
        "reviewed": {"oneOf": [{"type": "null"}, {
            "type": "object", "properties": {"by": TEXT, "on": {"type": "string", "format": "date"}},
            "required": ["by", "on"], "additionalProperties": False}],
            "description": "left empty until a clinician signs with `ivr review`"},
    },
    "patternProperties": {LANGUAGE_CODE: TEXT},
    "additionalProperties": False,
}


def _field(field: Field) -> dict:
    described = {"description": field.help}
    kind = field.kind
    if kind == "whole":
        return {**described, "type": "integer", "minimum": field.low, "maximum": field.high, "default": field.default}
    if kind == "flag":
        return {**described, "type": "boolean", "default": field.default}
    if kind == "key":
        return {**KEY, **described, "default": field.default}
    if kind == "prompt":
        return {**described, "oneOf": [{"type": "string", "description": "a prompt's name"},
                                        {"$ref": "#/$defs/prompt"}]}
    if kind == "options":
        return {**described, "type": "array", "items": {"$ref": "#/$defs/option"}}
    if kind == "weekly":
        return {**described, "type": "object", "additionalProperties": {"type": "string"}}
    if kind == "dates":
        return {**described, "type": "array", "items": {"type": "string", "format": "date"}}
    default = {"default": field.default} if field.default is not None else {}
    return {**described, "type": "string", "minLength": 1, **default}


def _step(step_type) -> dict:
    properties = {"type": {"const": step_type.name, "description": step_type.does},
                  "note": {"type": "string", "description": "for staff; never spoken"}}
    properties.update({f.name: _field(f) for f in step_type.fields})
    return {"type": "object", "properties": properties, "required": ["type"], "additionalProperties": False}


def _message(declared) -> dict:
    forms = {"type": "object", "properties": {form: TEXT for form in PLURAL_FORMS},
             "required": ["other"], "additionalProperties": False}
    text = {"oneOf": [TEXT, forms]} if declared.counts else TEXT
    return {"type": "object", "description": f"{declared.hears}s hear it — {declared.help}",
            "patternProperties": {LANGUAGE_CODE: text}, "properties": {"note": {"type": "string"}},
            "additionalProperties": False}


def json_schema() -> dict:
    menu = STEP_TYPES["menu"]
    steps = [{"$ref": f"#/$defs/step-{name}"} for name in STEP_TYPES]
    pronounce_rule = {"oneOf": [{"type": "string", "enum": sorted(PRONOUNCE_FORMS)},
                                {"type": "object", "properties": {"say": TEXT, "ipa": TEXT},
                                 "additionalProperties": False, "minProperties": 1, "maxProperties": 1}]}
    language = {
        "type": "object",
        "properties": {
            "name": {**TEXT, "description": "the language's name as its speakers write it"},
            "voice": {**TEXT, "description": "a text-to-speech voice, e.g. Polly.Joanna-Neural"},
            "speech": {**TEXT, "description": "the language callers' words are recognised in, e.g. en-US"},
            "numbers": {"type": "array", "items": TEXT, "description": "helpline numbers that start a call in "
                        "this language"},
            "press": {"type": "array", "items": TEXT, "description": "the words that announce a key ('press')"},
            "digits": {"type": "array", "items": TEXT, "minItems": 10, "maxItems": 10,
                       "description": "the words for 0 to 9, in order: saying one alone presses its key"},
            "pronounce": {"type": "object", "additionalProperties": pronounce_rule,
                          "description": "how the voice says these words and numbers"},
            "note": {"type": "string"},
        },
        "required": ["name", "voice", "speech"], "additionalProperties": False,
    }
    defs = {f"step-{name}": _step(step_type) for name, step_type in STEP_TYPES.items()}
    defs.update({
        "prompt": PROMPT_TEXTS,
        "option": {"type": "object", "properties": {"key": KEY, "words": WORDS, "language": {"type": "string"},
                                                    "goto": TEXT, "note": {"type": "string"}},
                   "additionalProperties": False},
        "step": {"oneOf": steps},
    })
    flow_properties = {
        "note": {"type": "string"},
        "defaults": {"type": "object", "additionalProperties": False, "properties": {"menu": {
            "type": "object", "additionalProperties": False,
            "properties": {name: _field(menu.field(name)) for name in MENU_DEFAULT_FIELDS}}}},
        "prompts": {"type": "object", "additionalProperties": {"$ref": "#/$defs/prompt"}},
        "steps": {"type": "object", "additionalProperties": {"$ref": "#/$defs/step"}},
        # main.yaml only; another flow file leaves them out.
        "languages": {"type": "object", "patternProperties": {LANGUAGE_CODE: language},
                      "additionalProperties": False, "minProperties": 1},
        "start": {**TEXT, "description": "the first step of every call"},
        "fallback": {**TEXT, "description": "where a caller goes whenever anything is unclear: a person"},
        "everywhere": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "goto"],
            "properties": {"name": TEXT, "key": KEY, "words": WORDS, "goto": TEXT, "urgent": {"type": "boolean"},
                           "note": {"type": "string"}}}},
        "messages": {"type": "object", "additionalProperties": False,
                     "properties": {name: _message(declared) for name, declared in MESSAGES.items()}},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Helpline call flow",
        "description": "A call flow of the helpline (flows/*.yaml). `ivr check flows/` checks the rest.",
        "type": "object", "properties": flow_properties, "required": ["steps"], "additionalProperties": False,
        "$defs": defs,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


