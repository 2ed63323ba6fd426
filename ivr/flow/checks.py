"""Checks over the whole flow set: references, reachability, dead ends, hidden global choices.

These are the rules that keep a caller from getting stuck: every `goto` leads somewhere, every
step can be reached, nothing loops without asking the caller, and no one reaches a goodbye
without having been offered a person.
"""
from __future__ import annotations

import functools
from collections import deque

from .speech import normalize
from . import model
from ..yamlfile.problems import Problem, did_you_mean


def check_references(flows: model.FlowSet, references: list, unbuilt: set = frozenset(),
                     unread: frozenset = frozenset()) -> list:
    """A problem for every reference to a step that is not written anywhere.

    `unread`: flows whose file exists but cannot be read. Their steps are unknown, so references
    into them are taken on trust: the file's own problem is what to fix.
    """
    problems = []
    flow_names = {ref.flow for ref in flows.steps} | {ref.flow for ref in unbuilt} | set(unread)
    for reference in references:
        ref = reference.ref
        if ref in flows.steps or ref in unbuilt or ref.flow in unread:
            continue
        here = _flow_of(reference)
        written = ref.written_from(here)
        what = reference.what if reference.what.endswith(" to") else f"{reference.what!r} leads to"
        if ref.flow not in flow_names:
            folder, _, name = reference.file.replace("\\", "/").rpartition("/")
            suffix = name.rpartition(".")[2]
            hint = did_you_mean(ref.flow, flow_names) or f"there is no {folder or '.'}/{ref.flow}.{suffix}"
        else:
            names = {r.written_from(here) for r in flows.steps if r.flow == ref.flow}
            hint = did_you_mean(written, names)
        problems.append(Problem(reference.file, reference.line, reference.column, reference.where,
                                f"{what} {written!r}, which does not exist", hint))
    return problems


def _flow_of(reference) -> str:
    """The flow a reference was written in: its file's name, as the loader names flows."""
    name = reference.file.replace("\\", "/").rpartition("/")[2]
    return name.rpartition(".")[0] or name


def exits_of(step: model.Step, flows: model.FlowSet, everywhere: tuple | None = None) -> tuple:
    """Where a caller can go from this step: its own exits, plus the everywhere choices at a menu
    (`everywhere`: their gotos, when the caller has them at hand already)."""
    steps = flows.steps
    own = [ref for ref in step.exits() if ref in steps]
    if isinstance(step, model.Menu):
        if everywhere is None:
            everywhere = tuple(choice.goto for choice in flows.everywhere if choice.goto in steps)
        own += everywhere
    return tuple(own)


def check_graph(flows: model.FlowSet) -> list:
    problems = []
    everywhere = tuple(choice.goto for choice in flows.everywhere if choice.goto in flows.steps)
    graph = {ref: exits_of(step, flows, everywhere) for ref, step in flows.steps.items()}
    roots = [ref for ref in (flows.start, flows.fallback) if ref in flows.steps]
    reached = _reachable(roots, graph)
    for ref, step in flows.steps.items():
        if ref not in reached:
            problems.append(_problem(step, "no caller can reach this step",
                                     "lead to it from a menu or another step, or remove it"))
    problems += _silent_loops(flows, graph)
    leads_to_person = _reaching(flows, graph, model.HUMAN_STEPS)
    if flows.fallback in flows.steps and flows.fallback not in leads_to_person:
        step = flows.steps[flows.fallback]
        problems.append(_problem(step, "is the fallback, but never leads to a person",
                                 "the fallback should be a connect or backup-line step"))
    problems += _goodbyes_without_a_person(flows, graph, roots, leads_to_person)
    for ref in reached:
        step = flows.steps[ref]
        # Steps that never wait are covered by the silent-loop rule; report the menus that trap.
        if ref not in leads_to_person and isinstance(step, model.WAITING_STEPS) \
                and not isinstance(step, model.Goodbye):
            ends = _reachable([ref], graph)
            if not any(isinstance(flows.steps[r], model.Goodbye) for r in ends):
                problems.append(_problem(step, "a caller who gets here can never reach a person or a goodbye",
                                         "give its menus a way to a connect step (or add an everywhere "
                                         "choice for a person)"))
    return problems


def _reachable(roots, graph) -> set:
    seen, queue = set(roots), deque(roots)
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _reaching(flows, graph, kinds) -> set:
    """Every step from which some path reaches a step of one of these kinds."""
    backwards: dict = {}
    for ref, targets in graph.items():
        for target in targets:
            backwards.setdefault(target, []).append(ref)
    goals = [ref for ref, step in flows.steps.items() if isinstance(step, kinds)]
    return _reachable(goals, backwards)


def _offers_a_person(step, graph, leads_to_person) -> bool:
    if isinstance(step, model.HUMAN_STEPS):
        return True
    return isinstance(step, (model.Menu, model.Queue)) and any(t in leads_to_person for t in graph[step.ref])


def _goodbyes_without_a_person(flows, graph, roots, leads_to_person) -> list:
    """Walk from the start without passing any step that offers a person; a goodbye found is a problem."""
    came_from = {root: None for root in roots}
    queue = deque(roots)
    problems = []
    while queue:
        ref = queue.popleft()
        step = flows.steps[ref]
        if _offers_a_person(step, graph, leads_to_person):
            continue
        if isinstance(step, model.Goodbye):
            path = _path(came_from, ref)
            problems.append(_problem(step, "a caller can reach this goodbye without ever being offered a person",
                                     "path: " + " → ".join(path) + "; put a menu (0 reaches a person) "
                                     "or a connect step on the way"))
            continue
        for nxt in graph[ref]:
            if nxt not in came_from:
                came_from[nxt] = ref
                queue.append(nxt)
    return problems


def _silent_loops(flows, graph) -> list:
    """Cycles made only of steps that never wait for the caller: the call would spin forever."""
    silent = {ref for ref, step in flows.steps.items() if not isinstance(step, model.WAITING_STEPS)}
    problems, on_path = [], []
    state: dict = {}

    def visit(start):
        stack = [(start, iter(graph[start]))]
        state[start] = "open"
        on_path.append(start)
        while stack:
            ref, children = stack[-1]
            for nxt in children:
                if nxt not in silent:
                    continue
                if state.get(nxt) == "open":
                    loop = on_path[on_path.index(nxt):] + [nxt]
                    step = flows.steps[nxt]
                    problems.append(_problem(step, "these steps loop forever without asking the caller anything: "
                                             + " → ".join(r.written_from(step.flow) for r in loop),
                                             "end the loop with a menu"))
                elif nxt not in state:
                    state[nxt] = "open"
                    on_path.append(nxt)
                    stack.append((nxt, iter(graph[nxt])))
                    break
            else:
                stack.pop()
                state[ref] = "done"
                on_path.pop()

    for ref in sorted(silent, key=str):
        if ref not in state:
            visit(ref)
    return problems


@functools.lru_cache(maxsize=4096)
def words_of(phrase: str) -> list:
    """A menu's phrase as the words a caller's speech is matched against (menus share phrases)."""
    return normalize(phrase).split()


def check_menus(flows: model.FlowSet) -> list:
    """Keys and words a menu uses must not clash with each other or hide an everywhere choice."""
    problems = []
    everywhere = [(choice, _PhraseSet(choice.words.all())) for choice in flows.everywhere]
    for step in flows.steps.values():
        if not isinstance(step, model.Menu):
            continue
        special = {step.repeat_key: "repeat_key"}
        if step.back is not None:
            special[step.back_key] = "back_key"
        seen_keys: dict = {}
        for option in step.options:
            if option.key is None:
                continue
            place = (step.file, option.line, option.column, step.label)
            if option.key in seen_keys:
                problems.append(Problem(*place, f"key '{option.key}' is used twice",
                                        f"also on line {seen_keys[option.key]}"))
            seen_keys[option.key] = option.line
            if option.key in special:
                problems.append(Problem(*place, f"key '{option.key}' is also this menu's {special[option.key]}",
                                        "use another key"))
        own_words = [(option, phrase, words_of(phrase))
                     for option in step.options for phrase in option.words.all()]
        problems += _hidden(step, everywhere, own_words)
    return problems


class _PhraseSet:
    """An everywhere choice's phrases, normalised once: one-word phrases in a dict for speed."""

    def __init__(self, phrases):
        self.single, self.longer = {}, {}       # longer: first word -> [(phrase, words), ...]
        for phrase in phrases:
            words = normalize(phrase).split()
            if len(words) == 1:
                self.single.setdefault(words[0], phrase)
            elif words:
                self.longer.setdefault(words[0], []).append((phrase, words))

    def first_inside(self, words: list):
        for word in words:
            if word in self.single:
                return self.single[word]
        for start, word in enumerate(words):
            for phrase, part in self.longer.get(word, ()):
                if words[start:start + len(part)] == part:
                    return phrase
        return None


def _hidden(step: model.Menu, everywhere: list, own_words: list) -> list:
    """The menu's keys and words that an everywhere choice (0, the crisis words) would take first."""
    problems = []
    own_keys = [(o.key, o.line, o.column) for o in step.options]
    own_keys += [(step.repeat_key, step.line, step.column)]
    if step.back is not None:
        own_keys.append((step.back_key, step.line, step.column))
    for choice, global_phrases in everywhere:
        for key, line, column in own_keys:
            if key is not None and key == choice.key:
                problems.append(Problem(step.file, line, column, step.label,
                                        f"key '{key}' hides the everywhere choice '{choice.name}'",
                                        f"every menu sends {key} to '{choice.goto.step if choice.goto else '?'}'; "
                                        "use another key"))
        for option, phrase, words in own_words:
            clash = global_phrases.first_inside(words)
            if clash:
                problems.append(Problem(step.file, option.line, option.column, step.label,
                                        f"the words {phrase!r} hide the everywhere choice '{choice.name}' "
                                        f"({clash!r})", "choose words that do not contain it"))
    return problems


def _contains(words: list, part: list) -> bool:
    n = len(part)
    if n == 1:
        return part[0] in words
    return n > 0 and any(words[i:i + n] == part for i in range(len(words) - n + 1))


def _path(came_from, ref) -> list:
    path = []
    while ref is not None:
        path.append(ref)
        ref = came_from[ref]
    path.reverse()
    return [str(r) for r in path]


def _problem(step: model.Step, message: str, hint: str = "") -> Problem:
    return Problem(step.file, step.line, step.column, step.label, message, hint)


def check_teams(flows: model.FlowSet, teams: frozenset) -> list:
    """A connect step must name a team that someone on the roster belongs to."""
    return [_problem(step, f"team {step.team!r} has nobody on the roster",
                     did_you_mean(step.team, teams) or "teams on the roster: " + ", ".join(sorted(teams)))
            for step in flows.steps.values()
            if isinstance(step, (model.Connect, model.Queue)) and step.team and step.team not in teams]
