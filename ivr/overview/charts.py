"""Bar charts for the staff pages, drawn on the server as SVG: no script and no third-party
chart library in the browser, readable by a screen reader, and scaled down to a phone.

Every piece of text goes through xml.etree, which escapes it: a label is never pasted into markup.
Only presentation attributes are used (no style attribute or element), so the staff pages'
Content-Security-Policy (style-src 'self') lets the chart through unchanged.
"""
from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
BAR = "#1f5f8b"          # 7:1 against white: readable for low vision, not only decoration
TEXT = "#222222"
AXIS = "#555555"         # still 7:1, so the axis reads as part of the chart
GRID = "#dddddd"         # decorative: the values are also in the tick labels and the description
BACKGROUND = "#ffffff"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
#: Large in viewBox units because the chart is drawn at about half size on a 375-pixel phone.
TICK_FONT = 18
CHAR_WIDTH = 0.6         # of the font size: a fair guess for a digit in a sans-serif face
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 12, 30, 50
#: Bars lying down (labelled_bars): a letter of a label is wider than a digit, so a generous guess.
WORD_CHAR_WIDTH = 0.62
PAD, LABEL_ROOM, BAR_THICKNESS, ROW = 10, 26, 22, 60


def _checked(labels, values) -> list[str]:
    """The labels as text, once the values are known to be counts or durations, one per label."""
    labels = [str(label) for label in labels]
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    if any(not math.isfinite(value) or value < 0 for value in values):
        raise ValueError("a bar chart's values are counts or durations: finite and not negative")
    return labels


def _chart(title, labels, values, unit, empty_text, width, height, aspect) -> ET.Element:
    """The chart's <svg>: named and described for a screen reader, on a white ground."""
    chart_id = "chart-" + hashlib.sha1(repr((title, labels, list(values))).encode()).hexdigest()[:10]
    svg = ET.Element("svg", {
        "xmlns": SVG_NS, "viewBox": f"0 0 {width} {height}", "width": "100%",
        "preserveAspectRatio": aspect, "role": "img",
        "aria-labelledby": f"{chart_id}-title", "aria-describedby": f"{chart_id}-desc",
        "font-family": FONT, "font-size": str(TICK_FONT), "fill": TEXT,
    })
    ET.SubElement(svg, "title", id=f"{chart_id}-title").text = title
    empty = not values or not any(values)
    ET.SubElement(svg, "desc", id=f"{chart_id}-desc").text = (
        f"{title}: {empty_text}." if empty else describe(title, labels, values, unit))
    ET.SubElement(svg, "rect", x="0", y="0", width=str(width), height=str(height), fill=BACKGROUND)
    return svg


def bar_chart(title: str, labels: list[str], values: list[int | float], *, unit: str = "",
              width: int = 640, height: int = 220, x_label: str = "",
              empty_text: str = "No calls this week") -> str:
    """An SVG bar chart: `title` names it to a screen reader, its description reads every value
    out, and each bar has a tooltip. With no values, or only zeros, it says `empty_text`."""
    labels = _checked(labels, values)
    empty = not values or not any(values)
    svg = _chart(title, labels, values, unit, empty_text, width, height, "xMidYMid meet")
    plot = _Plot(width, height)
    if empty:
        _line(svg, plot.left, plot.bottom, plot.right, plot.bottom, AXIS)
        ET.SubElement(svg, "text", {"x": _n(width / 2), "y": _n((plot.top + plot.bottom) / 2),
                                    "text-anchor": "middle", "dominant-baseline": "middle",
                                    "font-size": str(TICK_FONT + 2)}).text = empty_text
        return ET.tostring(svg, encoding="unicode")
    top = nice_ceiling(max(values))
    _y_axis(svg, plot, top, unit)
    _bars(svg, plot, labels, values, top, unit)
    _x_axis(svg, plot, labels, x_label)
    return ET.tostring(svg, encoding="unicode")


def labelled_bars(title: str, labels: list[str], values: list[int | float], *, unit: str = "",
                  width: int = 420, empty_text: str = "No calls this week") -> str:
    """An SVG chart of bars lying down, each with its whole label above it and its value at its
    end: for labels that are words ('Hung up before choosing a language'), which a column chart
    would have to cut. The viewBox widens to the longest label, so no label is ever clipped."""
    labels = _checked(labels, values)
    empty = not values or not any(values)
    longest = max((len(label) for label in labels), default=0)
    width = max(width, math.ceil(longest * WORD_CHAR_WIDTH * TICK_FONT) + 2 * PAD)
    height = PAD + ROW * len(labels) if not empty else 120
    svg = _chart(title, labels, values, unit, empty_text, width, height, "xMinYMin meet")
    if empty:
        ET.SubElement(svg, "text", {"x": _n(width / 2), "y": _n(height / 2), "text-anchor": "middle",
                                    "dominant-baseline": "middle"}).text = empty_text
        return ET.tostring(svg, encoding="unicode")
    top = max(values)
    # Room at the right for the longest value written after its bar.
    longest_value = max(len(_number(value)) for value in values)
    bar_room = width - 2 * PAD - longest_value * CHAR_WIDTH * TICK_FONT - 8
    for index, (label, value) in enumerate(zip(labels, values)):
        y = PAD + index * ROW
        ET.SubElement(svg, "text", {"x": _n(PAD), "y": _n(y + TICK_FONT)}).text = label
        length = value / top * bar_room if value else 0.0
        if value and length < 2:
            length = 2.0
        bar = ET.SubElement(svg, "rect", {"x": _n(PAD), "y": _n(y + LABEL_ROOM), "width": _n(length),
                                          "height": _n(BAR_THICKNESS), "fill": BAR})
        ET.SubElement(bar, "title").text = f"{label}: {_amount(value, unit)}"
        ET.SubElement(svg, "text", {"x": _n(PAD + length + 6), "y": _n(y + LABEL_ROOM + BAR_THICKNESS / 2),
                                    "dominant-baseline": "middle"}).text = _number(value)
    _line(svg, PAD, PAD + LABEL_ROOM - 4, PAD, height - PAD / 2, AXIS)
    return ET.tostring(svg, encoding="unicode")


def describe(title: str, labels: list[str], values: list[int | float], unit: str = "") -> str:
    """The chart in words, for a screen reader: every label with its value, then the highest."""
    parts = [f"{label}: {_amount(value, unit)}" for label, value in zip(labels, values)]
    highest = max(range(len(values)), key=lambda index: values[index])
    return (f"{title}. " + "; ".join(parts)
            + f". Highest: {labels[highest]}, {_amount(values[highest], unit)}.")


def nice_ceiling(value: float) -> float:
    """The axis top: the first 1, 2, 2.5, 5 or 10 times a power of ten at or above `value`, so the
    middle gridline falls on a round number too."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            top = step * power
            return int(top) if top == int(top) else top
    return 10 * power


class _Plot:
    """Where the bars go inside the viewBox: room left for the value ticks and below for labels."""

    def __init__(self, width: int, height: int):
        self.left, self.right = MARGIN_LEFT, width - MARGIN_RIGHT
        self.top, self.bottom = MARGIN_TOP, height - MARGIN_BOTTOM

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _y_axis(svg: ET.Element, plot: _Plot, top: float, unit: str) -> None:
    for fraction in (0, 0.5, 1):
        y = plot.bottom - fraction * plot.height
        if fraction:
            _line(svg, plot.left, y, plot.right, y, GRID)
        ET.SubElement(svg, "text", {"x": _n(plot.left - 6), "y": _n(y), "text-anchor": "end",
                                    "dominant-baseline": "middle"}).text = _number(top * fraction)
    _line(svg, plot.left, plot.top, plot.left, plot.bottom, AXIS)
    if unit:
        ET.SubElement(svg, "text", {"x": _n(plot.left), "y": _n(plot.top - 10),
                                    "text-anchor": "start"}).text = unit


def _bars(svg: ET.Element, plot: _Plot, labels: list[str], values: list, top: float, unit: str) -> None:
    slot = plot.width / len(values)
    bar_width = max(1.0, slot * 0.7)
    for index, (label, value) in enumerate(zip(labels, values)):
        bar_height = value / top * plot.height
        if value and bar_height < 1:
            bar_height = 1.0          # a single call still shows, however tall the busiest hour
        bar = ET.SubElement(svg, "rect", {
            "x": _n(plot.left + index * slot + (slot - bar_width) / 2), "y": _n(plot.bottom - bar_height),
            "width": _n(bar_width), "height": _n(bar_height), "fill": BAR})
        ET.SubElement(bar, "title").text = f"{label}: {_amount(value, unit)}"


def _x_axis(svg: ET.Element, plot: _Plot, labels: list[str], x_label: str) -> None:
    _line(svg, plot.left, plot.bottom, plot.right, plot.bottom, AXIS)
    slot = plot.width / len(labels)
    # Label every bar if they fit, else every second or third: 24 hours would overlap on a phone.
    # A label longer than its room is shortened; the tooltip and the description keep it whole.
    longest = min(6, max(len(label) for label in labels))
    every = max(1, math.ceil((longest * CHAR_WIDTH * TICK_FONT + 6) / slot))
    room = max(1, int(slot * every / (CHAR_WIDTH * TICK_FONT)) - 2)
    for index in range(0, len(labels), every):
        label = labels[index]
        shown = label if len(label) <= room else label[:max(1, room - 1)] + "\u2026"
        ET.SubElement(svg, "text", {"x": _n(plot.left + (index + 0.5) * slot), "y": _n(plot.bottom + 20),
                                    "text-anchor": "middle"}).text = shown
    if x_label:
        ET.SubElement(svg, "text", {"x": _n((plot.left + plot.right) / 2), "y": _n(plot.bottom + 44),
                                    "text-anchor": "middle", "fill": AXIS}).text = x_label


def _line(svg: ET.Element, x1: float, y1: float, x2: float, y2: float, color: str) -> None:
    ET.SubElement(svg, "line", {"x1": _n(x1), "y1": _n(y1), "x2": _n(x2), "y2": _n(y2),
                                "stroke": color, "stroke-width": "1"})


def _amount(value: float, unit: str) -> str:
    return f"{_number(value)} {unit}" if unit else _number(value)


def _number(value: float) -> str:
    """1,234 or 40.5: thousands grouped, one decimal at most, no '.0' on a whole number."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _n(coordinate: float) -> str:
    # Two decimals are finer than any screen draws, and keep the markup short.
    return f"{coordinate:.2f}".rstrip("0").rstrip(".")
