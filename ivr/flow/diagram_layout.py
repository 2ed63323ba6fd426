"""Where each box of a flow diagram goes: a small layered (Sugiyama-style) layout in plain Python.

Rows come from the longest path from the roots, with the arrows that close a loop turned round so
a menu that leads back to itself or to the main menu cannot make the layering go on for ever. Long
arrows bend through waypoints, one per row they cross, and a barycenter pass or two orders each
row to cut crossings. No layout tool is installed on the server, and the diagram must draw there.
"""
from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass

#: Long arrows get waypoints shortest first, up to this many in all; the rest are drawn as one
#: curve. A thousand-step flow would otherwise need hundreds of thousands of them (and time).
WAYPOINTS = 20_000
SWEEPS = ("down", "up", "down")


@dataclass
class Layout:
    rows: list        # each row left to right: node ids and waypoints (tuples)
    row_of: dict      # node id or waypoint -> its row
    x: dict           # node id or waypoint -> the x of its centre
    back: set         # (source, target) pairs that lead back up: the arrows that close a loop
    routes: dict      # (source, target) -> the waypoints it bends through, in the arrow's direction
    unreached: list   # node ids no root leads to, all in the last row


def layered(nodes: list, edges: list, roots: list, width: float, waypoint_width: float,
            gap: float) -> Layout:
    """Lay `nodes` (ids, in a stable order) out in rows; `edges`: (source, target) pairs;
    `roots`: where a caller comes in, the first one first. `width` of a box, `gap` between two."""
    following = {node: [] for node in nodes}
    pairs = list(dict.fromkeys((s, t) for s, t in edges if s != t and s in following and t in following))
    for source, target in pairs:
        following[source].append(target)
    reached, back = _depth_first([r for r in roots if r in following], following)
    row_of = _longest_path(reached, pairs, back)
    unreached = [node for node in nodes if node not in row_of]
    last = max(row_of.values(), default=-1) + 1
    for node in unreached:
        row_of[node] = last
    rows = [[] for _ in range(max(row_of.values(), default=-1) + 1)]
    for node in reached + unreached:
        rows[row_of[node]].append(node)
    routes, chains = _waypoints(pairs, back, row_of, rows, set(unreached))
    x = {}

    def sizes(item) -> float:
        return waypoint_width if isinstance(item, tuple) else width

    for row in rows:
        _place(row, x, sizes, gap)
    above, below = _neighbours(chains)
    for sweep in SWEEPS:
        order = rows[1:] if sweep == "down" else rows[-2::-1]
        for row in order:
            _reorder(row, above if sweep == "down" else below, x, sizes, gap)
    return Layout(rows, row_of, x, back, routes, unreached)


def _depth_first(roots: list, following: dict):
    """Every node the roots lead to, in the order first met, and the edges that close a loop
    (to a node still on the walk's path). Iterative: a 10,000-step flow is deeper than Python's stack."""
    state, order, back = {}, [], set()
    for root in roots:
        if root in state:
            continue
        state[root] = "open"
        order.append(root)
        stack = [(root, iter(following[root]))]
        while stack:
            node, ahead = stack[-1]
            for target in ahead:
                seen = state.get(target)
                if seen is None:
                    state[target] = "open"
                    order.append(target)
                    stack.append((target, iter(following[target])))
                    break
                if seen == "open":
                    back.add((node, target))
            else:
                state[node] = "done"
                stack.pop()
    return order, back


def _longest_path(reached: list, pairs: list, back: set) -> dict:
    """Each reached node's row: one below the lowest of the steps that lead to it (loops aside),
    so a caller's way reads from top to bottom."""
    inside = set(reached)
    onward = {node: [] for node in reached}
    waiting = dict.fromkeys(reached, 0)
    for source, target in pairs:
        if source in inside and target in inside and (source, target) not in back:
            onward[source].append(target)
            waiting[target] += 1
    row_of = dict.fromkeys(reached, 0)
    ready = deque(node for node in reached if waiting[node] == 0)
    while ready:
        node = ready.popleft()
        for target in onward[node]:
            row_of[target] = max(row_of[target], row_of[node] + 1)
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return row_of


def _waypoints(pairs, back, row_of, rows, unreached):
    """A waypoint in every row a long arrow crosses; the chains of (upper, lower) items it joins."""
    routes, chains, budget = {}, [], WAYPOINTS
    spans = []
    for source, target in pairs:
        if source not in unreached and target not in unreached:
            upper, lower = (target, source) if (source, target) in back else (source, target)
            spans.append((row_of[lower] - row_of[upper], source, target, upper, lower))
    for span, source, target, upper, lower in sorted(spans, key=lambda s: s[0]):
        budget -= span - 1
        if budget < 0:
            break
        points = []
        for row in range(row_of[upper] + 1, row_of[lower]):
            point = ("waypoint", source, target, row)
            row_of[point] = row
            rows[row].append(point)
            points.append(point)
        chain = [upper, *points, lower]
        chains.extend(itertools.pairwise(chain))
        routes[(source, target)] = points[::-1] if upper == target else points
    return routes, chains


def _neighbours(chains):
    above, below = {}, {}
    for upper, lower in chains:
        above.setdefault(lower, []).append(upper)
        below.setdefault(upper, []).append(lower)
    return above, below


def _place(row: list, x: dict, size, gap: float) -> None:
    """Left to right, centred on 0, so rows of different widths line up around one axis."""
    total = sum(size(item) for item in row) + gap * max(len(row) - 1, 0)
    left = -total / 2
    for item in row:
        x[item] = left + size(item) / 2
        left += size(item) + gap


def _reorder(row: list, neighbours: dict, x: dict, size, gap: float) -> None:
    """Each item under the mean x of its neighbours in the row just swept (barycenter)."""
    def centre(item):
        near = neighbours.get(item)
        return sum(x[n] for n in near) / len(near) if near else x[item]

    row.sort(key=centre)
    _place(row, x, size, gap)
