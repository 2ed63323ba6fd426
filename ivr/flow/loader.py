"""Loads a flows directory: read every YAML file once, build the FlowSet, run every check.

A file that cannot be read is reported, and the others are still built and checked around it:
one staff member's stray tab must not hide everybody else's mistakes.
"""
from __future__ import annotations

import datetime
import gc
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .build import ENTRY, FlowSetBuilder
from .checks import check_graph, check_menus, check_references, check_teams
from .model import FlowSet
from ..yamlfile.problems import Problem
from .prompts import UnreadPrompts
from .language_checks import check_everywhere_words, check_language_choices
from .person_checks import PersonChoice, check_announced_keys, check_person_choice, check_person_keys
from .review import DEFAULT_REVIEW_MONTHS, check_reviews
from ..yamlfile.source import Mapping, Node, Scalar, Sequence, read_yaml

NOT_FLOWS = {"roster.yaml", "roster.yml"}      # the staff roster lives beside the flows
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# Where a flow writes one text per language: `en:` under a prompt, its recordings, a choice's words.
TEXT_GROUPS = {"prompt", "when_invalid", "when_silent", "offer", "if_unanswered", "audio", "words"}


@dataclass
class LoadResult:
    flows: FlowSet | None               # None when there is any error: never play a broken flow
    problems: list = field(default_factory=list)

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if not p.is_error]


def flow_files(directory: Path) -> list:
    files = sorted(list(directory.glob("*.yaml")) + list(directory.glob("*.yml")))
    return [f for f in files if f.name not in NOT_FLOWS]


def load_flows(directory, audio_dir=None, today: datetime.date | None = None,
               review_months: int = DEFAULT_REVIEW_MONTHS, teams: frozenset | None = None) -> LoadResult:
    """Every flow of `directory`, checked. `teams`: the roster's teams, which connect steps must name."""
    # A flow set is hundreds of thousands of small objects made at once and kept: the cyclic
    # garbage collector would re-scan them all many times over (more than half the load time),
    # and there is no cycle to find. It is paused for the load and restored after.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(directory, audio_dir, today, review_months, teams)
    finally:
        if was_enabled:
            gc.enable()


def _load(directory, audio_dir, today, review_months, teams) -> LoadResult:
    directory = Path(directory)
    audio_dir = Path(audio_dir) if audio_dir is not None else directory.parent / "audio"
    today = today or datetime.date.today()
    if not directory.is_dir():
        what = "is a file, not a folder of flows" if directory.exists() else "this folder does not exist"
        return LoadResult(None, [Problem(str(directory), 1, 1, "", what)])
    sources, problems, unread, digest = _read_files(directory)
    trees = {}
    for stem, (label, text) in sources.items():
        tree, found = read_yaml(text, label)
        problems += found
        if tree is None:
            unread[stem] = label
        else:
            trees[stem] = (label, tree)
    return _check(trees, unread, problems, directory, audio_dir, today, review_months, digest, teams)


def _read_files(directory: Path):
    """flow -> (label, text) of each file; the flows whose file exists but cannot be read."""
    sources, problems, unread, digest = {}, [], {}, hashlib.sha256()
    for path in flow_files(directory):
        label = str(directory / path.name)
        if path.stem in sources or path.stem in unread:
            problems.append(Problem(label, 1, 1, "", f"is the flow {path.stem!r} a second time",
                                    "keep one of the .yaml and .yml files"))
            continue
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(label, 1, 1, "", f"is not UTF-8 text (byte {error.start})", "save it as UTF-8"))
            unread[path.stem] = label
            continue
        except OSError as error:
            problems.append(Problem(label, 1, 1, "", f"cannot be read: {error.strerror}"))
            unread[path.stem] = label
            continue
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        sources[path.stem] = (label, text)
    return sources, problems, unread, digest.hexdigest()[:12]


def _check(trees, unread, problems, directory, audio_dir, today, review_months, version, teams=None) -> LoadResult:
    problems = list(problems)
    if ENTRY not in trees and ENTRY not in unread:
        problems.append(Problem(str(directory / f"{ENTRY}.yaml"), 1, 1, "", "is missing",
                                "every call starts in main.yaml"))
        return LoadResult(None, sorted(problems))
    found = []
    builder = FlowSetBuilder(audio_dir, found)
    if ENTRY in unread:
        stand_in = _stand_in_for_main(unread[ENTRY], trees)
        builder.main_unread = True
        flows = builder.build({ENTRY: (unread[ENTRY], stand_in), **trees})
        # Whatever the builder says of the stand-in is not main.yaml's: its problem is that it
        # cannot be read, already reported.
        found = [p for p in found if p.file != unread[ENTRY]]
    else:
        flows = builder.build(trees)
    problems += found
    dangling = check_references(flows, builder.references, builder.unbuilt, frozenset(unread))
    problems += dangling
    # Menus are checked against main.yaml's everywhere choices and keys, unknown without it.
    person_choice = check_person_choice(flows) if ENTRY not in unread else PersonChoice([])
    problems += person_choice.problems
    if not dangling and not builder.unbuilt and not unread:
        # The graph checks need every step and every reference to land; otherwise they would
        # only repeat the news, or call a step unreachable that an unread file leads to.
        problems += check_graph(flows)
        problems += check_person_keys(flows, person_choice.menus)
    if ENTRY not in unread:
        problems += check_menus(flows)
        problems += check_announced_keys(flows, person_choice.keys)
        problems += check_everywhere_words(flows)
        if not builder.unbuilt and not unread:
            # A language menu in a step that cannot be built, or an unread file, may be the one
            # that offers the language: unknown until it reads.
            problems += check_language_choices(flows)
    problems += check_reviews(flows.prompts, today, review_months)
    if teams is not None:
        problems += check_teams(flows, teams)
    problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.message))
    if any(p.is_error for p in problems):
        return LoadResult(None, problems)
    flows.version = version
    return LoadResult(flows, problems)


def _stand_in_for_main(label: str, trees: dict) -> Mapping:
    """What the builder needs of main.yaml when it cannot be read, so the other flows are still
    checked: the languages they write in, and main's prompts and menu defaults taken on trust.

    Only the other files' own problems come out of it. Their menus are not told that they lack
    defaults, nor their steps that main's prompts are missing: that is known once main.yaml reads.
    Nothing of it ever plays: a flow set with an error is never served.
    """
    def text(value: str) -> Scalar:
        return Scalar(1, 1, value, raw=value)

    def group(**fields) -> Mapping:
        return Mapping(1, 1, dict(fields))

    languages = {code: group() for code in _languages_written(trees)}
    return group(
        languages=group(**languages),
        prompts=UnreadPrompts(1, 1),
        defaults=group(menu=group(after_tries=text("unread"), when_invalid=text("unread"),
                                  when_silent=text("unread"))),
        steps=group(),
    )


def _languages_written(trees: dict) -> list:
    """The language codes the flows write their texts in (`en:` under a prompt or a choice's words)."""
    codes: dict = {}

    def visit(node: Node, holds_texts: bool) -> None:
        if isinstance(node, Sequence):
            for item in node.items:
                visit(item, holds_texts)
        elif isinstance(node, Mapping):
            for key, value in node.entries.items():
                if holds_texts and LANGUAGE_CODE.match(key):
                    codes.setdefault(key)
                visit(value, key in TEXT_GROUPS)

    for _, tree in trees.values():
        named = tree.get("prompts") if isinstance(tree, Mapping) else None
        for prompt in named.entries.values() if isinstance(named, Mapping) else ():
            visit(prompt, True)
        visit(tree, False)
    return list(codes)
