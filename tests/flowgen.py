"""Random call flows that are valid by construction, as YAML text, for property tests and benchmarks.

`flow_trees(rnd, size)` plans a flow set (main.yaml and sometimes a second flow) as plain dicts;
`flow_files(...)` dumps them with yaml.safe_dump, so the text is always well formed. How the plan
stays valid, rule by rule (flows/README.md, "What `ivr check` makes sure of"):

- reachable: every step after the opening ones is added as a choice of a menu that is already
  reachable; the core steps hang off the fallback, the start or the everywhere choices;
- no silent loops: a say or hours step only leads to a waiting step or to a say/hours step
  planned after it (the opening steps only to later opening steps, the first menu or a person);
- a person before any goodbye: the fallback is a connect step, every menu hears "0" for a person,
  and goodbyes, voicemails and callbacks are only reached through a menu or a connect step;
- every way ends with a person or a goodbye: a voicemail, callback or unanswered connect step
  only leads on to a menu, a person, a goodbye or the opening (see `settled_target`);
- no hidden everywhere choices: menu keys avoid the everywhere keys, the repeat and back keys,
  and menu words come from a vocabulary that shares no phrase with the everywhere words;
- every message the helpline puts together: copied from the shipped main.yaml, which must have
  them all, in the same two languages, with the shipped pronounce rules for the numbers they say
  (911); the prompts themselves say no number a voice could misread.
"""
from __future__ import annotations

import copy
import datetime
import functools
import random
import re
from pathlib import Path

import yaml

SHIPPED_MAIN = Path(__file__).resolve().parents[1] / "flows" / "main.yaml"
MAIN = "main"
PERSON = "talk-to-someone"
BACKUP = "backup"
FIRST_MENU = "main-menu"
EMERGENCY = "emergency"
SECOND_FLOWS = ("health-info", "topics", "more-help")

LANGUAGES = {
    "en": {"name": "English", "voice": "Polly.Joanna-Neural", "speech": "en-US"},
    "es": {"name": "Español", "voice": "Polly.Lupe-Neural", "speech": "es-US"},
}
PERSON_WORDS = {"en": ["someone", "operator", "a person"], "es": ["una persona", "operador", "alguien"]}
CRISIS_WORDS = {"en": ["overdose", "not breathing", "suicide"], "es": ["sobredosis", "no respira", "suicidio"]}
START_OVER_WORDS = {"en": ["start over"], "es": ["empezar de nuevo"]}
# Menu words: none of these contains (or is contained in) an everywhere phrase.
TOPICS = (("apples", "manzanas"), ("rivers", "ríos"), ("music", "música"), ("sleep", "sueño"),
          ("food", "comida"), ("housing", "vivienda"), ("work", "trabajo"), ("family", "familia"),
          ("money", "dinero"), ("school", "escuela"), ("news", "noticias"), ("weather", "clima"),
          ("pets", "mascotas"), ("gardens", "jardines"), ("trains", "trenes"), ("books", "libros"))
TIMEZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "UTC", "Europe/Madrid")
OPENINGS = (
    {"mon-fri": "08:00-20:00", "sat-sun": "10:00-18:00"},
    {"every-day": "00:00-24:00"},
    {"every-day": "22:00-06:00"},
    {"mon": ["08:00-12:00", "13:00-17:00"], "tue-fri": "09:00-17:00"},
    {"sat-mon": "07:30-23:30"},
)
PHONE_KEYS = tuple("123456789#")
#: How often each kind of step is added after the core ones.
WEIGHTS = {"say": 30, "menu": 22, "hours": 8, "voicemail": 8, "callback": 8, "goodbye": 10,
           "connect": 7, "backup-line": 7}
SILENT = ("say", "hours")
REVIEWED_ON = datetime.date(2026, 10, 1)


class _Planner:
    """Plans one flow set: steps as records first, then every field once all steps are known."""

    def __init__(self, rnd: random.Random, second_flow: str | None):
        self.rnd = rnd
        self.second = second_flow
        self.flows = [MAIN] + ([second_flow] if second_flow else [])
        self.records: dict = {}           # (flow, name) -> {"kind", "options", ...}
        self.order: list = []             # every step, in the order planned
        self.silent: list = []            # content say/hours steps, in the order planned
        self.opening: list = []           # the say/hours steps between the start and the first menu
        self.waiting: list = []           # steps that wait for the caller
        self.menus: list = []             # menus that content steps may hang from
        self.prompts = {flow: {} for flow in self.flows}
        self.count = 0
        self.repeat_key = "*"
        self.back_key = rnd.choice(("9", "8"))
        self.everywhere_keys = {"0"}

    # -- planning ----------------------------------------------------------------------------
    def add(self, flow: str, name: str, kind: str, **extra) -> tuple:
        ref = (flow, name)
        assert ref not in self.records, ref
        self.records[ref] = {"kind": kind, "options": [], "keys": self.free_keys(), **extra}
        self.order.append(ref)
        if kind not in SILENT:
            self.waiting.append(ref)
        return ref

    def free_keys(self) -> list:
        taken = self.everywhere_keys | {self.repeat_key, self.back_key}
        return [k for k in PHONE_KEYS if k not in taken]

    def new_name(self, kind: str) -> str:
        self.count += 1
        word = self.rnd.choice(TOPICS)[0]
        return f"{word}-{kind}-{self.count}"

    def choice_to(self, menu: tuple, target: tuple) -> None:
        """A new choice on `menu` leading to `target`: a key, words, or both."""
        record = self.records[menu]
        keys = record["keys"]
        option = {"target": target}
        if keys and self.rnd.random() < 0.8:
            option["key"] = keys.pop(self.rnd.randrange(len(keys)))
        if "key" not in option or self.rnd.random() < 0.6:
            self.count += 1
            en, es = self.rnd.choice(TOPICS)
            words = {"en": [f"{en} {self.count}"], "es": [f"{es} {self.count}"]}
            if self.rnd.random() < 0.2:
                words.pop(self.rnd.choice(("en", "es")))
            option["words"] = words
        record["options"].append(option)

    def plan(self, size: int) -> None:
        rnd = self.rnd
        if rnd.random() < 0.4:
            self.everywhere_keys.add("#")       # the start-over choice also listens for '#'
        self.start_over = rnd.random() < 0.5
        # The people: the fallback, the backup line, and maybe a menu for when nobody answers.
        self.add(MAIN, PERSON, "connect")
        self.add(MAIN, BACKUP, "backup-line")
        self.nobody = rnd.random() < 0.6
        if self.nobody:
            nobody = self.add(MAIN, "nobody-answered", "menu", after_tries=(MAIN, BACKUP))
            voicemail = self.add(MAIN, "leave-voicemail", "voicemail", goto=(MAIN, "goodbye"))
            callback = self.add(MAIN, "request-callback", "callback", goto=(MAIN, "goodbye"))
            self.add(MAIN, "goodbye", "goodbye")
            for target in (voicemail, callback, (MAIN, BACKUP)):
                self.choice_to(nobody, target)
            self.menus.append(nobody)
        self.records[(MAIN, PERSON)]["if_nobody_answers"] = (MAIN, "nobody-answered") if self.nobody \
            else (MAIN, BACKUP)
        self.add(MAIN, EMERGENCY, "say", goto=(MAIN, PERSON), fixed=True)
        # The opening: a few says (maybe an hours check), maybe a language menu, then the first menu.
        first = self.add(MAIN, FIRST_MENU, "menu")
        self.menus.append(first)
        self.language = rnd.random() < 0.5
        after_opening = [first]
        if self.language:
            after_opening = [self.add(MAIN, "choose-language", "language")]
        for i in range(rnd.randint(0, 3)):
            kind = "hours" if rnd.random() < 0.25 else "say"
            self.opening.append(self.add(MAIN, f"opening-{i + 1}", kind, opening=True))
        self.start = self.opening[0] if self.opening else after_opening[0]
        self.after_opening = after_opening + [(MAIN, PERSON)]
        # Everything else hangs from a menu that is already reachable.
        first_content = True
        kinds, weights = zip(*WEIGHTS.items())
        while len(self.records) < size or (self.second and first_content):
            kind = rnd.choices(kinds, weights)[0]
            flow = self.second if self.second and (first_content or rnd.random() < 0.5) else MAIN
            first_content = False
            ref = self.add(flow, self.new_name(kind), kind)
            if kind in SILENT:
                self.records[ref]["silent_index"] = len(self.silent)
                self.silent.append(ref)
            self.choice_to(rnd.choice(self.menus), ref)
            if kind == "menu":
                self.menus.append(ref)

    # -- writing -----------------------------------------------------------------------------
    def written(self, source_flow: str, target: tuple) -> str:
        flow, name = target
        if flow == source_flow and self.rnd.random() < 0.85:
            return name
        return f"{flow}:{name}"

    def any_target(self, exclude: tuple | None = None) -> tuple:
        while True:
            target = self.rnd.choice(self.order)
            if target != exclude:
                return target

    def settled_target(self) -> tuple:
        """A step from which every way leads on to a person or a goodbye: a menu (0 is a person), a
        person, a goodbye or an opening step. Voicemails and callbacks lead only there, or two of
        them could send a caller round and round, never reaching anyone."""
        while True:
            target = self.rnd.choice(self.order)
            if self.records[target]["kind"] not in ("say", "hours", "voicemail", "callback") \
                    or self.records[target].get("opening"):
                return target

    def silent_target(self, ref: tuple, main_way: bool = True) -> tuple:
        """Where a say or hours step may lead without risking a loop that never waits.

        An opening step's main way is the next opening step (or the first menu), so that all of
        them stay reachable; an hours step's other way may skip ahead or go to a person.
        """
        rnd = self.rnd
        if self.records[ref].get("opening"):
            later = self.opening[self.opening.index(ref) + 1:] + self.after_opening
            return later[0] if main_way else rnd.choice(later)
        index = self.records[ref]["silent_index"]
        if rnd.random() < 0.25 and index + 1 < len(self.silent):
            return self.silent[rnd.randrange(index + 1, len(self.silent))]
        if rnd.random() < 0.05 and self.opening:
            return rnd.choice(self.opening)
        return rnd.choice(self.waiting)

    def text(self, what: str) -> dict:
        self.count += 1
        en, es = self.rnd.choice(TOPICS)
        return {"en": f"About {en}: {what}.", "es": f"Sobre {es}: información en español."}

    def prompt(self, flow: str, what: str):
        """An inline prompt, a new named prompt, or one already named in this flow or main.yaml."""
        rnd = self.rnd
        roll = rnd.random()
        if roll < 0.4:
            return self.text(what)
        visible = list(self.prompts[flow]) + list(self.prompts[MAIN])
        if roll < 0.7 and visible:
            return rnd.choice(visible)
        home = flow if rnd.random() < 0.7 else MAIN
        self.count += 1
        name = f"{what.split()[0]}-{self.count}"
        prompt = self.text(what)
        if rnd.random() < 0.2:
            prompt.update(health=True, source="Addiction Helpline and Resource Center",
                          reviewed={"by": "Clinical lead", "on": REVIEWED_ON})
        self.prompts[home][name] = prompt
        return name

    def step(self, ref: tuple) -> dict:
        rnd = self.rnd
        flow, name = ref
        record = self.records[ref]
        kind = record["kind"]
        step = {"type": kind}
        if rnd.random() < 0.1:
            step["note"] = "For staff only: never spoken."

        def to(target):
            return self.written(flow, target)

        if kind == "say":
            step["prompt"] = self.prompt(flow, "information")
            step["goto"] = to(record["goto"] if record.get("fixed") else self.silent_target(ref))
            if record.get("opening") or rnd.random() < 0.1:
                step["every_language"] = True
            if rnd.random() < 0.2:
                step["pause"] = rnd.randint(0, 30)
        elif kind == "hours":
            step["timezone"] = rnd.choice(TIMEZONES)
            step["open"] = rnd.choice(OPENINGS)
            if rnd.random() < 0.5:
                step["holidays"] = [datetime.date(2026, 12, 25), "2027-01-01"]
            ways = [self.silent_target(ref), self.silent_target(ref, main_way=False)]
            rnd.shuffle(ways)
            step["if_open"], step["if_closed"] = to(ways[0]), to(ways[1])
        elif kind in ("menu", "language"):
            self.menu(ref, record, step, to)
        elif kind == "connect":
            step["prompt"] = self.prompt(flow, "connecting")
            step["team"] = "recovery" if name == PERSON else rnd.choice(("recovery", "spanish", "peer-support"))
            target = record.get("if_nobody_answers") or rnd.choice([(MAIN, BACKUP), self.settled_target()])
            step["if_nobody_answers"] = to(target)
            if rnd.random() < 0.3:
                step["ring_seconds"] = rnd.randint(5, 120)
        elif kind == "backup-line":
            step["prompt"] = self.prompt(flow, "partner")
        elif kind in ("voicemail", "callback"):
            step["prompt"] = self.prompt(flow, "recorded" if kind == "voicemail" else "keypad")
            step["goto"] = to(record.get("goto") or self.settled_target())
            if kind == "voicemail" and rnd.random() < 0.4:
                step["max_seconds"] = rnd.randint(10, 600)
        elif kind == "goodbye":
            step["prompt"] = self.prompt(flow, "farewell")
        return step

    def menu(self, ref, record, step, to) -> None:
        rnd = self.rnd
        flow, name = ref
        if record["kind"] == "language":
            step["prompt"] = self.prompt(flow, "language")
            step["every_language"] = True
            options = [{"key": "1", "language": "en", "words": {"en": ["english"], "es": ["inglés"]}},
                       {"key": "2", "language": "es", "words": {"en": ["spanish"], "es": ["español"]}}]
            if rnd.random() < 0.5:
                step["goto"] = to((MAIN, FIRST_MENU))
            else:
                for option in options:
                    option["goto"] = to((MAIN, FIRST_MENU))
            step["options"] = options
            return
        if not record["options"] or rnd.random() < 0.3:
            self.choice_to(ref, self.any_target())        # a way back, or a shortcut elsewhere
        step["prompt"] = self.prompt(flow, "choices")
        step["options"] = []
        for option in record["options"]:
            written = {k: option[k] for k in ("key", "words") if k in option}
            written["goto"] = to(option["target"])
            step["options"].append(written)
        if rnd.random() < 0.3:
            step["back"] = to(rnd.choice(self.menus))
        if record.get("after_tries"):
            step["after_tries"] = to(record["after_tries"])
        elif rnd.random() < 0.2:
            # A caller who keeps pressing wrong keys ends with a person or the backup line (the validator's rule).
            step["after_tries"] = to(rnd.choice([(MAIN, PERSON), (MAIN, BACKUP)]))
        if rnd.random() < 0.2:
            step["timeout"] = rnd.randint(1, 60)
        if rnd.random() < 0.2:
            step["tries"] = rnd.randint(1, 10)
        if rnd.random() < 0.1:
            step["when_invalid"] = self.text("that is not a choice")

    def trees(self) -> dict:
        rnd = self.rnd
        steps = {flow: {} for flow in self.flows}
        # Prompts are named while the steps are written, so write the steps first.
        self.prompts[MAIN]["sorry-invalid"] = {"en": "Sorry, that key is not one of the choices.",
                                               "es": "Lo siento, esa tecla no es una de las opciones."}
        self.prompts[MAIN]["sorry-silent"] = {"en": "Sorry, I did not hear a choice.",
                                              "es": "Disculpe, no escuché ninguna opción."}
        for ref in self.order:
            steps[ref[0]][ref[1]] = self.step(ref)
        everywhere = [{"name": "a person", "key": "0", "words": PERSON_WORDS, "goto": PERSON},
                      {"name": "crisis words", "words": CRISIS_WORDS, "goto": EMERGENCY}]
        if self.start_over or "#" in self.everywhere_keys:
            start_over = {"name": "start over", "words": START_OVER_WORDS, "goto": FIRST_MENU}
            if "#" in self.everywhere_keys:
                start_over["key"] = "#"
            everywhere.append(start_over)
        rnd.shuffle(everywhere)
        menu_defaults = {"timeout": rnd.randint(3, 10), "tries": rnd.randint(1, 4), "after_tries": PERSON,
                         "repeat_key": self.repeat_key, "back_key": self.back_key,
                         "when_invalid": "sorry-invalid", "when_silent": "sorry-silent"}
        main = {"languages": shipped_pronunciation(LANGUAGES), "start": self.start[1], "fallback": PERSON,
                "everywhere": everywhere, "defaults": {"menu": menu_defaults},
                "prompts": self.prompts[MAIN], "messages": shipped_messages(), "steps": steps[MAIN]}
        if rnd.random() < 0.2:
            main = {"note": "Generated for a test.", **main}
        trees = {MAIN: main}
        if self.second:
            other = {}
            if rnd.random() < 0.5:
                other["defaults"] = {"menu": {"timeout": rnd.randint(1, 60), "after_tries": f"{MAIN}:{PERSON}"}}
            if self.prompts[self.second]:
                other["prompts"] = self.prompts[self.second]
            other["steps"] = steps[self.second]
            trees[self.second] = other
        return trees


def shipped_messages() -> dict:
    """The shipped main.yaml's `messages:` (none if it has none): the same in every flow set, and a
    copy each time, since tests edit the trees they are given."""
    return copy.deepcopy(_shipped_main().get("messages") or {})


def shipped_pronunciation(languages: dict) -> dict:
    """`languages`, each with the rules of the shipped pronounce table for the words its messages
    say (911, 988): a rule nothing says would be a warning."""
    shipped = _shipped_main().get("languages") or {}
    messages = _shipped_main().get("messages") or {}
    with_rules = {}
    for code, fields in languages.items():
        said = " ".join(_texts([message.get(code) for message in messages.values()]))
        rules = {word: rule for word, rule in (shipped.get(code, {}).get("pronounce") or {}).items()
                 if re.search(rf"\b{re.escape(str(word))}\b", said, re.IGNORECASE)}
        with_rules[code] = {**fields, "pronounce": copy.deepcopy(rules)} if rules else dict(fields)
    return with_rules


def _texts(data) -> list:
    if isinstance(data, dict):
        return [text for value in data.values() for text in _texts(value)]
    if isinstance(data, list):
        return [text for value in data for text in _texts(value)]
    return [data] if isinstance(data, str) else []


@functools.cache
def _shipped_main() -> dict:
    return yaml.load(SHIPPED_MAIN.read_text(encoding="utf-8"), Loader=_SAFE)


def flow_trees(rnd: random.Random, size: int, second_flow: str | None | bool = True) -> dict:
    """A valid flow set as plain dicts: flow name -> the content of `<flow>.yaml`.

    size: how many steps in all (at least the dozen or so core steps are always planned).
    second_flow: a flow name, False/None for main.yaml alone, or True to let `rnd` decide.
    """
    if second_flow is True:
        second_flow = rnd.choice((None,) + SECOND_FLOWS)
    planner = _Planner(rnd, second_flow or None)
    planner.plan(size)
    return planner.trees()


_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _NoAliases(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):    # libyaml, when there, is 10x faster
    """Staff write each value out; a shared date object must not become an &id001 anchor."""

    def ignore_aliases(self, data):
        return True


def dump_flows(trees: dict) -> dict:
    """file name -> YAML text, with keys and step names as strings."""
    dumper = _NoAliases
    return {f"{flow}.yaml": yaml.dump(tree, Dumper=dumper, sort_keys=False, allow_unicode=True, width=10_000)
            for flow, tree in trees.items()}


def flow_files(rnd: random.Random, size: int, second_flow: str | None | bool = True) -> dict:
    """The YAML text of a random valid flow set: {"main.yaml": ..., maybe "topics.yaml": ...}."""
    return dump_flows(flow_trees(rnd, size, second_flow))


def write_flows(directory, files: dict) -> Path:
    """Write the flow files into `directory` (created if needed), replacing any flows already there."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for old in list(directory.glob("*.yaml")) + list(directory.glob("*.yml")):
        old.unlink()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def big_flow(steps: int = 10_000, seed: int = 0) -> dict:
    """A valid flow set of exactly `steps` steps over main.yaml and health-info.yaml, for benchmarks."""
    return flow_files(random.Random(seed), steps, second_flow="health-info")
