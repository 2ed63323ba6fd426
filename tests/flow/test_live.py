"""A running helpline picks up good edits and keeps playing the last good flows through bad ones."""
import logging
import shutil
from pathlib import Path

from ivr.flow.live import LiveFlows

SHIPPED = Path(__file__).resolve().parents[2] / "flows"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def copy_flows(tmp_path):
    target = tmp_path / "flows"
    shutil.copytree(SHIPPED, target)
    return target


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_valid_edit_takes_effect_after_the_check_interval(tmp_path):
    flows_dir, clock = copy_flows(tmp_path), Clock()
    live = LiveFlows(flows_dir, check_every=2.0, clock=clock)
    before = live.current()
    edit(flows_dir / "main.yaml", "For English, press 1.", "For English, press one.")
    assert live.current() is before              # not yet: checks are spaced out
    clock.now += 2.5
    after = live.current()
    assert after is not before
    assert after.prompts[("main", "choose-language")].text("en") == "For English, press one."


def test_a_broken_edit_is_logged_and_the_last_good_flows_keep_serving(tmp_path, caplog):
    flows_dir, clock = copy_flows(tmp_path), Clock()
    live = LiveFlows(flows_dir, check_every=1.0, clock=clock)
    good = live.current()
    edit(flows_dir / "main.yaml", "goto: welcome", "goto: welcom")
    clock.now += 5
    with caplog.at_level(logging.ERROR, logger="ivr.yamlfile.live"):
        assert live.current() is good
    assert "keeping the last good flows" in caplog.text
    assert "'goto' leads to 'welcom', which does not exist (did you mean 'welcome'?)" in caplog.text
    assert any("welcom" in str(p) for p in live.problems)
    # Fixing it brings the new version in.
    edit(flows_dir / "main.yaml", "goto: welcom\n", "goto: welcome\n")
    clock.now += 5
    assert live.current() is not good and live.current() is not None


def test_flows_broken_from_the_start_give_nothing_to_play_rather_than_a_broken_flow(tmp_path):
    flows_dir = copy_flows(tmp_path)
    edit(flows_dir / "main.yaml", "start: emergency-notice", "start: [oops")
    live = LiveFlows(flows_dir, check_every=0)
    assert live.current() is None
    errors = [problem for problem in live.problems if problem.is_error]
    assert errors and all(problem.file.endswith("main.yaml") for problem in errors)


def test_a_fixed_edit_is_logged_when_it_is_picked_up_and_broken_files_are_known_meanwhile(tmp_path, caplog):
    flows_dir, clock = copy_flows(tmp_path), Clock()
    live = LiveFlows(flows_dir, check_every=1.0, clock=clock)
    live.current()
    assert live.broken is False
    edit(flows_dir / "main.yaml", "goto: welcome", "goto: welcom")
    clock.now += 5
    live.current()
    assert live.broken is True
    edit(flows_dir / "main.yaml", "goto: welcom\n", "goto: welcome\n")
    clock.now += 5
    with caplog.at_level(logging.INFO, logger="ivr.yamlfile.live"):
        live.current()
    assert live.broken is False
    assert "are fixed: the saved edit is playing now" in caplog.text
