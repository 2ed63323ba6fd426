"""Turns an engine Turn into TwiML, only through twilio's VoiceResponse, and remembers the result.

Action URLs are relative ('step?at=…'), so the same document is right behind any host or proxy
and can be rendered once per step and reused: a menu press costs a dictionary look-up here.
"""
from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from .engine import CallState, Turn, Utterance
from .flow import model

MAX_CACHED = 4096


def state_query(state: CallState, **extra) -> str:
    """The call's place, carried in the URL Twilio posts back (and signs) on the next request."""
    query = f"at={state.step.flow}:{state.step.step}&lang={state.language}&tries={state.tries}"
    return query + "".join(f"&{key}={value}" for key, value in extra.items())


def speak(parent, utterance: Utterance, flows: model.FlowSet) -> None:
    if utterance.audio:
        parent.play(f"../audio/{utterance.language}/{utterance.audio}")
    else:
        language = flows.language(utterance.language)
        parent.say(utterance.text, voice=language.voice or None, language=language.speech or None)
    if utterance.pause:
        parent.pause(length=utterance.pause)


class Renderer:
    """Renders turns; a turn that depends only on the flows is rendered once per flows version."""

    def __init__(self):
        self._cache: dict = {}

    def render(self, turn: Turn, flows: model.FlowSet, backup_line: str = "", caller_id: str = "") -> str:
        """`caller_id`: the number the backup line sees (the helpline's own, unless it is told to
        see the caller's)."""
        cacheable = not isinstance(turn.step, model.PERSON_STEPS)
        if cacheable:
            # Prompts are objects of this flows version, so their ids name them cheaply.
            key = (flows.version, turn.state,
                   tuple((id(u.prompt), u.language, u.pause) for u in turn.said))
            found = self._cache.get(key)
            if found is not None:
                return found
        response = VoiceResponse()
        for utterance in turn.said:
            speak(response, utterance, flows)
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
        for utterance in turn.asked:
            speak(gather, utterance, flows)
        # Silence: Twilio runs the verb after <Gather>; without one it would hang up on the caller.
        response.redirect("step?" + state_query(turn.state, heard="nothing"), method="POST")

    _languagemenu = _menu

    def _goodbye(self, response, turn, flows, **_):
        for utterance in turn.asked:
            speak(response, utterance, flows)
        response.hangup()

    def _connect(self, response, turn, flows, **_):
        """Ringing: the caller waits in the helpline's queue while professionals are called out."""
        for utterance in turn.asked:
            speak(response, utterance, flows)
        self._enqueue(response, turn)

    def _queue(self, response, turn, flows, **_):
        for utterance in turn.asked:
            speak(response, utterance, flows)
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
        for utterance in turn.asked:
            speak(response, utterance, flows)
        response.dial(backup_line, action="dialed?" + state_query(turn.state), method="POST",
                      answer_on_bridge=True, caller_id=caller_id or None)

    def _voicemail(self, response, turn, flows, **_):
        voicemail: model.Voicemail = turn.step
        for utterance in turn.asked:
            speak(response, utterance, flows)
        response.record(action="done?" + state_query(turn.state), method="POST",
                        max_length=voicemail.max_seconds, play_beep=True, finish_on_key="#", timeout=8)
        # A recording of pure silence skips the action; go on all the same.
        response.redirect("done?" + state_query(turn.state), method="POST")

    def _callback(self, response, turn, flows, **_):
        gather = response.gather(input="dtmf", action="callback-number?" + state_query(turn.state), method="POST",
                                 timeout=10, finish_on_key="#", num_digits=15)
        for utterance in turn.asked:
            speak(gather, utterance, flows)
        # Nothing typed: the number page asks again (and, after a few tries, finds them a person).
        response.redirect("callback-number?" + state_query(turn.state), method="POST")


def queue_name(team: str, language: str) -> str:
    return f"helpline-{team}-{language}"[:64]


# -- on hold -------------------------------------------------------------------------------------
def hold_page(state: CallState, flows: model.FlowSet, said: tuple, music: str, pause: int | None,
              hints_text: str) -> str:
    """The waitUrl document: what we tell the caller, then music (or a pause that ends when the wait
    does), all inside a <Gather> so keys and words work from the first word. A waitUrl may hold
    <Gather> with input dtmf and speech (https://www.twilio.com/docs/voice/twiml/enqueue), and
    "once the TwiML document located at the waitUrl runs out of verbs", Twilio asks for it again."""
    language = flows.language(state.language)
    response = VoiceResponse()
    gather = response.gather(input="dtmf speech", action="hold-key?" + state_query(state), method="POST",
                             num_digits=1, timeout=1, speech_timeout="auto", language=language.speech or None,
                             hints=hints_text or None, action_on_empty_result=False)
    for utterance in said:
        speak(gather, utterance, flows)
    if pause is not None:
        gather.pause(length=max(1, pause))
    else:
        gather.play(f"../audio/music/{music}")
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
def whisper(text: str, voice: str, action: str) -> str:
    """Played to whoever answered a professional's phone. Only a key press takes the call: a
    voicemail box or a pocket never does, and the leg then ends."""
    response = VoiceResponse()
    with response.gather(num_digits=1, timeout=8, action=action, method="POST") as gather:
        gather.say(text, voice=voice)
        gather.pause(length=1)
        gather.say(text, voice=voice)
    response.hangup()
    return str(response)


def professional_to_conference(text: str, voice: str, room: str, action: str) -> str:
    response = VoiceResponse()
    response.say(text, voice=voice)
    dial = response.dial(action=action, method="POST")
    dial.conference(room, beep=False, start_conference_on_enter=True, end_conference_on_exit=True)
    return str(response)


def dial_for_professional(text: str, voice: str, number: str, caller_id: str, action: str) -> str:
    """A professional calls a caller back through the helpline: the caller sees the helpline's number."""
    response = VoiceResponse()
    response.say(text, voice=voice)
    dial = response.dial(action=action, method="POST", caller_id=caller_id or None, timeout=30)
    dial.number(number)
    return str(response)


def ask_professional(text: str, voice: str, action: str) -> str:
    """One key from a professional; silence posts to `action` with no Digits."""
    response = VoiceResponse()
    with response.gather(num_digits=1, timeout=8, action=action, method="POST") as gather:
        gather.say(text, voice=voice)
    response.redirect(action, method="POST")
    return str(response)


def say_and_hang_up(text: str, voice: str) -> str:
    response = VoiceResponse()
    if text:
        response.say(text, voice=voice)
    response.hangup()
    return str(response)


def hints(menu: model.Menu, flows: model.FlowSet, language: str) -> str:
    """Words the speech recogniser should expect here: the menu's and the everywhere choices'."""
    phrases = []
    for option in getattr(menu, "options", ()):      # a menu's, or a queue's keys on hold
        phrases += option.words.for_language(language)
    for choice in flows.everywhere:
        phrases += choice.words.for_language(language)
    return ", ".join(dict.fromkeys(phrases))
