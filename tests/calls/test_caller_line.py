"""A caller's own call at call-control depth (ivr/calls/caller_line.py, ivr/calls/on_hold.py): the
shipped flows, the real records (SQLite and PostgreSQL), a fixed clock, and a call control that
answers as told — so each rule is seen without a web request."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.calls.caller_line import CallerLine, HangUp, ToBackupLine
from ivr.calls.decisions import Bridge, GoTo, Leave, NotNeeded, Overflow, Stay
from ivr.calls import engine as menus
from ivr.calls.engine import CallState, Pressed, Spoke
from ivr.calls.links import Links
from ivr.calls.on_hold import HoldPage, Join, OnHold
from ivr.calls.hold_page import RINGING
from ivr.calls.routing import why_nobody
from ivr.flow import model
from ivr.store.calls import CallRecords
from ivr.store.schema import calls as calls_table

CALL, CALLER, LINE = "CA" + "7" * 32, "+12025550199", "+18005550100"
LINKS = Links("https://helpline.example")
MAIN_MENU = CallState(model.Ref("main", "main-menu"), "en", 0)
ON_HOLD = CallState(model.Ref("main", "wait-for-someone"), "en", 0)
RINGING_STEP = CallState(model.Ref("main", "talk-to-someone"), "en", 0)


class ToldControl:
    """Call control as a test tells it: who can be rung, what the hold page and the queue say."""

    def __init__(self, asked=True, hold=None, after=None, partner_back=True):
        self.asked, self.hold, self.after, self.partner_back = asked, hold, after, partner_back
        self.asks, self.choices, self.ended = [], [], []

    def ask_for_person(self, call_sid, step, language, line, links):
        self.asks.append(str(step.ref))
        return self.asked(step) if callable(self.asked) else self.asked

    def on_hold(self, call_sid, queue_sid, links):
        return self.hold

    def choose_on_hold(self, call_sid, goto):
        self.choices.append(str(goto))
        return True

    def after_queue(self, call_sid, result, step=None):
        return self.after

    def partner_line_unanswered(self, call_sid, call_status=""):
        return self.partner_back

    def caller_ended(self, call_sid):
        self.ended.append(call_sid)


class NoticesHeard:
    def __init__(self):
        self.woken = []

    def soon(self, base_url):
        self.woken.append(base_url)


class NoRoster:
    def current(self):
        return None


@pytest.fixture
def records(engine):
    made = CallRecords(engine, hash_key="test-key")
    yield made
    made.close()


def line_with(records, now, control, notices=None) -> CallerLine:
    return CallerLine(NoRoster(), records, control, None, notices or NoticesHeard(), lambda: now, "test-key")


def recorded(records, engine):
    records.flush()
    with engine.connect() as connection:
        return connection.execute(select(calls_table).where(calls_table.c.call_sid == CALL)).first()


def outcome(records, engine) -> str | None:
    row = recorded(records, engine)
    return row.outcome if row else None


def test_pressing_0_asks_call_control_for_a_person_and_the_caller_waits(records, engine, shipped_flows, now):
    control = ToldControl(asked=True)
    turn = line_with(records, now, control).next_turn(shipped_flows, MAIN_MENU, Pressed("0"), CALL, LINE, LINKS)

    assert isinstance(turn.step, model.Connect) and control.asks == ["main:talk-to-someone"]
    assert recorded(records, engine).waiting_since is not None


def test_nobody_to_ring_goes_straight_on_to_the_queue_keeping_what_was_about_to_be_said(
        records, shipped_flows, now):
    control = ToldControl(asked=lambda step: isinstance(step, model.Queue))
    turn = line_with(records, now, control).next_turn(shipped_flows, MAIN_MENU, Spoke("overdose"), CALL, LINE,
                                                      LINKS)

    assert isinstance(turn.step, model.Queue)
    assert control.asks == ["main:talk-to-someone", "main:wait-for-someone"]
    assert turn.said and "911" in " ".join(u.text for u in turn.said)     # the emergency numbers first


def test_with_the_database_down_a_caller_asking_for_a_person_goes_to_the_backup_line_at_once(
        records, shipped_flows, now):
    control = ToldControl()
    records.writer._down = True   # a write failed a moment ago (store/call_writer.py database_down)
    decision = line_with(records, now, control).next_turn(shipped_flows, MAIN_MENU, Pressed("0"), CALL, LINE, LINKS)

    assert decision == ToBackupLine("database") and control.asks == []


def test_without_good_flows_every_turn_is_the_backup_line(records, now):
    line = line_with(records, now, ToldControl())

    assert isinstance(line.first_turn(None, CALL, LINE, LINKS), ToBackupLine)
    assert isinstance(line.next_turn(None, MAIN_MENU, Pressed("1"), CALL, LINE, LINKS), ToBackupLine)


def test_a_voicemail_left_is_kept_the_professionals_texted_and_the_caller_hears_goodbye(
        records, engine, shipped_flows, now):
    notices = NoticesHeard()
    at = CallState(model.Ref("main", "leave-voicemail"), "en", 0)
    turn = line_with(records, now, ToldControl(), notices).left_voicemail(
        shipped_flows, at, CALL, CALLER, LINE, "https://api.twilio.com/rec/RE1", 42, LINKS)

    assert isinstance(turn.step, model.Goodbye)
    assert outcome(records, engine) == "voicemail" and notices.woken == ["https://helpline.example"]


def test_the_partner_line_unanswered_brings_a_caller_on_the_line_back_and_hangs_up_on_one_who_left(
        records, shipped_flows, now):
    at = CallState(model.Ref("main", "backup"), "en", 0)
    back = line_with(records, now, ToldControl(partner_back=True)).partner_line_ended(
        shipped_flows, at, CALL, "no-answer", "in-progress", LINE, LINKS)
    gone = line_with(records, now, ToldControl(partner_back=False)).partner_line_ended(
        shipped_flows, at, CALL, "no-answer", "completed", LINE, LINKS)

    assert not isinstance(back, (HangUp, ToBackupLine))
    assert gone == HangUp()


def test_a_final_status_tells_call_control_the_caller_is_gone(records, now):
    control = ToldControl()
    line = line_with(records, now, control)
    line.status(CALL, "ringing", None, CALLER, 0)
    line.status(CALL, "completed", 60, CALLER, 1)

    assert control.ended == [CALL]


# -- on hold ---------------------------------------------------------------------------------------
def on_hold(records, now, control, tmp_path) -> OnHold:
    return OnHold(control, records, line_with(records, now, control), lambda: now, tmp_path)


def test_a_hold_page_says_why_nobody_is_free_and_the_place_in_line_then_music(records, shipped_flows, now, tmp_path):
    stay = Stay(ahead=2, typical_wait=None, remaining=600, why=why_nobody.ALL_ON_CALLS)
    page = on_hold(records, now, ToldControl(hold=stay), tmp_path).page(shipped_flows, ON_HOLD, CALL, "QU1", LINKS)

    assert isinstance(page, HoldPage) and page.music and page.pause is None and not page.words
    texts = [u.text for u in page.said]
    assert texts[0] == menus.message(shipped_flows, "hold-all-on-calls", "en").text
    assert "2" in texts[1]


def test_a_hold_page_asked_for_in_the_last_seconds_of_the_wait_says_nothing_and_waits_them_out(
        records, shipped_flows, now, tmp_path):
    stay = Stay(ahead=0, typical_wait=None, remaining=3, why="")
    page = on_hold(records, now, ToldControl(hold=stay), tmp_path).page(shipped_flows, ON_HOLD, CALL, "QU1", LINKS)

    assert (page.said, page.music, page.pause) == ((), None, 3)


def test_while_phones_ring_the_caller_hears_ringing_and_a_crisis_word_is_listened_for(
        records, shipped_flows, now, tmp_path):
    stay = Stay(ahead=0, typical_wait=None, remaining=None, why="")
    page = on_hold(records, now, ToldControl(hold=stay), tmp_path).page(shipped_flows, RINGING_STEP, CALL, "", LINKS)

    assert (page.said, page.music, page.words) == ((), RINGING, True)


def test_a_stale_hold_url_or_a_wait_that_is_over_leaves_the_queue(records, shipped_flows, now, tmp_path):
    hold = on_hold(records, now, ToldControl(hold=Leave()), tmp_path)

    assert isinstance(hold.page(shipped_flows, ON_HOLD, CALL, "QU1", LINKS), Leave)
    assert isinstance(hold.page(shipped_flows, MAIN_MENU, CALL, "QU1", LINKS), Leave)     # not a waiting step


def test_a_choice_on_hold_is_handed_to_call_control_and_a_key_that_is_none_is_not(
        records, shipped_flows, now, tmp_path):
    control = ToldControl()
    hold = on_hold(records, now, control, tmp_path)
    assert hold.key(shipped_flows, ON_HOLD, CALL, "1", "")
    assert hold.key(shipped_flows, ON_HOLD, CALL, "7", "")

    assert control.choices == ["main:leave-voicemail"]


def test_a_key_on_a_stale_hold_url_leaves_the_queue_so_its_action_decides(records, shipped_flows, now, tmp_path):
    control = ToldControl()

    assert not on_hold(records, now, control, tmp_path).key(shipped_flows, MAIN_MENU, CALL, "1", "")
    assert control.choices == []


@pytest.mark.parametrize("after, expected", [
    (Bridge("room-1"), Join("room-1")),
    (NotNeeded("gone"), HangUp(caller_gone=True)),
    (Overflow(None), ToBackupLine("overflow")),
], ids=["accepted", "hung-up", "backup-line"])
def test_leaving_the_queue(records, engine, shipped_flows, now, tmp_path, after, expected):
    decision = on_hold(records, now, ToldControl(after=after), tmp_path).left_queue(
        shipped_flows, ON_HOLD, CALL, "", LINE, LINKS)

    assert decision == expected
    assert outcome(records, engine) == {Join: "talked", HangUp: "abandoned", ToBackupLine: None}[type(expected)]


def test_a_choice_made_on_hold_is_where_the_caller_goes_after_the_queue(records, shipped_flows, now, tmp_path):
    goto = model.Ref("main", "leave-voicemail")
    turn = on_hold(records, now, ToldControl(after=GoTo(goto)), tmp_path).left_queue(
        shipped_flows, ON_HOLD, CALL, "leave", LINE, LINKS)

    assert turn.step.ref == goto
