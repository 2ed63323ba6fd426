"""The fast reader (rapidyaml) must read every file it accepts exactly as PyYAML does."""
import random
from pathlib import Path

import pytest

import flowgen
from ivr.flow.yaml_fast import NotPlain, read_fast
from ivr.flow.yaml_source import Mapping, Scalar, Sequence, read_yaml

SHIPPED = Path(__file__).resolve().parents[2] / "flows"


def plain(node):
    """A located tree as plain data, with what matters to the flows: values, types, quoting."""
    if isinstance(node, Mapping):
        return {key: plain(value) for key, (_, value) in node.entries.items()}
    if isinstance(node, Sequence):
        return [plain(item) for item in node.items]
    assert isinstance(node, Scalar)
    return (type(node.value).__name__, node.value)


def assert_read_alike(text: str):
    careful, problems = read_yaml(text, "x.yaml")
    try:
        fast = read_fast(text.encode())
    except NotPlain:
        return False
    assert not problems, f"the fast path accepted a file PyYAML objects to: {problems}"
    assert plain(fast) == plain(careful)
    return True


@pytest.mark.parametrize("name", sorted(p.name for p in SHIPPED.glob("*.yaml")))
def test_the_shipped_flows_read_the_same_on_both_paths(name):
    assert assert_read_alike((SHIPPED / name).read_text())


@pytest.mark.parametrize("seed", range(12))
def test_generated_flows_read_the_same_on_both_paths(seed):
    for text in flowgen.flow_files(random.Random(seed), 40).values():
        assert assert_read_alike(text)


TRICKY = [
    "a: no\nb: 'no'\nc: on\nd: 010\ne: 1_000\nf: 2026-12-25\ng: ~\nh:\ni: 12:30\nj: .inf\n",
    "a: >-\n  folded\n  text\nb: |\n  kept\n  lines\nc: \"double\"\nd: 'it''s'\n",
    "a: Mioclonía, señales\nb: [uno, dos, 'tres']\nc: {en: x, es: y}\n",
    "a: multi\n  line plain\nb: 'multi\n  line quoted'\n",
    "- a\n- b: c\n  d: e\n",
    "key: value # a comment\n# another\nother: 'x # not a comment'\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_but_plain_yaml_reads_the_same_on_both_paths(text):
    assert_read_alike(text)


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n", "a: !!python/object/apply:os.system [ls]\n", "a: &x 1\nb: *x\n",
    "a: \"\\q\"\n", "a: b: c\n", "<<: {a: 1}\n", "a: @x\n", "a:\tb\n", "a: 2026-02-30\n",
])
def test_anything_unusual_is_left_to_pyyaml(text):
    with pytest.raises(NotPlain):
        read_fast(text.encode())
