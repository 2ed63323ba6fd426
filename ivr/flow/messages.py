"""Sentences the helpline puts together at the moment of speaking — a place in line, a number read
back, the words a professional hears when the helpline rings them — written by staff in
main.yaml's `messages:` like any prompt, in every language, with plural forms where a number is
said ("1 caller ahead of you" / "3 callers ahead of you").

Which messages exist, who hears them and which {placeholders} they take is declared here, once:
the code asks for a message by name, `ivr check` makes sure each one is written in every language.
"""
from __future__ import annotations

import functools
import string
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from ..yamlfile.fields import Fields
from .model import Message
from ..yamlfile.problems import WARNING, did_you_mean
from .say_limit import MESSAGE_HINT, too_long_to_say
from ..yamlfile.source import Mapping, Scalar

#: CLDR's plural categories (https://cldr.unicode.org/index/cldr-spec/plural-rules).
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


@dataclass(frozen=True)
class Declared:
    name: str
    hears: str                 # "caller" or "professional" (a professional hears the caller's language)
    placeholders: tuple = ()   # each must appear in the text ('other' form, for counted messages)
    counts: str = ""           # the placeholder whose number chooses the plural form
    help: str = ""


MESSAGES = {m.name: m for m in (
    Declared("next-in-line", "caller", help="on hold, when nobody is ahead of them"),
    Declared("callers-ahead", "caller", ("count",), counts="count",
             help="on hold: how many callers are ahead of them"),
    Declared("usual-wait", "caller", ("minutes",), counts="minutes",
             help="on hold, after the place in line, when callers usually wait a minute and a half or more"),
    Declared("hold-all-on-calls", "caller",
             help="on hold, before the place in line, when every professional who could take the call is on a call"),
    Declared("hold-not-answering", "caller",
             help="on hold, before the place in line, when those on shift who speak the caller's language are "
                  "away or rest after a call they let ring out (the others on calls)"),
    Declared("hold-nobody-speaks", "caller",
             help="on hold, before the place in line, when nobody on shift speaks the caller's language"),
    Declared("hold-nobody-on-shift", "caller",
             help="on hold, before the place in line, when nobody is on shift"),
    Declared("callback-read-back", "caller", ("number",),
             help="the callback number they typed, read back: they press 1 if it is right, 2 to type it again"),
    Declared("callback-not-a-number", "caller",
             help="what they typed is not a full phone number; they are asked again"),
    Declared("callback-saved", "caller",
             help="their number is confirmed: a professional will call them back"),
    Declared("something-went-wrong", "caller",
             help="said in every language when something failed on our side, before the backup line rings"),
    Declared("could-not-connect", "caller",
             help="said in every language when the backup line could not be reached either; the call ends"),
    Declared("offer", "professional", ("language",),
             help="a professional answers the helpline's call: which language the caller speaks; 1 takes it"),
    Declared("offer-connecting", "professional", help="the professional pressed 1 and is joining the caller"),
    Declared("offer-taken", "professional", help="a colleague pressed 1 first"),
    Declared("offer-caller-gone", "professional", help="the caller hung up before the professional pressed 1"),
    Declared("leg-apology", "professional",
             help="the helpline could not tell a professional's phone what to say; the call ends"),
    Declared("callback-offer", "professional", ("language", "time"),
             help="a callback through the helpline: the professional's phone rings first; 1 calls the caller"),
    Declared("callback-already-made", "professional", help="someone else has already made this callback"),
    Declared("callback-calling", "professional", help="the caller's phone is ringing now"),
    Declared("callback-how-did-it-go", "professional",
             help="after the callback: 1 if they talked with the caller, 2 for the caller's voicemail"),
    Declared("callback-not-reached", "professional", help="the caller did not answer the callback"),
    Declared("thank-you", "professional", help="the end of a professional's call with the helpline"),
    Declared("notice-voicemail-call", "professional",
             help="a call said instead of the text about a new voicemail, when Twilio could not deliver the text"),
    Declared("notice-callback-call", "professional",
             help="a call said instead of the text about a new callback request, when Twilio could not deliver the text"),
)}


class MessageReader:
    """Reads `messages:` of main.yaml; reports a message, language or plural form that is missing."""

    def __init__(self, languages: tuple, problems: list):
        self.languages = languages
        self.problems = problems

    def read(self, main: Fields) -> dict:
        node = main.raw("messages")
        if node is None:
            main.missing("messages", "write the sentences the helpline puts together (a place in line, "
                         "a number read back, what professionals hear); see flows/README.md")
            return {}
        container = Fields(node, "messages", main.file, self.problems, tuple(MESSAGES))
        container.check_unknown()
        found = {}
        for name, value in container.node.entries.items():
            if name in MESSAGES:
                found[name] = self.read_message(MESSAGES[name], main.file, value)
        for name, declared in MESSAGES.items():
            if name not in found and isinstance(container.node, Mapping):
                container.report(container.node, f"has no message {name!r}",
                                 f"{declared.hears}s hear it — {declared.help}")
        return found

    def read_message(self, declared: Declared, file: str, node) -> Message:
        where = f"message '{declared.name}'"
        fields = Fields(node, where, file, self.problems, self.languages + ("note",))
        fields.check_unknown()
        texts = []
        for code in self.languages:
            value = fields.raw(code)
            if value is None:
                if isinstance(node, Mapping):
                    fields.report(node, f"has no {code!r} text", f"{declared.hears}s hear it — {declared.help}")
                continue
            forms = self.read_forms(declared, fields, code, value)
            if forms:
                texts.append((code, forms))
        return Message(declared.name, tuple(texts), file, node.line, node.column)

    def read_forms(self, declared: Declared, fields: Fields, code: str, node) -> tuple:
        if isinstance(node, Scalar):
            text = fields.text_of(node, f"the {code!r} text")
            if not text:
                return ()
            if declared.counts and len(needed_forms(code)) > 1:
                fields.report(node, f"the {code!r} text needs a form for each number",
                              "write " + ", ".join(f"{form}: ..." for form in needed_forms(code))
                              + f" (e.g. one: ... 1 ..., other: ... {{{declared.counts}}} ...)")
            self.check_placeholders(declared, fields, node, text, code)
            self.check_said_in_one_say(fields, node, text, code)
            return (("other", text),)
        if not declared.counts:
            fields.text_of(node, f"the {code!r} text")
            return ()
        group = Fields(node, f"{fields.where} ({code})", fields.file, self.problems, PLURAL_FORMS)
        group.check_unknown()
        forms = []
        for form in PLURAL_FORMS:
            text = group.text(form)
            if text:
                forms.append((form, text))
                placeholders_needed = form == "other"
                self.check_placeholders(declared, group, group.raw(form), text, code, placeholders_needed)
                self.check_said_in_one_say(group, group.raw(form), text, code)
        missing = [form for form in needed_forms(code) if form not in dict(forms)]
        if missing:
            group.report(node, f"the {code!r} text has no form for {', '.join(missing)}",
                         f"the numbers of this language need: {', '.join(needed_forms(code))}")
        return tuple(forms)

    @staticmethod
    def check_said_in_one_say(fields: Fields, node, text: str, code: str) -> None:
        """Counted as written: a placeholder's value (a number, a language's name) adds a few
        characters at most."""
        refused = too_long_to_say(code, text)
        if refused:
            fields.report(node, refused, MESSAGE_HINT)

    def check_placeholders(self, declared: Declared, fields: Fields, node, text: str, code: str,
                           required: bool = True) -> None:
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            fields.report(node, f"the {code!r} text has a lone '{{' or '}}'",
                          "braces mark a {placeholder}; write the sentence without them")
            return
        for name in sorted(used - set(declared.placeholders)):
            fields.report(node, f"the {code!r} text uses {{{name}}}, which this message does not have",
                          did_you_mean(name, declared.placeholders)
                          or ("its placeholders: " + ", ".join("{%s}" % p for p in declared.placeholders)
                              if declared.placeholders else "this message has no placeholders"))
        if required:
            for name in declared.placeholders:
                if name not in used:
                    fields.report(node, f"the {code!r} text does not say {{{name}}}",
                                  f"{declared.hears}s need to hear it — {declared.help}",
                                  WARNING if name == "language" else "error")


@functools.lru_cache(maxsize=64)
def _locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return None


@functools.lru_cache(maxsize=64)
def needed_forms(code: str) -> tuple:
    """The plural forms a language uses for the numbers a caller may hear (0 to 199), in CLDR order:
    ('one', 'other') for English; ('one', 'few', 'many', 'other') for Russian."""
    locale = _locale(code)
    if locale is None:
        return ("other",)
    used = {locale.plural_form(n) for n in range(200)} | {"other"}
    return tuple(form for form in PLURAL_FORMS if form in used)


def plural_form(code: str, number: int) -> str:
    locale = _locale(code)
    return locale.plural_form(number) if locale is not None else "other"


def compose(message: Message | None, language: str, /, **values) -> str:
    """The message's sentence in `language`, with its placeholders filled ('' if it is missing:
    the validator refuses flows without it, so only a stale object could get here)."""
    if message is None:
        return ""
    forms = message.forms(language)
    if not forms:
        return ""
    declared = MESSAGES.get(message.name)
    text = forms.get("other", "")
    if declared is not None and declared.counts and declared.counts in values:
        text = forms.get(plural_form(language, int(values[declared.counts])), text)
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text
