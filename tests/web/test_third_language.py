"""A language staff add to the flows works end to end: nothing in the code knows one language from
another. French is added to a copy of the shipped flows (every prompt and message, a key on the
language menu, a line of its own) and to the roster (one professional who speaks it)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import yaml

from ivr.sim.phone import HttpTransport, Phone, scripted
from like_twilio import AUTH_TOKEN, CALLER, parse_twiml, spoken

FRENCH_LINE = "+18005550177"
CLAIRE = "+12025550199"                  # the only professional who speaks French
FRENCH = {"name": "français", "voice": "Polly.Lea-Neural", "speech": "fr-FR", "press": ["appuyez sur"],
          "numbers": [FRENCH_LINE], "pronounce": {"911": "digits", "988": "digits"}}


def in_french(text):
    """A French text a test can recognise: the English one, marked."""
    if isinstance(text, dict):
        return {form: in_french(value) for form, value in text.items()}
    return "[fr] " + text.replace("press", "appuyez sur")


def add_french(flows_dir) -> None:
    for path in flows_dir.glob("*.yaml"):
        if path.name == "roster.yaml":
            continue
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "languages" in tree:
            tree["languages"]["fr"] = FRENCH
            for choice in tree["everywhere"]:
                choice["words"]["fr"] = [in_french(word).removeprefix("[fr] ") for word in choice["words"]["en"]]
            tree["messages"] = {name: {**texts, "fr": in_french(texts["en"])}
                                for name, texts in tree["messages"].items()}
            choose = tree["steps"]["choose-language"]
            choose["options"].append({"key": "3", "language": "fr", "words": {"fr": ["français"]}})
            tree["prompts"]["choose-language"]["fr"] = "Pour le français, appuyez sur 3."
        for name, prompt in tree.get("prompts", {}).items():
            prompt.setdefault("fr", in_french(prompt["en"]))
        path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    roster = flows_dir / "roster.yaml"
    text = roster.read_text(encoding="utf-8")
    assert "\nprofessionals:\n" in text
    roster.write_text(text.replace("\nprofessionals:\n", "\nprofessionals:\n  - {name: Claire Martin, phone: "
                                   f'"{CLAIRE}", languages: [fr], shifts: {{every-day: "00:00-24:00"}}}}\n', 1),
                      encoding="utf-8")


@pytest.fixture
def french_helpline(flows_dir, make_app, serve, twilio):
    add_french(flows_dir)
    app = make_app()
    assert app.extensions["ivr"].flows.current() is not None, app.extensions["ivr"].flows.problems
    return serve(app)


def call(server, twilio, *answers, line: str = "+18005550100") -> Phone:
    caller = Phone(HttpTransport(), AUTH_TOKEN, base_url=server.url, from_number=CALLER, to_number=line,
                   twilio=twilio)
    caller.call(scripted(list(answers)))
    assert not [h for h in caller.heard if h.kind in ("error", "cut-off")], caller.heard
    return caller


def rung(twilio) -> list:
    return [call.to for call in twilio.calls.values() if call.direction == "outbound-api"]


def test_a_caller_who_chooses_french_hears_only_french_and_rings_the_professional_who_speaks_it(
        french_helpline, twilio):
    caller = call(french_helpline, twilio, "3", "0")

    chosen = next(i for i, h in enumerate(caller.heard) if h.kind == "menu")     # the language menu
    after = [h for h in caller.heard[chosen + 1:] if h.kind == "say"]
    assert after, caller.heard
    assert {h.language for h in after} == {"fr-FR"}, [str(h) for h in after]
    assert all(h.text.startswith("[fr]") for h in after), [str(h) for h in after]
    assert rung(twilio) == [CLAIRE]
    assert [h.kind for h in caller.heard][-2:] == ["talk", "hangup"]


def test_a_call_to_the_french_line_starts_in_french(french_helpline, twilio):
    caller = call(french_helpline, twilio, "0", line=FRENCH_LINE)

    first = next(h for h in caller.heard if h.kind == "say")
    assert first.language == "fr-FR" and first.text.startswith("[fr]"), first
    assert rung(twilio) == [CLAIRE]


def test_the_professional_hears_the_offer_in_french(french_helpline, twilio):
    call(french_helpline, twilio, "3", "0")

    offers = [parse_twiml(body) for url, params, status, body in list(twilio.helpline.exchanges)
              if urlsplit(url).path == "/voice/offer" and status == 200]
    assert offers
    assert spoken(offers[0])[0] == "[fr] Helpline call in français. Press 1 to take it."
