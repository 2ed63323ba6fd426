"""The `messages:` section of the shipped main.yaml, for flows that tests write themselves.

Every flow set needs the messages (a place in line, a number read back, what professionals hear)
in each of its languages; test flows borrow the shipped ones, and a language the shipped flows do
not have gets them in English words marked with the language, so a test can tell whose they are.
"""
from __future__ import annotations

from pathlib import Path

import yaml

SHIPPED_MAIN = Path(__file__).resolve().parents[1] / "flows" / "main.yaml"


def messages_yaml(languages=("en", "es")) -> str:
    """A `messages:` section (YAML text, ending in a newline) for these languages."""
    shipped = yaml.safe_load(SHIPPED_MAIN.read_text(encoding="utf-8"))["messages"]
    section = {}
    for name, texts in shipped.items():
        section[name] = {code: texts.get(code) or _marked(texts["en"], code) for code in languages}
    return yaml.safe_dump({"messages": section}, allow_unicode=True, sort_keys=False, width=1000)


def _marked(text, code: str):
    if isinstance(text, dict):
        return {form: f"[{code}] {value}" for form, value in text.items()}
    return f"[{code}] {text}"
