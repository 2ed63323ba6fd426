"""Where the flow diagram's arrow labels go: each near the middle of its arrow, but never on
another label and, where there is room nearby, not on a step's box either.

The server cannot measure text, so a label's box is a generous guess from its letters (wider than
any of the staff pages' sans-serif faces draws them): two guesses apart are two drawings apart.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

#: Of the font size: wider than a letter, digit or bracket of the usual sans-serif faces.
CHAR_WIDTH = 0.66
#: Above the baseline (ascenders) and below it (descenders), of the font size, with a pixel to spare.
ASCENT, DESCENT = 1.0, 0.32
#: How far a label may move from its arrow's middle, in steps of its own height and of a few letters.
ROWS_AWAY, COLUMNS_AWAY = 5, 3


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def meets(self, other: "Box") -> bool:
        return (self.left < other.right and other.left < self.right
                and self.top < other.bottom and other.top < self.bottom)


def label_box(text: str, x: float, baseline: float, size: float) -> Box:
    """The guessed box of `text` centred on `x` with its baseline at `baseline`."""
    half = (len(text) * CHAR_WIDTH * size + 2) / 2
    return Box(x - half, baseline - ASCENT * size - 1, x + half, baseline + DESCENT * size + 1)


class _Grid:
    """Boxes filed by the cells they cover, so a label asks only its neighbours (a thousand-step
    flow has thousands of labels)."""
    CELL = 64.0

    def __init__(self, boxes=()):
        self.cells: dict = {}
        for box in boxes:
            self.add(box)

    def _cells(self, box: Box):
        return itertools.product(range(int(box.left // self.CELL), int(box.right // self.CELL) + 1),
                                 range(int(box.top // self.CELL), int(box.bottom // self.CELL) + 1))

    def add(self, box: Box) -> None:
        for cell in self._cells(box):
            self.cells.setdefault(cell, []).append(box)

    def meets(self, box: Box) -> bool:
        return any(other.meets(box) for cell in self._cells(box) for other in self.cells.get(cell, ()))


def place_labels(labels: list, size: float, obstacles: list, width: float) -> list:
    """`labels`: (text, x, baseline) where each would go; `obstacles`: the steps' boxes. Returns
    (x, baseline) for each, in order: the nearest spot clear of every label placed before it and
    of the boxes, else the nearest clear of the labels alone, else straight below. Kept inside
    [0, width] across."""
    placed, boxes, offsets = _Grid(), _Grid(obstacles), _nearby(size)
    spots = []
    for text, x, baseline in labels:
        half = (len(text) * CHAR_WIDTH * size + 2) / 2
        spot = clear_of_labels = None
        for dx, dy in offsets:
            candidate = (min(max(x + dx, half), max(width - half, half)), baseline + dy)
            box = label_box(text, *candidate, size)
            if placed.meets(box):
                continue
            clear_of_labels = clear_of_labels or candidate
            if not boxes.meets(box):
                spot = candidate
                break
        spot = spot or clear_of_labels or _below_everything(text, (min(max(x, half), max(width - half, half)),
                                                                   baseline), size, placed)
        placed.add(label_box(text, *spot, size))
        spots.append(spot)
    return spots


def _nearby(size: float) -> list:
    """Offsets from a label's spot, nearest first: up and down a row, sideways a few letters."""
    row, column = (ASCENT + DESCENT) * size + 3, 4 * CHAR_WIDTH * size
    offsets = itertools.product(range(-COLUMNS_AWAY, COLUMNS_AWAY + 1), range(-ROWS_AWAY, ROWS_AWAY + 1))
    return sorted(((dx * column, dy * row) for dx, dy in offsets),
                  key=lambda offset: (offset[0] ** 2 + offset[1] ** 2, offset[1] < 0, offset[0] < 0))


def _below_everything(text: str, spot: tuple, size: float, placed: _Grid) -> tuple:
    """Nowhere near is clear: straight down from the spot until it is (a crowded corner of a huge flow)."""
    x, baseline = spot
    step = (ASCENT + DESCENT) * size + 3
    while placed.meets(label_box(text, x, baseline, size)):
        baseline += step
    return x, baseline
