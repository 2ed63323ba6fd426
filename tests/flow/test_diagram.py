"""The Flows page's diagrams: every key of every menu is an arrow to its step, the picture is an
SVG a screen reader can read as text, and loops, unreachable steps, odd names and very large
flows all draw."""
from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest

import flowgen
from ivr.flow import model
from ivr.flow.diagram import EVERYWHERE, Edge, flow_graph, flow_outline, flow_svg
from ivr.flow.loader import load_flows

SVG = "{http://www.w3.org/2000/svg}"
ENGLISH = model.Language("en", "English", "Polly.Joanna-Neural", "en-US")


def hand_made(*steps: model.Step, everywhere: tuple = ()) -> model.FlowSet:
    """A flow set built straight from the model: for names and shapes the loader would refuse."""
    return model.FlowSet(languages=(ENGLISH,), start=steps[0].ref, fallback=steps[-1].ref,
                         everywhere=everywhere, steps={step.ref: step for step in steps}, prompts={})


def option(key: str, goto: str) -> model.Option:
    return model.Option(key, model.Words(), model.Ref("main", goto))


def to(step: str) -> model.Ref:
    return model.Ref("main", step)


def texts(svg: str) -> list:
    return [element.text for element in ET.fromstring(svg).iter() if element.text]


def flow_names(flows: model.FlowSet) -> list:
    return sorted({ref.flow for ref in flows.steps})


# -- the shipped flows --------------------------------------------------------------------------
def test_every_key_of_the_main_menu_is_an_arrow_to_its_step(shipped_flows):
    graph = flow_graph(shipped_flows, "main")
    menu = shipped_flows.steps[model.Ref("main", "main-menu")]
    for choice in menu.options:
        assert Edge("main:main-menu", str(choice.goto), choice.key) in graph.edges


def test_every_option_of_a_shipped_menu_is_an_arrow_with_its_key(shipped_flows, menu):
    step = shipped_flows.steps[menu]
    arrows = {(edge.target, edge.label.split()[0]) for edge in flow_graph(shipped_flows, menu.flow).edges
              if edge.source == str(menu)}
    for choice in step.options:
        assert (str(step.target(choice)), choice.key) in arrows
    if step.back is not None:
        assert (str(step.back), step.back_key) in arrows


def test_the_language_menu_names_the_language_each_key_switches_to(shipped_flows):
    labels = {edge.label for edge in flow_graph(shipped_flows, "main").edges if edge.source == "main:choose-language"}
    assert {"1 (English)", "2 (español)"} <= labels


def test_each_step_leads_on_by_an_arrow_named_after_its_field(shipped_flows):
    edges = set(flow_graph(shipped_flows, "main").edges)
    assert Edge("main:emergency-notice", "main:welcome", "next") in edges
    assert Edge("main:talk-to-someone", "main:wait-for-someone", "nobody answers") in edges
    assert Edge("main:wait-for-someone", "main:backup", "after 300 s on hold") in edges
    assert Edge("main:main-menu", "main:talk-to-someone", "after 3 tries") in edges
    assert Edge("main:backup", "main:talk-to-someone", "unanswered") in edges    # the fallback


def test_an_arrow_into_another_flow_ends_at_a_box_marked_as_in_that_flow(shipped_flows):
    graph = flow_graph(shipped_flows, "main")
    target = graph.by_ref["health-info:myoclonus"]
    assert target.elsewhere and target.flow == "health-info"
    assert "say · in flow health-info" in texts(flow_svg(graph))
    back = flow_graph(shipped_flows, "health-info").by_ref["main:main-menu"]
    assert back.elsewhere and back.kind == "menu"


def test_the_everywhere_choices_are_drawn_once_not_at_every_menu(shipped_flows):
    for name in flow_names(shipped_flows):
        graph = flow_graph(shipped_flows, name)
        assert [e.label for e in graph.edges if e.source == EVERYWHERE] == [
            f"{c.key} ({c.name})" if c.key else c.name for c in shipped_flows.everywhere]
        assert not [e for e in graph.edges if e.source != EVERYWHERE and e.label.startswith("0")]


def test_each_shipped_flow_is_an_svg_image_that_scales_with_a_title_and_a_description(shipped_flows):
    for name in flow_names(shipped_flows):
        root = ET.fromstring(flow_svg(flow_graph(shipped_flows, name)))
        assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("width") == "100%"
        assert len(root.get("viewBox").split()) == 4
        assert root.find(f"{SVG}title").text.startswith(f"Flow {name}: ")
        assert root.get("aria-labelledby") == root.find(f"{SVG}title").get("id")
        assert root.get("aria-describedby") == root.find(f"{SVG}desc").get("id")
        assert not list(root.iter(f"{SVG}style"))
        assert all(element.get("style") is None for element in root.iter())    # the pages' CSP


def test_the_description_reads_every_step_and_key_in_words(shipped_flows):
    root = ET.fromstring(flow_svg(flow_graph(shipped_flows, "main")))
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("Flow main, starting at emergency-notice.")
    assert "main-menu (menu): 1 to health-info:myoclonus; 2 to health-info:opioid-link;" in desc
    assert "every menu (everywhere): crisis words to emergency; 0 (a person) to talk-to-someone." in desc
    for ref in shipped_flows.steps:
        if ref.flow == "main":
            assert f"{ref.step} (" in desc


def test_no_prompt_is_read_out_in_the_picture(shipped_flows):
    svg = flow_svg(flow_graph(shipped_flows, "main"))
    assert "Thank you for calling" not in svg and "911" not in svg


def test_the_legend_names_each_kind_of_step_drawn(shipped_flows):
    words = texts(flow_svg(flow_graph(shipped_flows, "health-info")))
    assert "say: reads information out" in words and "menu: waits for a key" in words
    assert "in another flow" in words
    assert not [w for w in words if w.startswith("goodbye:")]      # none in health-info


def test_the_outline_lists_each_step_once_with_where_its_keys_lead(shipped_flows):
    outline = flow_outline(flow_graph(shipped_flows, "health-info"))
    steps = [step for step, _, _ in outline]
    assert steps == ["every menu"] + [ref.step for ref in shipped_flows.steps if ref.flow == "health-info"]
    assert ("myoclonus-menu", "menu", [("1", "myoclonus"), ("2", "opioid-link"), ("9 back", "main:main-menu"),
                                       ("after 3 tries", "main:talk-to-someone")]) in outline


# -- odd shapes ---------------------------------------------------------------------------------
def test_a_step_name_with_markup_characters_is_escaped():
    odd = 'a<b>&"c'
    flows = hand_made(model.Say("main", "hello", goto=to(odd)), model.Connect("main", odd))
    graph = flow_graph(flows, "main")
    svg = flow_svg(graph)
    assert "<b>" not in svg and "&amp;" in svg
    assert odd in texts(svg)
    assert (odd, "connect", []) in flow_outline(graph)


def test_a_menu_that_leads_back_to_itself_and_to_the_main_menu_is_drawn_with_its_loops():
    flows = hand_made(
        model.Say("main", "welcome", goto=to("main-menu")),
        model.Menu("main", "main-menu", options=(option("1", "topic"),), after_tries=to("person")),
        model.Say("main", "topic", goto=to("topic-menu")),
        model.Menu("main", "topic-menu", options=(option("1", "topic-menu"), option("2", "main-menu")),
                   back=to("main-menu"), after_tries=to("person")),
        model.Connect("main", "person", if_nobody_answers=to("main-menu")),
    )
    graph = flow_graph(flows, "main")
    assert Edge("main:topic-menu", "main:topic-menu", "1") in graph.edges
    assert Edge("main:topic-menu", "main:main-menu", "2") in graph.edges
    root = ET.fromstring(flow_svg(graph))
    pairs = {(edge.source, edge.target) for edge in graph.edges}
    assert len(list(root.iter(f"{SVG}path"))) == 1 + len(pairs)   # the arrowhead, one arrow per pair
    assert all(node.reachable for node in graph.nodes)


def test_a_step_no_caller_can_reach_is_drawn_last_and_marked_not_reachable():
    flows = hand_made(
        model.Say("main", "welcome", goto=to("person")),
        model.Say("main", "forgotten", goto=to("welcome")),
        model.Connect("main", "person"),
    )
    graph = flow_graph(flows, "main")
    assert [node.ref for node in graph.nodes if not node.reachable] == ["main:forgotten"]
    assert ("forgotten", "say, not reachable", [("next", "welcome")]) in flow_outline(graph)
    root = ET.fromstring(flow_svg(graph))
    boxes = {group.find(f"{SVG}text").text: float(group.find(f"{SVG}rect").get("y"))
             for group in root.iter(f"{SVG}g") if group.find(f"{SVG}title") is not None}
    assert boxes["forgotten"] > max(boxes["welcome"], boxes["person"])
    assert "say · not reachable" in texts(ET.tostring(root, encoding="unicode"))


def test_a_words_only_choice_is_labelled_with_what_the_caller_says():
    words = model.Words((("en", ("housing", "a place to stay")),))
    flows = hand_made(model.Menu("main", "menu", options=(model.Option(None, words, to("person")),)),
                      model.Connect("main", "person"))
    assert Edge("main:menu", "main:person", 'says "housing"') in flow_graph(flows, "main").edges


# -- generated flows ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_every_way_out_of_every_generated_step_is_an_arrow(tmp_path, seed):
    flows = load_flows(flowgen.write_flows(tmp_path, flowgen.flow_files(random.Random(seed), 80))).flows
    for name in flow_names(flows):
        graph = flow_graph(flows, name)
        pairs = {(edge.source, edge.target) for edge in graph.edges}
        for ref, step in flows.steps.items():
            if ref.flow == name:
                assert {(str(ref), str(target)) for target in step.exits() if target} <= pairs
        assert all(node.reachable for node in graph.nodes)     # the loader lets no such step through
        ET.fromstring(flow_svg(graph))


def _step_names_drawn(flows, name) -> list:
    root = ET.fromstring(flow_svg(flow_graph(flows, name)))
    return [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "step-name"]


def test_a_thousand_step_flow_is_drawn_whole_with_every_step_once(tmp_path):
    # How long it takes is measured by scripts/bench_flows.py (the README's Speed), not here.
    flows = load_flows(flowgen.write_flows(tmp_path, flowgen.flow_files(random.Random(7), 1000, False))).flows
    steps = sorted(ref.step for ref in flows.steps if ref.flow == "main")
    assert len(steps) == 1000
    drawn = _step_names_drawn(flows, "main")
    assert sorted(name for name in drawn if name != "every menu") == steps      # and the box of 0 and the like


def test_arrow_labels_are_placed_apart_and_step_names_are_drawn_whole(shipped_flows):
    from ivr.flow.diagram_labels import label_box

    long_name = "a-step-whose-name-is-much-longer-than-a-box-of-two-hundred"
    crowded = hand_made(
        model.Menu("main", "m", options=tuple(option(str(k), long_name) for k in range(1, 10)), back=to("m"),
                   after_tries=to(long_name)),
        model.Say("main", long_name, goto=to("m")))
    for flows, name in [(shipped_flows, n) for n in flow_names(shipped_flows)] + [(crowded, "main")]:
        root = ET.fromstring(flow_svg(flow_graph(flows, name)))
        labels = [label_box(t.text, float(t.get("x")), float(t.get("y")), float(t.get("font-size")))
                  for t in root.iter(f"{SVG}text") if t.get("class") == "edge-label"]
        assert labels and not [(a, b) for i, a in enumerate(labels) for b in labels[i + 1:] if a.meets(b)]
        drawn = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "step-name"]
        assert all("…" not in text for text in drawn)
    assert long_name in drawn
