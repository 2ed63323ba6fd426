"""Loads a flows directory: read every YAML file, build the FlowSet, run every check.

Files are first read on the fast path (yaml_fast). Only when that path meets something unusual,
or the flows have anything to report, are they read again by PyYAML (yaml_source), whose
positions and messages are exact: a clean edit loads in a blink, a broken one is explained well.
"""
from __future__ import annotations

import datetime
import gc
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .build import ENTRY, FlowSetBuilder
from .checks import check_graph, check_menus, check_references, check_teams
from .model import FlowSet
from .problems import Problem
from .review import DEFAULT_REVIEW_MONTHS, check_reviews
from .yaml_fast import NotPlain, read_fast
from .yaml_source import read_yaml

NOT_FLOWS = {"roster.yaml", "roster.yml"}      # the staff roster lives beside the flows


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
        return LoadResult(None, [Problem(str(directory), 1, 1, "", "is not a folder of flows")])
    sources, problems, digest = _read_files(directory)
    if not problems:
        try:
            trees = {stem: (label, read_fast(raw)) for stem, (label, raw) in sources.items()}
        except NotPlain:
            trees = None
        if trees is not None:
            result = _check(trees, [], directory, audio_dir, today, review_months, digest, teams)
            if not result.problems:
                return result
    trees = {}
    for stem, (label, raw) in sources.items():
        tree, found = read_yaml(raw.decode("utf-8"), label)
        problems += found
        if tree is not None:
            trees[stem] = (label, tree)
    return _check(trees, problems, directory, audio_dir, today, review_months, digest, teams)


def _read_files(directory: Path):
    sources, problems, digest = {}, [], hashlib.sha256()
    for path in flow_files(directory):
        label = str(directory / path.name)
        try:
            raw = path.read_bytes()
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(label, 1, 1, "", f"is not UTF-8 text (byte {error.start})", "save it as UTF-8"))
            continue
        except OSError as error:
            problems.append(Problem(label, 1, 1, "", f"cannot be read: {error.strerror}"))
            continue
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        sources[path.stem] = (label, raw)
    return sources, problems, digest.hexdigest()[:12]


def _check(trees, problems, directory, audio_dir, today, review_months, version, teams=None) -> LoadResult:
    problems = list(problems)
    if ENTRY not in trees:
        if not (directory / f"{ENTRY}.yaml").exists():
            problems.append(Problem(str(directory / f"{ENTRY}.yaml"), 1, 1, "", "is missing",
                                    "every call starts in main.yaml"))
        return LoadResult(None, sorted(problems))
    builder = FlowSetBuilder(audio_dir, problems)
    flows = builder.build(trees)
    dangling = check_references(flows, builder.references, builder.unbuilt)
    problems += dangling
    if not dangling and not builder.unbuilt:
        # The graph checks need every reference to land; otherwise they would only repeat the news.
        problems += check_graph(flows)
    problems += check_menus(flows)
    problems += check_reviews(flows.prompts, today, review_months)
    if teams is not None:
        problems += check_teams(flows, teams)
    problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.message))
    if any(p.is_error for p in problems):
        return LoadResult(None, problems)
    flows.version = version
    return LoadResult(flows, problems)
