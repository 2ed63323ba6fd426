"""Each call flow drawn for the staff Flows page: its steps as boxes, the keys between them as
labelled arrows, and the same in words (an outline beside the picture, a <desc> inside it).

Plain Python over a loaded FlowSet; ivr/web/staff/flows.py puts the result on the page. Every text
goes through xml.etree, which escapes it, and only presentation attributes are used (no style), so
the staff pages' Content-Security-Policy lets the picture through as svg_chart's charts.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import math
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass

from . import model
from .diagram_labels import Box, place_labels
from .diagram_layout import layered

#: The one box for the choices every menu hears; no step's ref lacks the ':' of 'flow:step'.
EVERYWHERE = "everywhere"


@dataclass(frozen=True)
class Node:
    ref: str                # 'main:main-menu', or EVERYWHERE
    kind: str               # the step's `type:` as staff write it ('say', 'menu', 'connect'…) or 'everywhere'
    label: str              # 'main-menu (menu)': name and kind, never the prompt
    flow: str
    elsewhere: bool = False   # a step of another flow that this one leads to
    reachable: bool = True    # False: no caller can get here


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str              # '1', '9 back', 'after 3 tries', 'next', 'after hours', '2 (español)'…


@dataclass(frozen=True)
class Graph:
    flow: str
    first: str              # where the flow's layering starts: the call's start, or its first way in
    entries: tuple          # this flow's steps that callers reach from outside it (start, fallback, other flows)
    nodes: tuple
    edges: tuple

    @functools.cached_property
    def by_ref(self) -> dict:
        return {node.ref: node for node in self.nodes}


def flow_graph(flows: model.FlowSet, flow_name: str) -> Graph:
    """The steps of `flow_name`, the steps of other flows it leads to, and every way between them."""
    own = [ref for ref in flows.steps if ref.flow == flow_name]
    if not own:
        raise KeyError(f"there is no flow named {flow_name!r}")
    into = {flows.start, flows.fallback}
    for ref, step in flows.steps.items():
        if ref.flow != flow_name:
            into.update(target for _, target in _ways(step, flows))
    entries = [ref for ref in own if ref in into]
    first = flows.start if flows.start.flow == flow_name else (entries or own)[0]
    edges, elsewhere = [], {}
    for ref in own:
        for label, target in _ways(flows.steps[ref], flows):
            edges.append(Edge(str(ref), str(target), label))
            if target.flow != flow_name:
                elsewhere.setdefault(target)
    for choice in flows.everywhere:
        edges.append(Edge(EVERYWHERE, str(choice.goto), f"{choice.key} ({choice.name})" if choice.key else choice.name))
        if choice.goto.flow != flow_name:
            elsewhere.setdefault(choice.goto)
    roots = [str(first)] + ([EVERYWHERE] if flows.everywhere else []) + [str(ref) for ref in entries]
    reached = _reachable(roots, edges)
    nodes = [_node(flows.steps[ref], flow_name, str(ref) in reached) for ref in own]
    if flows.everywhere:
        nodes.append(Node(EVERYWHERE, "everywhere", "every menu (everywhere)", flow_name))
    for ref in elsewhere:
        step = flows.steps.get(ref)
        kind = step.kind if step is not None else "step"
        nodes.append(Node(str(ref), kind, f"{ref} ({kind})", ref.flow, elsewhere=True))
    return Graph(flow_name, str(first), tuple(str(ref) for ref in entries), tuple(nodes), tuple(edges))


def _node(step: model.Step, flow: str, reachable: bool) -> Node:
    return Node(str(step.ref), step.kind, f"{step.name} ({step.kind})", flow, reachable=reachable)


def _ways(step: model.Step, flows: model.FlowSet) -> list:
    """(label, target) for each way on from `step`, in the words of its YAML fields."""
    return [(label, target) for label, target in _all_ways(step, flows) if target is not None]


def _all_ways(step: model.Step, flows: model.FlowSet):
    if isinstance(step, model.Menu):
        for option in step.options:
            yield _option_label(option, flows), step.target(option)
        yield f"{step.back_key} back", step.back
        yield f"after {step.tries} tries", step.after_tries or flows.fallback
    elif isinstance(step, model.Hours):
        yield "open", step.if_open
        yield "after hours", step.if_closed
    elif isinstance(step, model.Connect):
        yield "nobody answers", step.if_nobody_answers
    elif isinstance(step, model.Queue):
        for option in step.options:
            yield _option_label(option, flows), option.goto
        yield f"after {step.max_wait} s on hold", step.overflow
    elif isinstance(step, model.BackupLine):
        yield "unanswered", flows.fallback        # the engine tries our own people again
    else:                                         # say, voicemail, callback, and any kind added later
        for target in step.exits():
            yield "next", target


def _option_label(option: model.Option, flows: model.FlowSet) -> str:
    if option.key is None:
        said = option.words.for_language(flows.default_language) or option.words.all()
        return f'says "{said[0]}"' if said else "words"
    if option.language:
        return f"{option.key} ({flows.language(option.language).name})"
    return option.key


def _reachable(roots: list, edges: list) -> set:
    onward: dict = {}
    for edge in edges:
        onward.setdefault(edge.source, []).append(edge.target)
    seen, queue = set(roots), deque(roots)
    while queue:
        for target in onward.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def written(ref: str, flow: str) -> str:
    """How a staff member in `flow` writes this ref: the bare name inside the flow."""
    if ref == EVERYWHERE:
        return "every menu"
    other, _, name = ref.partition(":")
    return name if other == flow else ref


def flow_outline(graph: Graph) -> list:
    """(step, kind, [(key, target)]) for each of the flow's own steps and the everywhere choices:
    the picture as a list, for the text beside it."""
    ways: dict = {}
    for edge in graph.edges:
        ways.setdefault(edge.source, []).append((edge.label, written(edge.target, graph.flow)))
    outline = []
    for node in sorted((n for n in graph.nodes if not n.elsewhere), key=lambda n: n.ref != EVERYWHERE):
        kind = node.kind if node.reachable else f"{node.kind}, not reachable"
        outline.append((written(node.ref, graph.flow), kind, ways.get(node.ref, [])))
    return outline


def describe(graph: Graph) -> str:
    """The whole flow in sentences, for a screen reader reading the picture."""
    parts = [f"Flow {graph.flow}, starting at {written(graph.first, graph.flow)}."]
    for step, kind, keys in flow_outline(graph):
        leads = "; ".join(f"{key} to {target}" for key, target in keys)
        parts.append(f"{step} ({kind}){': ' + leads if leads else ''}.")
    return " ".join(parts)


# -- drawing ------------------------------------------------------------------------------------
WIDTH, HEIGHT, GAP, WAYPOINT, ROW_GAP, MARGIN = 200, 52, 28, 16, 74, 24
#: A box is as wide as its flow's longest step name needs (15 units bold, 12 for the kind's line),
#: at a width per letter no sans-serif face exceeds: a name is never cut.
NAME_SIZE, KIND_SIZE, LABEL_SIZE, LETTER = 15, 12, 13, 0.66
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TEXT, EDGE, BACKGROUND, UNREACHABLE, ELSEWHERE = "#1a1a1a", "#444444", "#ffffff", "#b00020", "#555555"
#: kind -> (shape, fill, outline, what it means). Light fills under dark text (at least 12:1),
#: outlines dark enough to see (3:1), and a shape of its own so colour is never the only clue.
KINDS = {
    "say": ("rect", "#e6f0fa", "#1f5f8b", "reads information out"),
    "menu": ("hexagon", "#fff3d1", "#7a5200", "waits for a key"),
    "language": ("hexagon", "#f1e6fa", "#5b2a86", "the caller chooses a language"),
    "hours": ("parallelogram", "#e3f4e9", "#1e6b3a", "open or after hours?"),
    "connect": ("stadium", "#fde6e1", "#9b2c1a", "rings a professional"),
    "queue": ("stadium", "#fbe3ee", "#8a1f4f", "on hold for a professional"),
    "backup-line": ("stadium", "#fdeedd", "#8a4b00", "the partner helpline"),
    "voicemail": ("cut", "#eceff2", "#3d4852", "records a message"),
    "callback": ("cut", "#e4f2f2", "#1d5e5e", "takes a number to call back"),
    "goodbye": ("octagon", "#eeeeee", "#333333", "ends the call"),
    "everywhere": ("ellipse", "#ffffff", "#1a1a1a", "what every menu hears"),
}
OTHER_KIND = ("rect", "#f5f5f5", "#333333", "step")


def flow_svg(graph: Graph) -> str:
    """The flow as an SVG image: rows top to bottom from its first step, loops drawn back up,
    steps no caller can reach in a last row, a legend of the kinds drawn."""
    roots = [graph.first] + ([EVERYWHERE] if EVERYWHERE in graph.by_ref else []) + list(graph.entries)
    box = box_width(graph)
    layout = layered([n.ref for n in graph.nodes], [(e.source, e.target) for e in graph.edges], roots,
                     box, WAYPOINT, GAP)
    left = min((x for x in layout.x.values()), default=0) - box / 2
    body_width = max((x for x in layout.x.values()), default=0) + box / 2 - left
    legend_items = _legend_items(graph)
    width = max(body_width, 640) + 2 * MARGIN
    legend_rows = _legend_rows(legend_items, width - 2 * MARGIN)
    top = MARGIN + 30 * len(legend_rows) + 16
    height = top + len(layout.rows) * (HEIGHT + ROW_GAP) - ROW_GAP + MARGIN
    shift = MARGIN - left + (width - 2 * MARGIN - body_width) / 2

    def at(item):
        """The top-left corner of a box, or a waypoint's centre."""
        y = top + layout.row_of[item] * (HEIGHT + ROW_GAP)
        if isinstance(item, tuple):
            return layout.x[item] + shift, y + HEIGHT / 2
        return layout.x[item] + shift - box / 2, y

    routes = {pair: _route(*pair, layout, at, box) for pair in _parallel(graph.edges)}
    names = {pair: ", ".join(keys) for pair, keys in _parallel(graph.edges).items()}
    spots = place_labels([(names[pair], lx, ly + 4) for pair, (_, (lx, ly)) in routes.items()], LABEL_SIZE,
                         [Box(*at(node.ref), at(node.ref)[0] + box, at(node.ref)[1] + HEIGHT) for node in graph.nodes],
                         width)
    height = max([height] + [baseline + LABEL_SIZE + MARGIN for _, baseline in spots])
    uid = "flow-" + hashlib.sha1(graph.flow.encode()).hexdigest()[:10]
    svg = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {_n(width)} {_n(height)}", "width": "100%",
        "preserveAspectRatio": "xMidYMin meet", "role": "img", "aria-labelledby": f"{uid}-title",
        "aria-describedby": f"{uid}-desc", "font-family": FONT, "font-size": "14", "fill": TEXT})
    steps = sum(1 for n in graph.nodes if not n.elsewhere and n.ref != EVERYWHERE)
    ET.SubElement(svg, "title", id=f"{uid}-title").text = f"Flow {graph.flow}: {steps} steps"
    ET.SubElement(svg, "desc", id=f"{uid}-desc").text = describe(graph)
    marker = ET.SubElement(ET.SubElement(svg, "defs"), "marker", {
        "id": f"{uid}-arrow", "viewBox": "0 0 10 10", "refX": "9", "refY": "5",
        "markerWidth": "7", "markerHeight": "7", "orient": "auto"})
    ET.SubElement(marker, "path", d="M 0 0 L 10 5 L 0 10 z", fill=EDGE)
    ET.SubElement(svg, "rect", x="0", y="0", width=_n(width), height=_n(height), fill=BACKGROUND)
    _legend(svg, legend_rows)
    arrows = ET.SubElement(svg, "g", fill="none", stroke=EDGE)
    for path, _ in routes.values():
        ET.SubElement(arrows, "path", {"d": path, "stroke-width": "1.5", "marker-end": f"url(#{uid}-arrow)"})
    boxes = ET.SubElement(svg, "g")
    for node in graph.nodes:
        _box(boxes, node, *at(node.ref), graph.flow, box)
    labels = ET.SubElement(svg, "g")       # last: a label is never under a box
    for pair, (x, baseline) in zip(routes, spots, strict=True):
        ET.SubElement(labels, "text", {
            "class": "edge-label",
            "x": _n(x), "y": _n(baseline), "text-anchor": "middle", "font-size": str(LABEL_SIZE), "stroke": BACKGROUND,
            "stroke-width": "4", "paint-order": "stroke", "stroke-linejoin": "round"}).text = names[pair]
    return ET.tostring(svg, encoding="unicode")


def box_width(graph: Graph) -> float:
    """The width of every box of this flow's drawing: the widest name or kind line, or WIDTH."""
    widest = max((max(len(written(node.ref, graph.flow)) * NAME_SIZE, len(_kind_line(node)) * KIND_SIZE)
                  for node in graph.nodes), default=0)
    return max(WIDTH, math.ceil(widest * LETTER) + 24)


def _kind_line(node: Node) -> str:
    """The box's second line: its kind, and where it is if not simply here."""
    return node.kind + (" · in flow " + node.flow if node.elsewhere else "" if node.reachable else " · not reachable")


def _parallel(edges) -> dict:
    """One arrow per pair of steps, with every key that takes it ('1 (English), 2 (español)')."""
    grouped: dict = {}
    for edge in edges:
        names = grouped.setdefault((edge.source, edge.target), [])
        if edge.label not in names:
            names.append(edge.label)
    return grouped


def _route(source, target, layout, at, box: float):
    """An arrow's path, and where its label goes; `box`: the width of a step's box."""
    sx, sy = at(source)
    if source == target:      # a menu that leads to itself: a loop off its right side
        x, y = sx + box, sy + HEIGHT / 2
        return f"M {_n(x)} {_n(y - 12)}" + _curve((x + 46, y - 34), (x + 46, y + 34), (x + 2, y + 12)), (x + 40, y)
    tx, ty = at(target)
    upward = layout.row_of[target] < layout.row_of[source]
    offset = box / 4 if (source, target) in layout.back else 0    # loops apart from the way down
    start = (sx + box / 2 + offset, sy if upward else sy + HEIGHT)
    end = (tx + box / 2 + offset, ty + HEIGHT if upward else ty)
    if (source, target) in layout.routes:
        points = [start] + [at(point) for point in layout.routes[(source, target)]] + [end]
        path = f"M {_n(start[0])} {_n(start[1])}" + "".join(
            _curve((x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2), (x1, y1))
            for (x0, y0), (x1, y1) in itertools.pairwise(points))
        # Beside the step it leaves, where a reader looks for that step's keys.
        (ax, ay), (bx, by) = points[0], points[1]
        return path, ((ax + bx) / 2, (ay + by) / 2)
    # Too long to route, or into the row of steps no one reaches: one curve, bowed sideways.
    if layout.row_of[target] == layout.row_of[source]:
        start, end = (start[0], sy), (end[0], ty)
    bow, lift = (60 if end[0] >= start[0] else -60), (40 if start[1] == end[1] else 0)
    third = (end[1] - start[1]) / 3
    c1, c2 = (start[0] + bow, start[1] + third - lift), (end[0] + bow, end[1] - third - lift)
    middle = [(p + 3 * q + 3 * r + t) / 8 for p, q, r, t in zip(start, c1, c2, end, strict=True)]
    return f"M {_n(start[0])} {_n(start[1])}" + _curve(c1, c2, end), middle


def _curve(c1, c2, end) -> str:
    """A cubic Bezier segment from where the path is to `end`."""
    return " C " + " ".join(f"{_n(x)} {_n(y)}" for x, y in (c1, c2, end))


def _box(parent, node: Node, x: float, y: float, flow: str, width: float) -> None:
    shape, fill, outline, _ = KINDS.get(node.kind, OTHER_KIND)
    group = ET.SubElement(parent, "g")
    name = written(node.ref, flow)
    note = _kind_line(node)[len(node.kind):]
    ET.SubElement(group, "title").text = f"{name} ({node.kind}{note.replace(' ·', ',')})"
    paint = {"fill": fill, "stroke": outline, "stroke-width": "1.5"}
    if node.elsewhere:
        paint = {"fill": BACKGROUND, "stroke": ELSEWHERE, "stroke-width": "1.5", "stroke-dasharray": "5 4"}
    elif not node.reachable:
        paint = {"fill": fill, "stroke": UNREACHABLE, "stroke-width": "3", "stroke-dasharray": "6 3"}
    _shape(group, shape, x, y, width, HEIGHT, paint)
    ET.SubElement(group, "text", {"class": "step-name", "x": _n(x + width / 2), "y": _n(y + 22),
                                  "text-anchor": "middle", "font-size": str(NAME_SIZE), "font-weight": "600"}).text = name
    ET.SubElement(group, "text", {"x": _n(x + width / 2), "y": _n(y + 40), "text-anchor": "middle",
                                  "font-size": str(KIND_SIZE), **({"fill": UNREACHABLE} if not node.reachable else {})}
                  ).text = node.kind + note


def _shape(parent, shape: str, x, y, w, h, paint: dict) -> None:
    if shape in ("rect", "stadium"):
        ET.SubElement(parent, "rect", {"x": _n(x), "y": _n(y), "width": _n(w), "height": _n(h),
                                       "rx": _n(h / 2 if shape == "stadium" else 3), **paint})
        return
    if shape == "ellipse":
        ET.SubElement(parent, "ellipse", {"cx": _n(x + w / 2), "cy": _n(y + h / 2), "rx": _n(w / 2),
                                          "ry": _n(h / 2), **paint})
        return
    c = min(12, w / 4)
    corners = {
        "hexagon": [(c, 0), (w - c, 0), (w, h / 2), (w - c, h), (c, h), (0, h / 2)],
        "parallelogram": [(c, 0), (w, 0), (w - c, h), (0, h)],
        "cut": [(0, 0), (w - c, 0), (w, c), (w, h), (0, h)],
        "octagon": [(c, 0), (w - c, 0), (w, c), (w, h - c), (w - c, h), (c, h), (0, h - c), (0, c)],
    }[shape]
    ET.SubElement(parent, "polygon", {"points": " ".join(f"{_n(x + a)},{_n(y + b)}" for a, b in corners), **paint})


def _legend_items(graph: Graph) -> list:
    """(kind, words, paint override) for each kind drawn, then the dashed outlines' meanings."""
    drawn = {node.kind for node in graph.nodes if not node.elsewhere}
    items = [(kind, f"{kind}: {KINDS[kind][3]}", None) for kind in KINDS if kind in drawn]
    items += [(kind, kind, None) for kind in sorted(drawn - set(KINDS))]
    if any(node.elsewhere for node in graph.nodes):
        items.append(("say", "in another flow", {"fill": BACKGROUND, "stroke": ELSEWHERE, "stroke-dasharray": "5 4"}))
    if not all(node.reachable for node in graph.nodes):
        items.append(("say", "not reachable", {"fill": BACKGROUND, "stroke": UNREACHABLE, "stroke-width": "3",
                                               "stroke-dasharray": "6 3"}))
    return items


def _legend_rows(items: list, width: float) -> list:
    rows, row, used = [], [], 0.0
    for item in items:
        size = 44 + 7.2 * len(item[1]) + 22
        if row and used + size > width:
            rows.append(row)
            row, used = [], 0.0
        row.append((used, item))
        used += size
    return rows + ([row] if row else [])


def _legend(svg, rows: list) -> None:
    legend = ET.SubElement(svg, "g", {"font-size": "13"})
    for index, row in enumerate(rows):
        y = MARGIN + 30 * index
        for x, (kind, words, paint) in row:
            shape, fill, outline, _ = KINDS.get(kind, OTHER_KIND)
            paint = paint or {"fill": fill, "stroke": outline, "stroke-width": "1.5"}
            _shape(legend, shape, MARGIN + x, y, 36, 20, paint)
            ET.SubElement(legend, "text", x=_n(MARGIN + x + 44), y=_n(y + 15)).text = words


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
