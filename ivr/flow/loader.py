"""Loads a flows directory: read every YAML file, build the FlowSet, run every check."""
from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .build import ENTRY, FlowSetBuilder
from .checks import check_graph, check_menus, check_references
from .model import FlowSet
from .problems import Problem
from .review import DEFAULT_REVIEW_MONTHS, check_reviews
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
               review_months: int = DEFAULT_REVIEW_MONTHS) -> LoadResult:
    directory = Path(directory)
    audio_dir = Path(audio_dir) if audio_dir is not None else directory.parent / "audio"
    problems: list[Problem] = []
    if not directory.is_dir():
        return LoadResult(None, [Problem(str(directory), 1, 1, "", "is not a folder of flows")])
    digest = hashlib.sha256()
    trees = {}
    for path in flow_files(directory):
        label = str(directory / path.name)
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(label, 1, 1, "", f"is not UTF-8 text (byte {error.start})",
                                    "save it as UTF-8"))
            continue
        except OSError as error:
            problems.append(Problem(label, 1, 1, "", f"cannot be read: {error.strerror}"))
            continue
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        tree, found = read_yaml(text, label)
        problems += found
        if tree is not None:
            trees[path.stem] = (label, tree)
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
    problems += check_reviews(flows.prompts, today or datetime.date.today(), review_months)
    problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.message))
    if any(p.is_error for p in problems):
        return LoadResult(None, problems)
    flows.version = digest.hexdigest()[:12]
    return LoadResult(flows, problems)
