"""Builds the typed FlowSet from the located YAML trees of a flows directory.

Each step type reads its own fields; every reference to another step is remembered with the
place it was written, so `checks.py` can say which ones lead nowhere.
"""
from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import NamedTuple

from . import model
from ..numbers import e164
from ..yamlfile.fields import Fields
from .messages import MessageReader
from .model import Ref
from ..yamlfile.problems import did_you_mean
from .step_types import MENU_DEFAULT_FIELDS, STEP_TYPES, fields_of
from .pronounce import SpokenText, check_pronunciation, check_voice, read_pronunciation
from .prompts import PromptReader
from ..yamlfile.weekly import read_weekly
from ..yamlfile.source import Mapping, Node, Scalar, describe

ENTRY = "main"
MAIN_FIELDS = ("languages", "start", "fallback", "everywhere", "defaults", "prompts", "messages", "steps",
               "note")
LANGUAGE_FIELDS = ("name", "voice", "speech", "numbers", "press", "digits", "pronounce", "note")
FLOW_FIELDS = ("defaults", "prompts", "steps", "note")
#: The fields of each step type, from their one declaration (schema.py).
STEP_FIELDS = {name: fields_of(name) for name in STEP_TYPES}


def spoken_texts(named: dict, steps: dict, messages: dict):
    """Every text a voice will read, with where it was written: named and inline prompts, and
    messages (their placeholders removed: a number filled in is read as a number)."""
    seen = set()
    prompts = list(named.values())
    for step in steps.values():
        prompts += [getattr(step, name, None) for name in ("prompt", "offer", "when_invalid", "when_silent",
                                                            "if_unanswered")]
    for prompt in prompts:
        if prompt is None or id(prompt) in seen:
            continue
        seen.add(id(prompt))
        for code, text in prompt.texts:
            yield SpokenText(f"prompt '{prompt.name}'", prompt.file, prompt.line, prompt.column, code, text)
    for message in messages.values():
        for code, forms in message.texts:
            for _, text in forms:
                yield SpokenText(f"message '{message.name}'", message.file, message.line, message.column, code,
                                 re.sub(r"\{[^}]*\}", "", text))


def whole(fields: Fields, step_type: str, name: str) -> int:
    """A whole-number field, with the default and limits its declaration gives."""
    field = STEP_TYPES[step_type].field(name)
    return fields.integer(name, field.default, field.low, field.high)


def usable_name(name: str) -> bool:
    """Staff name steps and files as they like ('q&a', 'café menu'): every URL carrying a name
    encodes it. Only ':' is taken (flow:step), and spaces at either end would be invisible."""
    return bool(name) and ":" not in name and name == name.strip()


class Reference(NamedTuple):
    """A `goto` (or similar) as written, to be checked once every step is known (a tuple: a big
    flow set has tens of thousands)."""
    ref: Ref
    file: str
    line: int
    column: int
    where: str
    what: str          # "key '3' goes to", "goto", "after_tries"


class FlowSetBuilder:
    def __init__(self, audio_dir: Path | None, problems: list):
        self.audio_dir = audio_dir
        self.problems = problems
        self.references: list[Reference] = []
        self.steps: dict = {}
        self.unbuilt: set = set()            # steps written but unusable (already reported)
        self.menu_defaults: dict = {}          # flow -> {field: value}
        self.main_unread = False               # main.yaml cannot be read: a stand-in takes its place

    # -- the whole set ---------------------------------------------------------------------
    def build(self, trees: dict) -> model.FlowSet | None:
        """trees: flow name -> (file label, located tree). None when main.yaml is unusable."""
        if ENTRY not in trees:
            return None
        main_file, main_tree = trees[ENTRY]
        main = Fields(main_tree, "", main_file, self.problems, MAIN_FIELDS)
        main.check_unknown()
        languages = self.read_languages(main)
        self.prompts = PromptReader(tuple(lang.code for lang in languages), self.audio_dir, self.problems)
        for flow, (file, tree) in trees.items():
            fields = main if flow == ENTRY else Fields(tree, "", file, self.problems, FLOW_FIELDS)
            if flow != ENTRY:
                fields.check_unknown()
            if fields.has("prompts"):
                self.prompts.read_named(flow, file, fields.raw("prompts"))
        for flow, (file, tree) in sorted(trees.items(), key=lambda item: item[0] != ENTRY):
            fields = main if flow == ENTRY else Fields(tree, "", file, self.problems, ())
            self.menu_defaults[flow] = self.read_menu_defaults(fields, flow)
        for flow, (file, tree) in trees.items():
            fields = main if flow == ENTRY else Fields(tree, "", file, self.problems, ())
            self.read_steps(fields, flow)
        start = self.reference(main, "start", ENTRY, "start", required="say which step every call begins with")
        fallback = self.reference(main, "fallback", ENTRY, "fallback",
                                  required="name the step (usually a person) for a caller when anything is unclear")
        everywhere = self.read_everywhere(main, languages)
        messages = MessageReader(self.prompts.languages, self.problems).read(main)
        if not self.main_unread:     # the pronounce tables are main.yaml's: unknown without it
            self.problems += check_pronunciation({language.code: language.pronounce for language in languages},
                                                 spoken_texts(self.prompts.named, self.steps, messages))
        where = main.node.key_node("everywhere")
        return model.FlowSet(languages=languages, start=start, fallback=fallback,
                             everywhere=everywhere, steps=self.steps, prompts=self.prompts.named,
                             messages=messages, everywhere_at=(main.file, where.line, where.column))

    def read_languages(self, main: Fields) -> tuple:
        """Any number of languages; each names its voice and speech locale, since nothing in the
        code knows one language from another."""
        node = main.raw("languages")
        if node is None:
            main.missing("languages", "list the languages, e.g. en: {name: English, voice: Polly.Joanna-Neural, "
                         "speech: en-US}")
            return ()
        group = Fields(node, "languages", main.file, self.problems, ())
        languages, lines = [], {}
        for code, value in group.node.entries.items():
            if not re.match(r"^[a-z]{2,3}$", code):
                group.report(group.node.key_node(code), f"{code!r} is not a language code", "use two letters, like en, es or fr")
                continue
            fields = Fields(value, f"language '{code}'", main.file, self.problems, LANGUAGE_FIELDS)
            fields.check_unknown()
            numbers = self.read_numbers(fields, code, lines)
            voice = fields.text("voice", required="name a text-to-speech voice, e.g. Polly.Lea-Neural")
            pronounce = read_pronunciation(fields.raw("pronounce"), main.file, code, self.problems)
            self.problems += check_voice(pronounce, voice)
            languages.append(model.Language(
                code, fields.text("name", required="say the language's name as its speakers say it, e.g. Français"),
                voice, fields.text("speech", required="name a speech-recognition language, e.g. fr-FR"),
                numbers, tuple(w for w in (fields.text_of(n, "a word") for n in fields.listing("press")) if w),
                self.read_digits(fields), pronounce))
        if not languages and isinstance(group.node, Mapping):
            group.report(node, "lists no language")
        return tuple(languages)

    def read_digits(self, fields: Fields) -> tuple:
        """The language's words for 0 to 9, in order: ten of them, or none."""
        words = tuple(fields.text_of(node, "a word") for node in fields.listing("digits"))
        if words and len(words) != 10:
            fields.report(fields.raw("digits"), f"'digits' lists {len(words)} words",
                          "list the words for 0 to 9, in order, e.g. [zero, one, two, ..., nine]")
            return ()
        return words

    def read_numbers(self, fields: Fields, code: str, lines: dict) -> tuple:
        """A helpline number of this language's own: a call to it starts in this language."""
        numbers = []
        for item in fields.listing("numbers"):
            text = fields.text_of(item, "a number")
            number = e164(text) if text else None
            if text and number is None:
                fields.report(item, f"{text!r} is not a phone number", "write it as +18005550199")
            elif number in lines:
                fields.report(item, f"{text!r} is also the number of {lines[number]!r}",
                              "a number starts a call in one language only")
            elif number:
                lines[number] = code
                numbers.append(number)
        return tuple(numbers)

    def read_menu_defaults(self, fields: Fields, flow: str) -> dict:
        inherited = dict(self.menu_defaults.get(ENTRY, {})) if flow != ENTRY else {}
        defaults = fields.sub("defaults", "defaults", ("menu",))
        if defaults is None:
            return inherited
        defaults.check_unknown()
        menu = defaults.sub("menu", "defaults.menu", MENU_DEFAULT_FIELDS)
        if menu is None:
            return inherited
        menu.check_unknown()
        return {**inherited, **self.read_menu_settings(menu, flow)}

    def read_menu_settings(self, fields: Fields, flow: str) -> dict:
        """The menu fields that may also be set once under defaults.menu."""
        settings = {}
        if fields.has("timeout"):
            settings["timeout"] = whole(fields, "menu", "timeout")
        if fields.has("tries"):
            settings["tries"] = whole(fields, "menu", "tries")
        for key in ("repeat_key", "back_key"):
            if fields.has(key):
                settings[key] = fields.key(key)
        if fields.has("after_tries"):
            settings["after_tries"] = self.reference(fields, "after_tries", flow, "after_tries")
        for key in ("when_invalid", "when_silent"):
            if fields.has(key):
                settings[key] = self.prompts.resolve(fields, key, flow, key)
        return settings

    # -- steps -----------------------------------------------------------------------------
    def read_steps(self, flow_fields: Fields, flow: str) -> None:
        node = flow_fields.raw("steps")
        if node is None:
            flow_fields.missing("steps", "a flow needs at least one step")
            return
        container = Fields(node, "steps", flow_fields.file, self.problems, ())
        for name, value in container.node.entries.items():
            if not usable_name(name):
                container.report(container.node.key_node(name), f"the step name {name!r} is not usable",
                                 "a name may not contain ':' (it separates a flow from a step) "
                                 "or start or end with a space")
            step = self.read_step(flow, name, flow_fields.file, value)
            if step is not None:
                self.steps[step.ref] = step
            else:
                self.unbuilt.add(model.Ref(flow, name))

    def read_step(self, flow: str, name: str, file: str, node: Node) -> model.Step | None:
        probe = Fields(node, f"step '{name}'", file, self.problems, ())
        type_node = probe.raw("type")
        if not isinstance(node, Mapping):
            return None
        if type_node is None:
            probe.missing("type", "one of: " + ", ".join(STEP_FIELDS))
            return None
        kind = type_node.value if isinstance(type_node, Scalar) else None
        if kind not in STEP_FIELDS:
            probe.report(type_node, f"{describe(type_node)} is not a step type",
                         did_you_mean(str(kind), STEP_FIELDS) or "one of: " + ", ".join(STEP_FIELDS))
            return None
        fields = Fields(node, f"{kind} '{name}'", file, self.problems, STEP_FIELDS[kind])
        fields.check_unknown()
        place = dict(flow=flow, name=name, file=file, line=node.line, column=node.column)
        reader = getattr(self, "read_" + kind.replace("-", "_"))
        return reader(fields, place)

    def step_prompt(self, fields: Fields, place: dict, why: str = "say what the caller hears"):
        return self.prompts.resolve(fields, "prompt", place["flow"], place["name"], required=why)

    def read_say(self, fields, place):
        return model.Say(**place, prompt=self.step_prompt(fields, place),
                         goto=self.goto(fields, place, "goto"),
                         pause=whole(fields, "say", "pause"),
                         every_language=fields.flag("every_language"))

    def read_menu(self, fields, place, cls=model.Menu):
        flow = place["flow"]
        settings = {**self.menu_defaults.get(flow, {}), **self.read_menu_settings(fields, flow)}
        for key, why in (("after_tries", "a caller who keeps pressing wrong keys or says nothing would be stuck"),
                         ("when_invalid", "a caller who presses a wrong key would hear nothing"),
                         ("when_silent", "a caller who says nothing would hear nothing")):
            if key not in settings:
                fields.missing(key, why + "; set it here or under defaults.menu")
        settings = {k: v for k, v in settings.items() if v is not None}
        options = self.read_options(fields, place, language_step=cls is model.LanguageMenu)
        back = self.reference(fields, "back", flow, "back") if fields.has("back") else None
        goto = self.reference(fields, "goto", flow, "goto") if fields.has("goto") else None
        return cls(**place, prompt=self.step_prompt(fields, place), options=options, back=back, goto=goto,
                   every_language=fields.flag("every_language"), **settings)

    def read_language(self, fields, place):
        return self.read_menu(fields, place, cls=model.LanguageMenu)

    def read_options(self, fields: Fields, place: dict, language_step: bool) -> tuple:
        node = fields.raw("options")
        if node is None:
            fields.missing("options", "a menu needs at least one choice")
            return ()
        options = []
        allowed = ("key", "words", "goto", "note") + (("language",) if language_step else ())
        for item in fields.listing("options"):
            option = Fields(item, fields.where, fields.file, self.problems, allowed)
            option.check_unknown()
            key = option.key("key")
            words = self.read_words(option, "words")
            if key is None and not words.all() and isinstance(item, Mapping):
                option.report(item, "a choice needs a 'key' or 'words'")
            what = f"key '{key}' goes to" if key else "a choice goes to"
            language = None
            if language_step:
                language = option.text("language", required="say which language this choice picks")
                if language and language not in self.prompts.languages:
                    option.report(option.raw("language"), f"{language!r} is not one of the flow's languages",
                                  did_you_mean(language, self.prompts.languages))
                goto = self.reference(option, "goto", place["flow"], what) if option.has("goto") else None
                if goto is None and not fields.has("goto"):
                    option.missing("goto", "say where the call goes after choosing, here or on the step")
            else:
                goto = self.reference(option, "goto", place["flow"], what,
                                      required="say which step this choice leads to")
            options.append(model.Option(key, words, goto, language, item.line, item.column))
        return tuple(options)

    def read_words(self, fields: Fields, key: str) -> model.Words:
        group = fields.sub(key, fields.where, self.prompts.languages)
        if group is None:
            return model.Words()
        group.check_unknown()
        phrases = []
        for code in self.prompts.languages:
            if group.has(code):
                words = []
                for node in group.listing(code):
                    word = group.text_of(node, "a word")
                    if word:
                        words.append(word.lower())
                phrases.append((code, tuple(words)))
        return model.Words(tuple(phrases))

    def read_hours(self, fields, place):
        timezone = fields.text("timezone", required="name the time zone, e.g. America/New_York")
        if timezone:
            try:
                zoneinfo.ZoneInfo(timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                fields.report(fields.raw("timezone"), f"{timezone!r} is not a time zone",
                              "use a name like America/New_York or America/Los_Angeles")
                timezone = "UTC"
        opening = self.read_opening(fields)
        holidays = frozenset(d for d in (fields.date(n, "a holiday") for n in fields.listing("holidays")) if d)
        return model.Hours(**place, timezone=timezone or "UTC", open=opening, holidays=holidays,
                           if_open=self.goto(fields, place, "if_open"),
                           if_closed=self.goto(fields, place, "if_closed"))

    def read_opening(self, fields: Fields) -> tuple:
        group = fields.sub("open", fields.where, ())
        if group is None:
            fields.missing("open", "say when the line is open, e.g. mon-fri: \"08:00-20:00\"")
            return ()
        return read_weekly(group, "08:00-20:00")

    def read_connect(self, fields, place):
        return model.Connect(**place, prompt=self.step_prompt(fields, place),
                             team=fields.name("team", required="name the team, e.g. recovery"),
                             if_nobody_answers=self.goto(fields, place, "if_nobody_answers"),
                             ring_seconds=whole(fields, "connect", "ring_seconds"))

    def read_queue(self, fields, place):
        options = self.read_options(fields, place, language_step=False) if fields.has("options") else ()
        offer = self.prompts.resolve(fields, "offer", place["flow"], place["name"] + "-offer",
                                     required="say which keys they may press while they wait" if options else "")
        music = fields.text("music", default=STEP_TYPES["queue"].field("music").default)
        return model.Queue(**place, prompt=self.step_prompt(fields, place, "tell the caller they are on hold"),
                           team=fields.name("team", required="name the team, e.g. recovery"),
                           offer=offer, options=options, music=music,
                           overflow=self.reference(fields, "overflow", place["flow"], "overflow",
                                                   required="say where the call goes when the wait is too long"),
                           max_wait=whole(fields, "queue", "max_wait"),
                           words_during_music=fields.flag("listen_for_words_during_music"))

    def read_backup_line(self, fields, place):
        # Said when the partner line does not answer, before the caller is back with our own people.
        unanswered = self.prompts.resolve(fields, "if_unanswered", place["flow"], place["name"] + "-unanswered")
        return model.BackupLine(**place, prompt=self.step_prompt(fields, place), if_unanswered=unanswered)

    def read_voicemail(self, fields, place):
        return model.Voicemail(**place, prompt=self.step_prompt(fields, place, "tell the caller the message is recorded"),
                               goto=self.goto(fields, place, "goto"),
                               max_seconds=whole(fields, "voicemail", "max_seconds"))

    def read_callback(self, fields, place):
        return model.Callback(**place, prompt=self.step_prompt(fields, place),
                              goto=self.goto(fields, place, "goto"))

    def read_goodbye(self, fields, place):
        return model.Goodbye(**place, prompt=self.step_prompt(fields, place, "say goodbye politely"))

    # -- choices every menu hears ------------------------------------------------------------
    def read_everywhere(self, main: Fields, languages: tuple) -> tuple:
        choices = []
        for item in main.listing("everywhere"):
            fields = Fields(item, "everywhere", main.file, self.problems, ("name", "key", "words", "goto", "urgent", "note"))
            fields.check_unknown()
            name = fields.text("name", required="give the choice a name, e.g. a person")
            fields.where = f"everywhere '{name}'" if name else "everywhere"
            key = fields.key("key")
            words = self.read_words(fields, "words")
            if key is None and not words.all() and isinstance(item, Mapping):
                fields.report(item, "a choice needs a 'key' or 'words'")
            goto = self.reference(fields, "goto", ENTRY, "goto", required="say which step this choice leads to")
            urgent = fields.flag("urgent")
            choices.append(model.Everywhere(name, key, words, goto, urgent, item.line, item.column, main.file))
        # Urgent choices first: "someone is not breathing" is a crisis before it is a request for someone.
        return tuple(sorted(choices, key=lambda choice: not choice.urgent))

    # -- references --------------------------------------------------------------------------
    def goto(self, fields: Fields, place: dict, key: str) -> Ref | None:
        return self.reference(fields, key, place["flow"], key,
                              required="say where the call goes next, or the caller is left in silence")

    def reference(self, fields: Fields, key: str, flow: str, what: str, required: str = "") -> Ref | None:
        node = fields.raw(key)
        if node is None:
            if required:
                fields.missing(key, required)
            return None
        text = fields.text_of(node, key)
        if not text:
            return None
        ref = Ref.parse(text, flow)
        if not (usable_name(ref.flow) and usable_name(ref.step)):
            fields.report(node, f"{text!r} is not a step name",
                          "write a step of this file as its name, or another file's as file-name:step-name")
            return None
        self.references.append(Reference(ref, fields.file, node.line, node.column, fields.where, what))
        return ref
