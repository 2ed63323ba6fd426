"""Turns an engine Turn into TwiML, only through twilio's VoiceResponse, and remembers the result.

Action URLs are relative ('step?at=…'), so the same document is right behind any host or proxy
and can be rendered once per step and reused: a menu press costs a dictionary look-up here.
"""
from __future__ import annotations

from urllib.parse import quote

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from ..calls.engine import CallState, Turn, Utterance
from ..flow import model
from ..flow.pronounce import PHONEME, SAY_AS, SUB, pieces

MAX_CACHED = 4096


def state_query(state: CallState, **extra) -> str:
    """The call's place, carried in the URL Twilio posts back (and signs) on the next request."""
    # Flow and step names are whatever staff typed ('q&a', 'café menu'): encoded, so an '&' or a
    # '#' in a name can never cut the URL short or add a parameter.
    query = f"at={quote(str(state.step), safe=':')}&lang={quote(state.language)}&tries={state.tries}"
    return query + "".join(f"&{key}={quote(str(value))}" for key, value in extra.items())


def speak(parent, utterance: Utterance | None, flows: model.FlowSet) -> None:
    if utterance is None:
        return
    if utterance.audio:
        parent.play(f"../audio/{utterance.language}/{utterance.audio}")
    else:
        say_pronounced(parent, utterance.text, flows.language(utterance.language))
    if utterance.pause:
        parent.pause(length=utterance.pause)


def _named(said: tuple) -> tuple:
    """Utterances as a cache key: a flows prompt by its id (it lives as long as its flows
    version); a message put together now (no file) by its value, as its object does not live on."""
    return tuple((id(u.prompt) if u.prompt.file else u.prompt, u.language, u.pause) for u in said)


def interruptible(response, turn: Turn, flows: model.FlowSet, options=()) -> None:
    """Everything said before a step that does not take keys itself (a goodbye, a voicemail, the
    ringing), inside a <Gather>: 0, the crisis words and the step's own keys work from the first
    word. A key or words cut the speech short and post to the step again; with none, Twilio goes
    on to the next verb ("If no input is received before timeout, Twilio falls through to the
    next verb": https://www.twilio.com/docs/voice/twiml/gather), after `timeout`, whose least
    is one second."""
    spoken = turn.said + turn.asked
    if not spoken:
        return
    language = flows.language(turn.state.language)
    gather = response.gather(
        input="dtmf speech", action="step?" + state_query(turn.state, during="1"), method="POST",
        timeout=1, num_digits=1, finish_on_key="", speech_timeout="auto",
        language=language.speech or None, hints=_hints(options, flows, turn.state.language) or None,
        action_on_empty_result=False)
    for utterance in spoken:
        speak(gather, utterance, flows)


def say_pronounced(parent, text: str, language: model.Language):
    """One <Say>: the text, with the language's pronounce rules as SSML around their words
    (https://www.twilio.com/docs/voice/twiml/say/text-speech). Never say(text) and then nested
    strings: twilio's TwiML keeps only the last string before a child element."""
    say = parent.say(voice=language.voice or None, language=language.speech or None)
    for piece in pieces(text, language.pronounce):
        rule = piece.rule
        if rule is None:
            say.nest(piece.text)
        elif rule.element == SAY_AS:
            say.say_as(piece.text, interpret_as=rule.value)
        elif rule.element == SUB:
            say.sub(piece.text, alias=rule.value)
        elif rule.element == PHONEME:
            say.phoneme(piece.text, alphabet="ipa", ph=rule.value)
        else:                                      # 'number': the voice's own reading
            say.nest(piece.text)
    return say


class Renderer:
    """Renders turns; a turn that depends only on the flows is rendered once per flows version."""

    def __init__(self):
        self._cache: dict = {}

    def render(self, turn: Turn, flows: model.FlowSet, backup_line: str = "", caller_id: str = "") -> str:
        """`caller_id`: the number the backup line sees (the helpline's own, unless it is told to
        see the caller's)."""
        cacheable = not isinstance(turn.step, model.PERSON_STEPS)
        if cacheable:
            # Prompts are objects of this flows version, so their ids name them cheaply; a message
            # put together now (no file) is named by its value, as its object does not live on.
            key = (flows.version, turn.state, _named(turn.said), _named(turn.asked))
            found = self._cache.get(key)
            if found is not None:
                return found
        response = VoiceResponse()
        handler = getattr(self, "_" + type(turn.step).__name__.lower(), None)
        handler(response, turn, flows, backup_line=backup_line, caller_id=caller_id)
        xml = str(response)
        if cacheable:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[key] = xml
        return xml

    def _menu(self, response, turn: Turn, flows, **_):
        menu: model.Menu = turn.step
        language = flows.language(turn.state.language)
        gather = response.gather(
            input="dtmf speech", action="step?" + state_query(turn.state), method="POST",
            timeout=menu.timeout, num_digits=1, finish_on_key="", speech_timeout="auto",
            language=language.speech, hints=hints(menu, flows, turn.state.language) or None,
            action_on_empty_result=False,
        )
        for utterance in turn.said + turn.asked:     # keys work from the first word of what leads here
            speak(gather, utterance, flows)
        # Silence: Twilio runs the verb after <Gather>; without one it would hang up on the caller.
        response.redirect("step?" + state_query(turn.state, heard="nothing"), method="POST")

    _languagemenu = _menu

    def _goodbye(self, response, turn, flows, **_):
        interruptible(response, turn, flows)
        response.hangup()

    def _connect(self, response, turn, flows, **_):
        """Ringing: the caller waits in the helpline's queue while professionals are called out."""
        interruptible(response, turn, flows)
        self._enqueue(response, turn)

    def _queue(self, response, turn, flows, **_):
        interruptible(response, turn, flows, turn.step.options)
        self._enqueue(response, turn)

    @staticmethod
    def _enqueue(response, turn):
        step = turn.step
        # One Twilio queue per team and language ("Queues persist", so not one per call:
        # https://www.twilio.com/docs/voice/api/queue-resource); who is offered whom is decided by
        # call control, and a caller is taken out by the REST API or <Leave>.
        response.enqueue(queue_name(step.team, turn.state.language), action="queued?" + state_query(turn.state),
                         method="POST", wait_url="hold?" + state_query(turn.state), wait_url_method="POST")

    def _backupline(self, response, turn, flows, backup_line="", caller_id=None, **_):
        interruptible(response, turn, flows)
        response.dial(backup_line, action="dialed?" + state_query(turn.state), method="POST",
                      answer_on_bridge=True, caller_id=caller_id or None)

    def _voicemail(self, response, turn, flows, **_):
        voicemail: model.Voicemail = turn.step
        interruptible(response, turn, flows)
        response.record(action="done?" + state_query(turn.state), method="POST",
                        max_length=voicemail.max_seconds, play_beep=True, finish_on_key="#", timeout=8)
        # A recording of pure silence skips the action; go on all the same.
        response.redirect("done?" + state_query(turn.state), method="POST")

    def _callback(self, response, turn, flows, **_):
        gather = response.gather(input="dtmf", action="callback-number?" + state_query(turn.state), method="POST",
                                 timeout=10, finish_on_key="#", num_digits=15)
        for utterance in turn.said + turn.asked:     # 0 alone, then silence: a person (callback.py)
            speak(gather, utterance, flows)
        # Nothing typed: the number page asks again (and, after a few tries, finds them a person).
        response.redirect("callback-number?" + state_query(turn.state), method="POST")


def queue_name(team: str, language: str) -> str:
    return f"helpline-{team}-{language}"[:64]


# -- on hold -------------------------------------------------------------------------------------
def hold_page(state: CallState, flows: model.FlowSet, said: tuple, music: str | None, pause: int | None,
              hints_text: str, words_during_music: bool = False) -> str:
    """The waitUrl document: what we tell the caller, then music and/or a pause (that ends when the
    wait does). Keys work throughout; spoken words are listened for while the choices are said, and
    during the music only when `words_during_music` (speech recognition is billed for as long as a
    <Gather> listens, and background noise would end the music).

    The Enqueue page lists <Gather> among a waitUrl's verbs, with `dtmf` and `speech` as its input
    values (https://www.twilio.com/docs/voice/twiml/enqueue); whether "dtmf speech" together is taken
    there is not settled by the docs. "Once the TwiML document located at the waitUrl runs out of
    verbs", Twilio asks for it again."""
    language = flows.language(state.language)
    response = VoiceResponse()
    action = "hold-key?" + state_query(state)

    def listening(words: bool):
        if not words:
            return response.gather(input="dtmf", action=action, method="POST", num_digits=1, timeout=1,
                                   action_on_empty_result=False)
        return response.gather(input="dtmf speech", action=action, method="POST", num_digits=1, timeout=1,
                               speech_timeout="auto", language=language.speech or None, hints=hints_text or None,
                               action_on_empty_result=False)

    if said:
        spoken = listening(True)
        for utterance in said:
            speak(spoken, utterance, flows)
    during_music = listening(words_during_music)
    if music is not None:
        during_music.play(f"../audio/music/{music}")
    if pause is not None:
        during_music.pause(length=max(1, pause))
    response.redirect("hold?" + state_query(state), method="POST")
    return str(response)


def leave_queue() -> str:
    response = VoiceResponse()
    response.leave()
    return str(response)


def back_to_hold(state: CallState) -> str:
    """After a key on hold that changes nothing: the hold page again (still in the queue)."""
    response = VoiceResponse()
    response.redirect("hold?" + state_query(state), method="POST")
    return str(response)


def caller_to_conference(room: str, state: CallState) -> str:
    """The caller joins the professional who accepted; when either hangs up, the talk is over."""
    response = VoiceResponse()
    dial = response.dial(action="bridged?" + state_query(state), method="POST")
    dial.conference(room, beep=False, start_conference_on_enter=True, end_conference_on_exit=True)
    return str(response)


# -- a professional's leg -----------------------------------------------------------------------
def whisper(said: Utterance | None, flows: model.FlowSet | None, action: str) -> str:
    """Played to whoever answered a professional's phone. Only a key press takes the call: a
    voicemail box or a pocket never does, and the leg then ends."""
    response = VoiceResponse()
    with response.gather(num_digits=1, timeout=8, action=action, method="POST") as gather:
        speak(gather, said, flows)
        gather.pause(length=1)
        speak(gather, said, flows)
    response.hangup()
    return str(response)


def professional_to_conference(said: Utterance | None, flows: model.FlowSet | None, room: str, action: str) -> str:
    response = VoiceResponse()
    speak(response, said, flows)
    dial = response.dial(action=action, method="POST")
    dial.conference(room, beep=False, start_conference_on_enter=True, end_conference_on_exit=True)
    return str(response)


def dial_for_professional(said: Utterance | None, flows: model.FlowSet | None, number: str, caller_id: str, action: str) -> str:
    """A professional calls a caller back through the helpline: the caller sees the helpline's number."""
    response = VoiceResponse()
    speak(response, said, flows)
    dial = response.dial(action=action, method="POST", caller_id=caller_id or None, timeout=30)
    dial.number(number)
    return str(response)


def ask_professional(said: Utterance | None, flows: model.FlowSet | None, action: str) -> str:
    """One key from a professional; silence posts to `action` with no Digits."""
    response = VoiceResponse()
    with response.gather(num_digits=1, timeout=8, action=action, method="POST") as gather:
        speak(gather, said, flows)
    response.redirect(action, method="POST")
    return str(response)


def say_and_hang_up(said: tuple = (), flows: model.FlowSet | None = None) -> str:
    response = VoiceResponse()
    for utterance in said:
        speak(response, utterance, flows)
    response.hangup()
    return str(response)


# -- a callback number ---------------------------------------------------------------------------
def read_back(said: Utterance | None, flows: model.FlowSet | None, state: CallState) -> str:
    """The number they typed, read back: 1 confirms it; silence asks again."""
    response = VoiceResponse()
    gather = response.gather(input="dtmf", num_digits=1, timeout=8, method="POST",
                             action="callback-confirm?" + state_query(state))
    speak(gather, said, flows)
    response.redirect("callback-confirm?" + state_query(state), method="POST")
    return str(response)


# -- the answer of last resort -------------------------------------------------------------------
def backup_line(number: str, before: tuple, after: tuple, flows: model.FlowSet | None) -> str:
    """What went wrong, the backup line, and what to do if even that does not answer."""
    response = VoiceResponse()
    for utterance in before:
        speak(response, utterance, flows)
    response.dial(number, answer_on_bridge=True)
    for utterance in after:            # reached only when the backup line did not answer or has hung up
        speak(response, utterance, flows)
    response.hangup()
    return str(response)


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def nothing_more() -> str:
    """An empty document: the caller has hung up, so there is nobody left to say anything to."""
    return str(VoiceResponse())


# -- texts -----------------------------------------------------------------------------------------
def text_reply(text: str | None = None, status_url: str = "") -> str:
    """A reply to a text, as a <Message>, or no reply at all. Its `action` is where Twilio sends
    "status callbacks for the created outbound message" (the twilio library's words for the TwiML
    attribute, which replaces statusCallback): a reply blocked on its way — from a toll-free number
    not verified — is then seen by the leads like an undelivered notice."""
    response = MessagingResponse()
    if text:
        response.message(text, action=status_url, method="POST")
    return str(response)


def hints(menu: model.Menu, flows: model.FlowSet, language: str) -> str:
    """Words the speech recogniser should expect here: the menu's and the everywhere choices'."""
    return _hints(getattr(menu, "options", ()), flows, language)     # a menu's, or a queue's keys on hold


def _hints(options, flows: model.FlowSet, language: str) -> str:
    phrases = []
    for option in options:
        phrases += option.words.for_language(language)
    for choice in flows.everywhere:
        phrases += choice.words.for_language(language)
    return ", ".join(dict.fromkeys(phrases))


# -- `ivr twilio rehearse` -----------------------------------------------------------------------
def rehearsal_caller(seconds: int) -> str:
    """The rehearsal's caller side: silence that keeps the call open while its SendDigits press
    through the menus (the keys are sent by Twilio, not by this TwiML)."""
    response = VoiceResponse()
    response.pause(length=seconds)
    return str(response)


def stand_in_presses(digits: str, seconds: int) -> str:
    """The stand-in professional's number answers the helpline's leg and presses `digits` into the
    whisper (<Play digits>: https://www.twilio.com/docs/voice/twiml/play), then stays on the line."""
    response = VoiceResponse()
    response.play(digits=digits)
    response.pause(length=seconds)
    return str(response)
