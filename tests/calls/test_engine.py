"""How a call moves through the engine: languages, menus, retries, repeats, back, edits mid-call."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.calls.engine import CallState, Finished, Pressed, Silence, Spoke, advance, begin
from ivr.flow import model

PERSON = model.Ref("main", "talk-to-someone")
MAIN_MENU = model.Ref("main", "main-menu")
LANGUAGES = ["en", "es"]


def unused_key(flows, menu: model.Menu) -> str:
    """A digit that means nothing at this menu: no option, no everywhere choice, not repeat or back."""
    used = {o.key for o in menu.options} | {c.key for c in flows.everywhere} | {menu.repeat_key}
    if menu.back is not None:
        used.add(menu.back_key)
    return next(key for key in "123456789" if key not in used)


def failing(flows, menu: model.Menu, how: str):
    """An answer the menu cannot use, and the sorry prompt it should play for it."""
    if how == "wrong key":
        return Pressed(unused_key(flows, menu)), menu.when_invalid
    if how == "words that fit no choice":
        return Spoke("banana bread"), menu.when_invalid
    return Silence(), menu.when_silent


FAILURES = ["wrong key", "words that fit no choice", "silence"]


# -- choosing a language ---------------------------------------------------------------------------
@pytest.mark.parametrize("choice, language", [
    (Pressed("1"), "en"),
    (Pressed("2"), "es"),
    (Spoke("English"), "en"),
    (Spoke("inglés"), "en"),
    (Spoke("Spanish"), "es"),
    (Spoke("Español, por favor"), "es"),
    (Spoke("dos"), "es"),
    (Spoke("one"), "en"),
])
def test_the_language_a_caller_chooses_by_key_or_word_is_used_for_the_rest_of_the_call(call, choice, language):
    turns = [
        call(choice),
        call(choice, Pressed("1")),                                   # a topic
        call(choice, Pressed("1"), Pressed("*")),                     # hear its menu again
        call(choice, Pressed("1"), Pressed("4")),                     # a wrong key
        call(choice, Pressed("1"), Pressed("9")),                     # back to the main menu
        call(choice, Pressed("1"), Pressed("9"), Spoke("operator")),  # a person
        call(choice, Pressed("0"), Finished()),                       # nobody answered
        call(choice, Pressed("0"), Finished(), Pressed("1")),         # voicemail
    ]

    for turn in turns:
        assert turn.state.language == language
        assert {u.language for u in turn.said + turn.asked} == {language}


def test_the_main_menu_follows_the_language_choice(call):
    turn = call(Pressed("2"))

    assert turn.step.ref == MAIN_MENU
    assert turn.asked[0].text.startswith("Menú principal")


def test_before_choosing_a_language_the_caller_is_in_the_first_language(call):
    assert call().state.language == "en"


def test_a_state_in_a_language_the_flows_no_longer_have_continues_in_the_first_language(at):
    turn = at(MAIN_MENU, Pressed("0"), language="fr")

    assert turn.state.language == "en"
    assert turn.step.ref == PERSON


# -- wrong keys, silence, repeating ----------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("how", FAILURES)
def test_a_wrong_answer_or_silence_plays_the_sorry_prompt_then_the_menu_again(
        shipped_flows, at, menu, language, how):
    step = shipped_flows.step(menu)
    event, sorry = failing(shipped_flows, step, how)

    turn = at(menu, event, language)

    assert turn.said and {u.prompt for u in turn.said} == {sorry}
    assert turn.said[0].language == language
    assert turn.step.ref == menu
    assert turn.asked[0].prompt == step.prompt and turn.asked[0].language == language
    assert turn.state.tries == 1


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("how", FAILURES)
def test_after_tries_wrong_answers_or_silences_the_caller_reaches_a_person(
        shipped_flows, at, menu, language, how):
    step = shipped_flows.step(menu)
    event, _ = failing(shipped_flows, step, how)

    state = CallState(menu, language)
    for attempt in range(1, step.tries):
        turn = at(menu, event, language, tries=state.tries)
        assert turn.step.ref == menu, f"left the menu after {attempt} of {step.tries} tries"
        state = turn.state
    turn = at(menu, event, language, tries=state.tries)

    assert isinstance(turn.step, model.HUMAN_STEPS)
    assert turn.step.ref == step.after_tries
    assert turn.state.language == language


def test_a_caller_who_gets_the_main_menu_wrong_three_times_is_connected_to_a_recovery_professional(call):
    turn = call(Pressed("1"), Pressed("9"), Pressed("7"), Silence(), Pressed("8"))

    assert turn.step.ref == PERSON


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_repeat_key_plays_the_menu_again_without_a_sorry(shipped_flows, at, menu, language):
    step = shipped_flows.step(menu)

    turn = at(menu, Pressed(step.repeat_key), language)

    assert turn.said == ()
    assert turn.step.ref == menu
    assert [u.prompt for u in turn.asked][0] == step.prompt


def test_the_repeat_key_does_not_count_as_a_try(shipped_flows, at, menu):
    step = shipped_flows.step(menu)

    turn = at(menu, Pressed(step.repeat_key), tries=step.tries - 1)
    assert turn.state.tries == step.tries - 1
    for _ in range(step.tries * 2):
        turn = at(menu, Pressed(step.repeat_key), tries=turn.state.tries)
    assert turn.step.ref == menu

    last_try = at(menu, Silence(), tries=turn.state.tries)
    assert last_try.step.ref == step.after_tries


def test_a_good_answer_after_wrong_ones_starts_the_next_menu_with_every_try(call):
    turn = call(Pressed("1"), Pressed("7"), Silence(), Pressed("1"))

    assert turn.step.ref == model.Ref("health-info", "myoclonus-menu")
    assert turn.state.tries == 0


# -- going back ------------------------------------------------------------------------------------
def health_menus(flows) -> list:
    return [step for step in flows.steps.values() if isinstance(step, model.Menu) and step.flow == "health-info"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("answer", ["key", "word"])
def test_the_back_key_returns_from_every_health_menu_to_the_main_menu(shipped_flows, at, language, answer):
    menus = health_menus(shipped_flows)
    nine = {"en": "nine", "es": "nueve"}[language]

    assert menus
    for step in menus:
        assert step.back_key == "9"
        turn = at(step.ref, Pressed("9") if answer == "key" else Spoke(nine), language)
        assert turn.step.ref == MAIN_MENU, step.name
        assert turn.said == () and turn.asked[0].language == language


def test_the_back_key_means_nothing_at_a_menu_without_back(at):
    turn = at(MAIN_MENU, Pressed("9"))

    assert turn.step.ref == MAIN_MENU
    assert turn.state.tries == 1


# -- the flows changed under a call, and a person's line ended --------------------------------------
@pytest.mark.parametrize("stale", [
    model.Ref("main", "old-main-menu"),
    model.Ref("retired-flow", "some-menu"),
])
@pytest.mark.parametrize("event", [Pressed("1"), Spoke("myoclonus"), Silence(), Finished()])
def test_a_call_at_a_step_that_was_deleted_goes_to_the_fallback_in_its_language(
        shipped_flows, at, stale, event):
    turn = at(stale, event, language="es")

    assert turn.step.ref == shipped_flows.fallback
    assert turn.state.language == "es"


@pytest.mark.parametrize("language", LANGUAGES)
def test_when_nobody_answers_at_the_connect_step_the_caller_waits_on_hold_for_the_next_one(at, language):
    turn = at(PERSON, Finished(), language)

    assert turn.step.ref == model.Ref("main", "wait-for-someone")
    assert isinstance(turn.step, model.Queue)
    assert "911" in turn.asked[0].text and turn.asked[0].language == language


@pytest.mark.parametrize("key, kind", [("1", model.Voicemail), ("2", model.Callback), ("3", model.BackupLine)])
def test_on_hold_a_caller_can_choose_voicemail_a_call_back_or_the_partner_line(at, key, kind):
    assert isinstance(at("wait-for-someone", Pressed(key)).step, kind)


def test_on_hold_a_key_that_is_no_choice_keeps_the_caller_in_line(at):
    assert at("wait-for-someone", Pressed("7")).step.ref == model.Ref("main", "wait-for-someone")


def test_a_caller_who_waited_too_long_goes_to_the_partner_line(at):
    assert isinstance(at("wait-for-someone", Finished()).step, model.BackupLine)


@pytest.mark.parametrize("step", ["leave-voicemail", "request-callback"])
def test_after_a_voicemail_or_a_callback_request_the_caller_hears_goodbye(at, step):
    turn = at(step, Finished(), "es")

    assert isinstance(turn.step, model.Goodbye)
    assert "911" in turn.asked[0].text and turn.asked[0].language == "es"


# -- whatever a caller does ------------------------------------------------------------------------
EVENTS = st.one_of(
    st.sampled_from("0123456789*#").map(Pressed),
    st.sampled_from(["", "help", "operator", "dos", "nueve", "myoclonus", "qué hacer", "next",
                     "sobredosis", "English", "español"]).map(Spoke),
    st.just(Silence()),
    st.just(Finished()),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENTS, max_size=25))
def test_whatever_a_caller_does_the_call_waits_at_a_real_step_and_speaks_one_language(shipped_flows, now, events):
    turn = begin(shipped_flows, now)
    for event in events:
        before, was_at = turn.state.language, turn.step
        chose_a_language = isinstance(turn.step, model.LanguageMenu)
        turn = advance(shipped_flows, turn.state, event, now)

        assert isinstance(turn.step, model.WAITING_STEPS)
        assert turn.state.step == turn.step.ref
        # A key that cut a step's words short (barge-in) goes on with that step, without its words.
        cut_short = isinstance(event, (Pressed, Spoke)) and not isinstance(was_at, model.Menu) \
            and turn.step is was_at
        assert (turn.asked or cut_short) and all(u.text for u in turn.said + turn.asked)
        assert 0 <= turn.state.tries < getattr(turn.step, "tries", 1)
        if not chose_a_language:
            assert turn.state.language == before
            assert {u.language for u in turn.said + turn.asked} <= {before}


def test_crisis_words_in_spanish_before_a_language_is_chosen_go_on_in_spanish(shipped_flows, now):
    at_the_language_menu = begin(shipped_flows, now)
    assert isinstance(at_the_language_menu.step, model.LanguageMenu)

    turn = advance(shipped_flows, at_the_language_menu.state, Spoke("mi hijo tuvo una sobredosis"), now)

    assert turn.state.language == "es"
    assert turn.said[0].prompt.name == "emergency-now" and turn.said[0].language == "es"


def test_a_call_to_a_language_of_its_own_line_starts_in_that_language(shipped_flows, now):
    import dataclasses

    spanish = dataclasses.replace(shipped_flows.languages[1], numbers=("+18005550199",))
    flows = dataclasses.replace(shipped_flows, languages=(shipped_flows.languages[0], spanish))

    assert begin(flows, now, "+18005550199").state.language == "es"
    assert begin(flows, now, "+18005550100").state.language == "en"
