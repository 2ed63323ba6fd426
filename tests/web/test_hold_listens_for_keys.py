"""On hold, keys work all the time, and words are listened for only while the hold messages and
choices are said: Twilio bills speech recognition for as long as a <Gather> listens for it, and
noise in the room during the music would be taken as an answer. A queue step may opt in to words
during the music too (`listen_for_words_during_music: true`, flows/README.md "Words on hold, and
what they cost"). The hold page as Twilio gets it, over real HTTP with the shipped flows."""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from like_twilio import CALL_PARAMS, call_params, parse_twiml, signed_post

HELPLINE = CALL_PARAMS["To"]
QUEUE_STEP = "main:wait-for-someone"           # the shipped flows' queue step (max_wait: 300)
PAGE = f"at={QUEUE_STEP}&lang=en&tries=0"
CALLER_SID = "CA" + "4" * 32
OPT_IN = "listen_for_words_during_music: true"


def opt_in_to_words_during_music(flows_dir: Path) -> None:
    main = flows_dir / "main.yaml"
    text = main.read_text(encoding="utf-8")
    step = "  wait-for-someone:\n    type: queue\n"
    assert text.count(step) == 1, "the shipped queue step changed"
    main.write_text(text.replace(step, f"{step}    {OPT_IN}\n"), encoding="utf-8")


def hold_page(make_app, serve, waited_seconds: float):
    """The hold page of a caller who has waited `waited_seconds`, as Twilio gets it."""
    app = make_app()
    ivr = app.extensions["ivr"]
    ivr.waits.ask(CALLER_SID, "en", "recovery", QUEUE_STEP, HELPLINE,
                  ivr.now() - datetime.timedelta(seconds=waited_seconds))
    response = signed_post(f"{serve(app).url}/voice/hold?{PAGE}", call_params(CALLER_SID, QueueSid="QU" + "4" * 32))
    assert response.status_code == 200, response.text
    return parse_twiml(response.text)


def listening(document) -> list:
    """Each <Gather> of the page: (what it listens for, what it holds)."""
    return [(gather.get("input"), [verb.tag for verb in gather]) for gather in document.findall("Gather")]


def test_words_are_listened_for_while_the_choices_are_said_and_only_keys_during_the_music(make_app, serve):
    document = hold_page(make_app, serve, waited_seconds=30)

    gathers = listening(document)
    assert len(gathers) == 2, gathers
    (said_input, said), (music_input, music) = gathers
    assert set(said) == {"Say"} and said_input.split() == ["dtmf", "speech"]
    assert "Play" in music and "Say" not in music
    assert music_input == "dtmf"                   # not billed as speech recognition for the whole wait
    spoken, during_music = document.findall("Gather")
    assert spoken.get("speechTimeout") == "auto" and spoken.get("language") == "en-US"
    assert during_music.get("language") is None and during_music.get("hints") is None
    assert [verb.tag for verb in document][-1] == "Redirect"          # then the hold page again


def test_a_page_in_the_last_moments_of_the_wait_says_nothing_and_listens_for_keys_only(make_app, serve):
    document = hold_page(make_app, serve, waited_seconds=299)          # a second left of max_wait

    assert listening(document) == [("dtmf", ["Pause"])]


def test_a_queue_step_that_opts_in_listens_for_words_during_the_music_too(make_app, serve, flows_dir):
    opt_in_to_words_during_music(flows_dir)

    document = hold_page(make_app, serve, waited_seconds=30)

    gathers = listening(document)
    assert len(gathers) == 2, gathers
    assert gathers[0][0].split() == ["dtmf", "speech"]
    assert "Play" in gathers[1][1] and gathers[1][0].split() == ["dtmf", "speech"]


def test_the_opt_in_is_documented_with_its_cost_in_the_flows_readme():
    readme = (Path(__file__).resolve().parents[2] / "flows" / "README.md").read_text(encoding="utf-8")
    assert f"`{OPT_IN}`" in readme
    assert "billed as speech recognition for the whole wait" in " ".join(readme.split())
