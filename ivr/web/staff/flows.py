"""The Flows page: which version of the call flows callers hear, every problem the validator
finds in the saved files (file, line, column), the health information waiting for a clinician's
review, and each flow drawn as a diagram of its steps and keys (ivr/flow/diagram.py)."""
from __future__ import annotations

import datetime
import zoneinfo
from pathlib import Path

from flask import abort, render_template
from markupsafe import Markup

from ...flow.review import due_for_review, written
from ..current import services
from .blueprint import blueprint
from .guard import leads_only


def _by_file(problems: list, root: Path) -> dict:
    grouped: dict = {}
    for problem in sorted(problems, key=lambda p: (p.file, p.line, p.column)):
        try:
            name = str(Path(problem.file).resolve().relative_to(root.resolve()))
        except ValueError:
            name = Path(problem.file).name
        grouped.setdefault(name, []).append(problem)
    return grouped


def _flow_names(flows) -> list:
    return sorted({ref.flow for ref in flows.steps}) if flows is not None else []


@blueprint.get("/flows")
@leads_only
def flows():
    ivr = services()
    live = ivr.flows
    current = live.current()
    roster = ivr.roster.current()
    zone = zoneinfo.ZoneInfo(roster.timezone if roster is not None else "UTC")
    loaded = (datetime.datetime.fromtimestamp(live.loaded_at, datetime.timezone.utc).astimezone(zone)
              if live.loaded_at else None)
    problems = list(live.problems) + list(ivr.roster.problems)
    today = ivr.now().astimezone(zone).date()
    due = [(written(key), prompt) for key, prompt in due_for_review(current.prompts, today)] if current else []
    return render_template("staff/flows.html", flows=current, broken=live.broken or ivr.roster.broken,
                           loaded=loaded, problems=_by_file(problems, live.directory),
                           errors=sum(1 for p in problems if p.is_error), due=due,
                           names=_flow_names(current), page="flows")


@blueprint.get("/flows/<name>")
@leads_only
def flow(name):
    from ...flow.diagram import flow_graph, flow_outline, flow_svg

    current = services().flows.current()
    if current is None or name not in _flow_names(current):
        abort(404, description=f"There is no flow named {name!r} playing now.")
    graph = flow_graph(current, name)
    return render_template("staff/flow.html", name=name, svg=Markup(flow_svg(graph)),
                           outline=flow_outline(graph), page="flows")
