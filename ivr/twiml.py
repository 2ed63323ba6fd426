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

    def render(self, turn: Turn, flows: model.FlowSet, people: tuple = (), backup_line: str = "",
               tried: tuple = ()) -> str:
        """people: ((id, number, whisper url, leg status url), ...) to ring for a connect step."""
        cacheable = not isinstance(turn.step, model.HUMAN_STEPS)
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
        handler(response, turn, flows, people=people, backup_line=backup_line, tried=tried)
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

    def _connect(self, response, turn, flows, people=(), backup_line="", tried=(), **_):
        connect: model.Connect = turn.step
        for utterance in turn.asked:
            speak(response, utterance, flows)
        ringing = tuple(tried) + tuple(person_id for person_id, _, _, _ in people)
        extra = {"tried": ".".join(ringing)} if ringing else {}
        dial = response.dial(action="dialed?" + state_query(turn.state, **extra), method="POST",
                             timeout=connect.ring_seconds, answer_on_bridge=True)
        if not people:
            dial.number(backup_line)        # no roster to choose from: the backup line answers
        for _, number, whisper, leg in people:
            dial.number(number, url=whisper, method="POST", status_callback=leg, status_callback_method="POST",
                        status_callback_event="initiated ringing answered completed")

    def _queue(self, response, turn, flows, **_):
        queue: model.Queue = turn.step
        for utterance in turn.asked:
            speak(response, utterance, flows)
        # One queue per team and language, so a Spanish caller waits for a Spanish speaker.
        response.enqueue(f"helpline-{queue.team}-{turn.state.language}", action="queued?" + state_query(turn.state),
                         method="POST", wait_url="hold?" + state_query(turn.state), wait_url_method="POST")

    def _backupline(self, response, turn, flows, backup_line="", **_):
        for utterance in turn.asked:
            speak(response, utterance, flows)
        response.dial(backup_line, action="dialed?" + state_query(turn.state), method="POST",
                      answer_on_bridge=True)

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


def hints(menu: model.Menu, flows: model.FlowSet, language: str) -> str:
    """Words the speech recogniser should expect here: the menu's and the everywhere choices'."""
    phrases = []
    for option in menu.options:
        phrases += option.words.for_language(language)
    for choice in flows.everywhere:
        phrases += choice.words.for_language(language)
    return ", ".join(dict.fromkeys(phrases))
