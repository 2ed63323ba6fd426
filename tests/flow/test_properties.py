"""Property tests: random valid flows load cleanly, broken ones never crash the loader nor get played,
and a random caller never meets an error in the engine.

Whether a mutated flow has a dangling reference or a dead end is decided here, from the YAML as
PyYAML reads it, without asking the validator: the test is a second opinion, not an echo.
"""
from __future__ import annotations

import copy
import datetime
import random
import re
import sys
import tempfile
from collections import deque
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # tests/flowgen.py

import flowgen  # noqa: E402

from ivr.calls.engine import CallState, Finished, Pressed, Silence, Spoke, advance, begin  # noqa: E402
from ivr.flow import model  # noqa: E402
from ivr.flow.loader import load_flows  # noqa: E402

TODAY = datetime.date(2026, 11, 25)
# Flows drawn from st.randoms() shrink very slowly (minutes), so a failure is reported as found.
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
QUICK = settings(max_examples=80, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=100, deadline=None, phases=NO_SHRINK,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def generated_trees(draw, max_size: int = 40) -> dict:
    """A valid flow set as dicts (flow name -> tree), from flowgen, seeded by Hypothesis: each of
    flowgen's thousands of choices drawn through st.randoms() took half these tests' time, and
    nothing is shrunk (NO_SHRINK); a failing example names its seed."""
    rnd = random.Random(draw(st.integers(0, 2 ** 64 - 1)))
    size = draw(st.integers(1, max_size))
    second = draw(st.sampled_from([None, "health-info", "topics"]))
    return flowgen.flow_trees(rnd, size, second_flow=second)


def load(files: dict):
    with tempfile.TemporaryDirectory() as folder:
        flows_dir = flowgen.write_flows(Path(folder) / "flows", files)
        return load_flows(flows_dir, audio_dir=Path(folder) / "audio", today=TODAY)


def load_valid(trees: dict) -> model.FlowSet:
    result = load(flowgen.dump_flows(trees))
    assert not result.errors, "\n".join(map(str, result.errors))
    return result.flows


def assert_refused_or_clean_with_placed_problems(result, files: dict) -> None:
    if result.flows is None:
        assert result.errors, "nothing to play, yet no error says why"
    else:
        assert not result.errors
    for problem in result.problems:
        assert isinstance(problem.file, str) and Path(problem.file).name in set(files) | {"main.yaml"}, problem
        assert problem.line >= 1 and problem.column >= 1, problem
        assert problem.message, problem


# -- a second opinion on a flow: dangling references, unreachable steps and dead ends ----------------
KINDS = {"say", "menu", "language", "hours", "connect", "backup-line", "voicemail", "callback", "goodbye"}
PEOPLE = {"connect", "backup-line"}
SILENT = {"say", "hours"}


class _KeysAsWritten(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Keys stay the text written (`no:` is the key 'no'), as staff mean them. On libyaml where
    PyYAML has it: the pure-Python reader took more than half of these tests' time."""


def _mapping(loader, node):
    return {(key.value if isinstance(key, yaml.ScalarNode) else repr(key)): loader.construct_object(value, deep=True)
            for key, value in node.value}


_KeysAsWritten.add_constructor("tag:yaml.org,2002:map", _mapping)


def read_independently(files: dict) -> dict | None:
    """flow name -> plain tree, or None when PyYAML itself cannot read a file."""
    trees = {}
    for name, text in files.items():
        try:
            trees[name.rsplit(".", 1)[0]] = yaml.load(text, Loader=_KeysAsWritten)
        except Exception:       # noqa: BLE001 - anything PyYAML refuses must be refused by the loader too
            return None
    return trees


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _group(tree, *path):
    for key in path:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree if isinstance(tree, dict) else {}


def _reach(roots, graph) -> set:
    seen, queue = set(roots), deque(roots)
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def defects(trees: dict) -> list:
    """What is wrong with the flows' shape, as README promises `ivr check` finds: 'dangling: …',
    'unreachable: …' or 'dead end: …'. Field types, prompts' languages and the like are not judged."""
    main = trees.get("main")
    if not isinstance(main, dict):
        return ["dead end: main.yaml is not a group of fields"]
    steps = {}
    for flow, tree in trees.items():
        for name, step in _group(tree, "steps").items():
            if isinstance(step, dict) and isinstance(step.get("type"), str) and step["type"] in KINDS:
                steps[(flow, name)] = step
    named = {flow: set(_group(tree, "prompts")) for flow, tree in trees.items()}
    found = []

    def resolve(value, flow):
        if not isinstance(value, str) or not value.strip():
            return None
        target_flow, sep, name = value.strip().partition(":")
        ref = (target_flow, name) if sep else (flow, value.strip())
        return ref if ref in steps else None

    def follow(value, flow, where):
        if value is None:
            return None                 # missing: another rule
        ref = resolve(value, flow)
        if ref is None:
            found.append(f"dangling: {where} leads to {value!r}")
        return ref

    def prompt_name(value, flow, where):
        if isinstance(value, str) and value not in named.get(flow, set()) | named["main"]:
            found.append(f"dangling: {where} names the prompt {value!r}")

    def menu_default(flow, key):
        for home in (flow, "main"):
            menu = _group(trees.get(home), "defaults", "menu")
            if key in menu:
                return menu[key], home
        return None, flow

    start = follow(main.get("start"), "main", "start")
    fallback = follow(main.get("fallback"), "main", "fallback")
    choices = [c for c in _as_list(main.get("everywhere")) if isinstance(c, dict)]
    everywhere = [follow(c.get("goto"), "main", "everywhere") for c in choices]
    for flow, tree in trees.items():
        menu = _group(tree, "defaults", "menu")
        follow(menu.get("after_tries"), flow, f"{flow} defaults.menu.after_tries")
        for key in ("when_invalid", "when_silent"):
            prompt_name(menu.get(key), flow, f"{flow} defaults.menu.{key}")

    graph = {}
    for (flow, name), step in steps.items():
        kind, where = step["type"], f"{step['type']} {flow}:{name}"

        def go(key):
            return follow(step.get(key), flow, f"{where} {key}")

        prompt_name(step.get("prompt"), flow, where)
        exits = []
        if kind == "say" or kind in ("voicemail", "callback"):
            exits = [go("goto")]
        elif kind == "hours":
            exits = [go("if_open"), go("if_closed")]
        elif kind == "connect":
            exits = [go("if_nobody_answers")]
        elif kind in ("menu", "language"):
            default = go("goto")
            for option in _as_list(step.get("options")):
                if isinstance(option, dict):
                    own = option.get("goto")
                    exits.append(follow(own, flow, f"{where} option") if own is not None else default)
            exits.append(go("back"))
            if "after_tries" in step:
                exits.append(go("after_tries"))
            else:
                exits.append(resolve(*menu_default(flow, "after_tries")))
            for key in ("when_invalid", "when_silent"):
                prompt_name(step.get(key), flow, f"{where} {key}")
            exits += everywhere
        graph[(flow, name)] = [ref for ref in exits if ref is not None]

    kind_of = {ref: step["type"] for ref, step in steps.items()}
    backwards: dict = {}
    for ref, targets in graph.items():
        for target in targets:
            backwards.setdefault(target, []).append(ref)
    to_person = _reach([r for r in steps if kind_of[r] in PEOPLE], backwards)
    to_an_end = _reach([r for r in steps if kind_of[r] in PEOPLE | {"goodbye"}], backwards)
    roots = [ref for ref in (start, fallback) if ref is not None]
    reached = _reach(roots, graph)
    found += [f"unreachable: {ref}" for ref in steps if ref not in reached]
    if fallback is not None and fallback not in to_person:
        found.append(f"dead end: the fallback {fallback} never leads to a person")
    found += [f"dead end: {ref} can reach neither a person nor a goodbye"
              for ref in reached if ref not in to_an_end]
    found += _silent_loops(graph, {r for r in steps if kind_of[r] in SILENT})
    # Walk from the start without being offered a person; a goodbye met on the way is a dead end.
    queue, seen = deque(roots), set(roots)
    while queue:
        ref = queue.popleft()
        kind = kind_of[ref]
        if kind in PEOPLE or (kind in ("menu", "language") and any(t in to_person for t in graph[ref])):
            continue
        if kind == "goodbye":
            found.append(f"dead end: {ref} is a goodbye reached without being offered a person")
        for nxt in graph[ref]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return found


def _silent_loops(graph, silent) -> list:
    """Peel off say/hours steps that lead to no other say/hours step still standing; what remains loops."""
    inside = {ref: {t for t in graph[ref] if t in silent} for ref in silent}
    changed = True
    while changed:
        changed = False
        for ref in [r for r, targets in inside.items() if not targets & inside.keys()]:
            del inside[ref]
            changed = True
    return [f"dead end: {ref} loops without asking the caller" for ref in sorted(inside)]


# -- mutations: each returns (files, whether the loader must refuse them) -----------------------
REQUIRED = {
    "say": ("type", "prompt", "goto"), "menu": ("type", "prompt", "options"),
    "language": ("type", "prompt", "options"), "hours": ("type", "timezone", "open", "if_open", "if_closed"),
    "connect": ("type", "prompt", "team", "if_nobody_answers"), "backup-line": ("type", "prompt"),
    "voicemail": ("type", "prompt", "goto"), "callback": ("type", "prompt", "goto"),
    "goodbye": ("type", "prompt"),
}
REFERENCE_FIELDS = ("goto", "if_open", "if_closed", "if_nobody_answers", "after_tries", "back")
ODD_SCALARS = (
    "yes", "no", "on", "off", "~", "null", "''", '""', "010", "0o17", "1e3", "0x1F", ".inf", "-.nan", "1_000",
    "12:30", "+1", "0", "9", "'0'", "'*'", "2026-12-25", "2026-13-45", "2026-02-30", "2026-01-01 25:00:00",
    "0x_", "0b_", "!!int abc", "!!float x", "!!bool maybe", "!!timestamp someday", "!!str 5", "!!null x",
    "!!python/object/apply:os.system ['true']", "!!binary aGk=", "!!set {a}", "&anchor x", "*undefined",
    "'unterminated", '"\\q"', "[a, b]", "{a: 1}", "{}", "[]", "|", ">", "America", "Europe", "Etc",
    "America/Nowhere", "🙂", "a: b", "- x", "#", "@x", "`x`", "%x", "?", "talk-to-someone",
    "main:talk-to-someone", "main-menu", "main:", ":x", "a b", "UPPER-CASE",
)


def steps_of(trees) -> list:
    return [(flow, name) for flow, tree in trees.items() for name in tree.get("steps", {})]


def reference_slots(trees) -> list:
    """(container, key) of every place a step is named."""
    slots = [(trees["main"], "start"), (trees["main"], "fallback")]
    slots += [(choice, "goto") for choice in trees["main"].get("everywhere", [])]
    for tree in trees.values():
        menu = _group(tree, "defaults", "menu")
        if "after_tries" in menu:
            slots.append((menu, "after_tries"))
        for step in tree.get("steps", {}).values():
            slots += [(step, key) for key in REFERENCE_FIELDS if key in step]
            slots += [(option, "goto") for option in step.get("options", []) if "goto" in option]
    return slots


def text_leaves(node, found=None) -> list:
    """(container, key) of every text value."""
    found = [] if found is None else found
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, str):
            found.append((node, key))
        else:
            text_leaves(value, found)
    return found


def delete_a_step(rnd, trees):
    flow, name = rnd.choice(steps_of(trees))
    del trees[flow]["steps"][name]
    return flowgen.dump_flows(trees), True


def rename_a_step(rnd, trees):
    flow, name = rnd.choice(steps_of(trees))
    group = trees[flow]["steps"]
    trees[flow]["steps"] = {(f"{name}-renamed" if key == name else key): value for key, value in group.items()}
    return flowgen.dump_flows(trees), True


def point_a_goto_at_a_missing_step(rnd, trees):
    container, key = rnd.choice(reference_slots(trees))
    written = container[key]
    container[key] = rnd.choice([written.replace("-", "_") + "x", written + "s", "nowhere",
                                 "main:nowhere", "no-such-flow:" + written.rpartition(":")[2]])
    return flowgen.dump_flows(trees), True


def drop_a_required_field(rnd, trees):
    places = [(trees["main"], key) for key in ("start", "fallback", "steps")]
    for flow, name in steps_of(trees):
        step = trees[flow]["steps"][name]
        places += [(step, key) for key in REQUIRED[step["type"]] if key in step]
        if step["type"] == "menu":
            places += [(option, "goto") for option in step["options"]]
    places += [(choice, key) for choice in trees["main"]["everywhere"] for key in ("name", "goto")]
    container, key = rnd.choice(places)
    del container[key]
    return flowgen.dump_flows(trees), True


def write_a_number_for_text(rnd, trees):
    container, key = rnd.choice(text_leaves(trees))
    number = rnd.choice([7, 42, 3.5, -1, 0, 12])
    container[key] = number
    accepted = key == "note" or (key in ("key", "repeat_key", "back_key") and isinstance(number, int)
                                 and 0 <= number <= 9)
    return flowgen.dump_flows(trees), not accepted


KEY_LINE = re.compile(r"^( *)(- )?([A-Za-z0-9_-]+|'[^']*'):( |$)")
VALUE_LINE = re.compile(r"^( *(?:- )?(?:[A-Za-z0-9_-]+|'[^']*'): )(\S.*)$")


def _pick_line(rnd, files, pattern):
    name = rnd.choice(sorted(files))
    lines = files[name].split("\n")
    candidates = [i for i, line in enumerate(lines) if pattern.match(line)]
    return name, lines, rnd.choice(candidates)


def write_a_key_twice(rnd, trees):
    files = flowgen.dump_flows(trees)
    name, lines, i = _pick_line(rnd, files, KEY_LINE)
    indent, dash, _, _ = KEY_LINE.match(lines[i]).groups()
    line = lines[i]
    copy_of = indent + "  " + line[len(indent) + 2:] if dash else line
    lines.insert(i + 1, copy_of)
    files[name] = "\n".join(lines)
    return files, True


def cut_the_text_short(rnd, trees):
    files = flowgen.dump_flows(trees)
    name = rnd.choice(sorted(files))
    files[name] = files[name][:rnd.randrange(len(files[name]) + 1)]
    return files, False


def swap_a_value_for_an_odd_scalar(rnd, trees):
    files = flowgen.dump_flows(trees)
    name, lines, i = _pick_line(rnd, files, VALUE_LINE)
    lines[i] = VALUE_LINE.match(lines[i]).group(1) + rnd.choice(ODD_SCALARS)
    files[name] = "\n".join(lines)
    return files, False


def add_a_say_loop(rnd, trees):
    says = [(f, n) for f, n in steps_of(trees) if trees[f]["steps"][n]["type"] == "say"]
    flow, name = rnd.choice(says)
    step = trees[flow]["steps"][name]
    trees[flow]["steps"]["loop-back"] = {"type": "say", "prompt": {"en": "Again.", "es": "Otra vez."},
                                         "goto": name}
    step["goto"] = "loop-back"
    return flowgen.dump_flows(trees), True


def reach_a_goodbye_straight_from_the_start(rnd, trees):
    main = trees["main"]
    main["steps"]["early-goodbye"] = {"type": "goodbye", "prompt": {"en": "Bye.", "es": "Adiós."}}
    main["steps"]["early-check"] = {"type": "hours", "timezone": "UTC", "open": {"mon-fri": "08:00-20:00"},
                                    "if_open": main["start"], "if_closed": "early-goodbye"}
    if rnd.random() < 0.5:
        main["steps"]["early-check"].update(if_open="early-goodbye", if_closed=main["start"])
    main["start"] = "early-check"
    return flowgen.dump_flows(trees), True


def take_away_the_everywhere_choices(rnd, trees):
    """Menus then reach a person only through their own choices, if at all."""
    main = trees["main"]
    del main["everywhere"]
    del main["steps"][flowgen.EMERGENCY]            # only the crisis words led there
    main["defaults"]["menu"]["after_tries"] = rnd.choice([flowgen.FIRST_MENU, flowgen.PERSON])
    for tree in trees.values():
        if rnd.random() < 0.5:
            _group(tree, "defaults", "menu").pop("after_tries", None)
    return flowgen.dump_flows(trees), False


PERSON_TYPES = ("connect", "queue", "backup-line")


def _leads_to_person(trees, flow: str, written: str, seen=()) -> bool:
    """Whether going to `written` (from `flow`) puts a caller with a person, passing says and hours."""
    target_flow, _, name = written.rpartition(":")
    target_flow = target_flow or flow
    step = trees.get(target_flow, {}).get("steps", {}).get(name, {})
    if (target_flow, name) in seen:
        return False
    seen = seen + ((target_flow, name),)
    if step.get("type") in PERSON_TYPES:
        return True
    if step.get("type") == "say":
        return _leads_to_person(trees, target_flow, step["goto"], seen)
    if step.get("type") == "hours":
        return all(_leads_to_person(trees, target_flow, step[k], seen) for k in ("if_open", "if_closed"))
    return False


def remove_the_person_key(rnd, trees):
    """The everywhere choice for a person loses its key (its words stay). A menu with no option of
    its own that goes to a person then has no key to one: the loader must refuse it."""
    for choice in trees["main"]["everywhere"]:
        if choice.get("goto") == flowgen.PERSON:
            choice.pop("key", None)
    if any("key" in c and not c.get("urgent") and _leads_to_person(trees, "main", c["goto"])
           for c in trees["main"]["everywhere"]):
        return flowgen.dump_flows(trees), False
    stranded = False
    for flow, name in steps_of(trees):
        step = trees[flow]["steps"][name]
        if step["type"] in ("menu", "language"):
            own = [o for o in step["options"] if "key" in o
                   and _leads_to_person(trees, flow, o.get("goto", step.get("goto", "")))]
            stranded = stranded or not own
    return flowgen.dump_flows(trees), stranded


def end_after_tries_with_a_goodbye(rnd, trees):
    """A caller who keeps pressing wrong keys is sent to a goodbye instead of a person."""
    main = trees["main"]
    main["steps"]["tries-goodbye"] = {"type": "goodbye", "prompt": {"en": "Bye.", "es": "Adiós."}}
    main["defaults"]["menu"]["after_tries"] = "tries-goodbye"
    for tree in trees.values():
        _group(tree, "defaults", "menu").pop("after_tries", None) if tree is not main else None
        for step in tree.get("steps", {}).values():
            step.pop("after_tries", None)
    return flowgen.dump_flows(trees), True


ODD_NAMES = ("q&a", "why? now", "#1 topic", "café menu", "salud mental", "a=b&c=d", "100% ok", "niño/niña")


def rename_a_step_everywhere_to_an_odd_name(rnd, trees):
    """A step renamed to anything a staff member types ('q&a', 'café menu'), and every reference
    with it, is still a good flow; renamed without its references, it is refused."""
    flow, name = rnd.choice(steps_of(trees))
    odd = rnd.choice(ODD_NAMES)
    group = trees[flow]["steps"]
    trees[flow]["steps"] = {(odd if key == name else key): value for key, value in group.items()}
    everywhere_too = rnd.random() < 0.8
    if everywhere_too:
        for container, key in reference_slots(trees):
            target_flow, sep, target = container[key].rpartition(":")
            here = container is trees["main"] or any(container is c for c in trees["main"].get("everywhere", []))
            if target == name and (target_flow or ("main" if here else None)) in (flow, None):
                container[key] = (target_flow + sep if sep else "") + odd
    return flowgen.dump_flows(trees), not everywhere_too


MUTATIONS = (delete_a_step, rename_a_step, point_a_goto_at_a_missing_step, drop_a_required_field,
             write_a_number_for_text, write_a_key_twice, cut_the_text_short, swap_a_value_for_an_odd_scalar,
             add_a_say_loop, reach_a_goodbye_straight_from_the_start, take_away_the_everywhere_choices,
             remove_the_person_key, end_after_tries_with_a_goodbye, rename_a_step_everywhere_to_an_odd_name)


# -- (a) valid flows ---------------------------------------------------------------------------
@THOROUGH
@given(trees=generated_trees())
def test_every_generated_flow_loads_with_no_error_and_every_step_playable(trees):
    flows = load_valid(trees)
    assert flows is not None
    assert len(flows.steps) == sum(len(tree["steps"]) for tree in trees.values())
    assert flows.start == model.Ref("main", trees["main"]["start"])
    assert defects(read_independently(flowgen.dump_flows(trees))) == []      # the second opinion agrees


# -- (b) mutated flows -----------------------------------------------------------------------------
@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda m: m.__name__.replace("_", "-"))
@QUICK
@given(trees=generated_trees(max_size=30), rnd=st.randoms(use_true_random=False))
def test_a_mutated_flow_never_crashes_the_loader_and_a_broken_one_is_never_played(mutate, trees, rnd):
    files, must_refuse = mutate(rnd, copy.deepcopy(trees))
    result = load(files)
    assert_refused_or_clean_with_placed_problems(result, files)
    parsed = read_independently(files)
    found = ["PyYAML cannot read it"] if parsed is None else defects(parsed)
    if found or must_refuse:
        assert result.flows is None, f"a broken flow would be played: {found or mutate.__name__}"


# -- (c) the engine --------------------------------------------------------------------------
def caller_words(flows: model.FlowSet) -> list:
    words = {"zero", "one", "dos", "nueve", "hello", "what", ""}
    for step in flows.steps.values():
        for option in getattr(step, "options", ()):
            words.update(option.words.all())
    for choice in flows.everywhere:
        words.update(choice.words.all())
    return sorted(words)


def caller_events(words: list):
    return st.one_of(
        st.builds(Pressed, st.sampled_from(list("0123456789*#")) | st.text("0123456789*#", max_size=4)),
        st.builds(Spoke, st.sampled_from(words) | st.text(max_size=20)),
        st.just(Silence()),
        st.just(Finished()),
    )


MOMENTS = st.datetimes(min_value=datetime.datetime(2026, 1, 1), max_value=datetime.datetime(2028, 12, 31),
                       timezones=st.just(datetime.timezone.utc))


def assert_turn_is_playable(flows: model.FlowSet, turn) -> None:
    assert flows.step(turn.state.step) is turn.step, f"{turn.state.step} is not a step of the flows"
    assert not isinstance(turn.step, (model.Say, model.Hours)), "a turn must end at a step that waits"
    assert turn.state.language in {language.code for language in flows.languages}
    for utterance in turn.said + turn.asked:
        assert utterance.text.strip(), f"silence where {utterance.prompt.name!r} should speak"


@THOROUGH
@given(trees=generated_trees(), data=st.data())
def test_a_random_caller_always_lands_on_a_step_of_the_flows_and_never_meets_an_error(trees, data):
    flows = load_valid(trees)
    now = data.draw(MOMENTS)
    turn = begin(flows, now)
    assert_turn_is_playable(flows, turn)
    for event in data.draw(st.lists(caller_events(caller_words(flows)), max_size=60)):
        turn = advance(flows, turn.state, event, now)
        assert_turn_is_playable(flows, turn)


@THOROUGH
@given(trees=generated_trees(), data=st.data())
def test_pressing_zero_at_any_menu_reaches_a_professional_within_a_few_steps(trees, data):
    flows = load_valid(trees)
    assert any(choice.key == "0" for choice in flows.everywhere)
    now = data.draw(MOMENTS)
    menus = [step for step in flows.steps.values() if isinstance(step, model.Menu)]
    for menu in menus:
        language = data.draw(st.sampled_from([language.code for language in flows.languages]))
        state = CallState(menu.ref, language, data.draw(st.integers(0, menu.tries - 1)))
        turn = advance(flows, state, Pressed("0"), now)
        for _ in range(3):
            if isinstance(turn.step, model.Connect):
                break
            turn = advance(flows, turn.state, data.draw(st.sampled_from([Finished(), Silence()])), now)
        assert isinstance(turn.step, model.Connect), f"pressing 0 at {menu.ref} led to {turn.step.label}"


# -- what the properties found, kept as plain examples -------------------------------------------
SMALL = flowgen.flow_trees(random.Random(7), 14, second_flow=None)


def small_flow_with(edit) -> dict:
    trees = copy.deepcopy(SMALL)
    edit(trees)
    return flowgen.dump_flows(trees)


@pytest.mark.parametrize("value", ["2026-13-45", "2026-02-30", "2026-01-01 25:00:00", "0x_", "0b_",
                                   "!!int abc", "!!float x", "!!bool maybe", "!!timestamp someday"])
def test_a_value_yaml_cannot_turn_into_a_date_or_number_is_a_problem_not_a_crash(value):
    files = flowgen.dump_flows(SMALL)
    files["main.yaml"] = files["main.yaml"].replace("start: ", f"note: {value}\nstart: ", 1)
    result = load(files)
    assert result.flows is None
    assert_refused_or_clean_with_placed_problems(result, files)


@pytest.mark.parametrize("zone", ["America", "Europe", "x" * 300])
def test_a_time_zone_that_names_a_folder_or_is_too_long_is_a_problem_not_a_crash(zone):
    def add_hours(trees):
        main = trees["main"]
        main["steps"]["opening-hours"] = {"type": "hours", "timezone": zone, "open": {"every-day": "08:00-20:00"},
                                          "if_open": main["start"], "if_closed": main["start"]}
        main["start"] = "opening-hours"

    files = small_flow_with(add_hours)
    result = load(files)
    assert result.flows is None
    assert any("time zone" in p.message for p in result.errors)


def test_deeply_nested_brackets_are_a_problem_not_a_crash():
    files = flowgen.dump_flows(SMALL)
    files["main.yaml"] += "\nnote: " + "[" * 2000 + "]" * 2000 + "\n"
    result = load(files)
    assert result.flows is None
    assert_refused_or_clean_with_placed_problems(result, files)


def test_two_menus_that_only_lead_to_each_other_are_refused_as_a_dead_end():
    """No everywhere choices: a caller bounces between the menus and never reaches a person or a goodbye."""
    menu_defaults = {"after_tries": "menu-b", "when_invalid": "sorry", "when_silent": "sorry"}
    main = {
        "languages": {"en": flowgen.LANGUAGES["en"]},
        "start": "menu-a", "fallback": "talk-to-someone",
        "defaults": {"menu": menu_defaults},
        "prompts": {"sorry": {"en": "Sorry."}},
        "steps": {
            "menu-a": {"type": "menu", "prompt": {"en": "Press 1."}, "options": [{"key": "1", "goto": "menu-b"}]},
            "menu-b": {"type": "menu", "prompt": {"en": "Press 1."}, "options": [{"key": "1", "goto": "menu-a"}]},
            "talk-to-someone": {"type": "connect", "prompt": {"en": "Hold on."}, "team": "recovery",
                                "if_nobody_answers": "backup"},
            "backup": {"type": "backup-line", "prompt": {"en": "Partner line."}},
        },
    }
    files = flowgen.dump_flows({"main": main})
    assert any(d.startswith("dead end") for d in defects(read_independently(files)))
    assert load(files).flows is None
