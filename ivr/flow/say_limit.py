"""How much text one <Say> can hold: each prompt and message text is said in one <Say>, and
`ivr check` refuses one that Twilio would not say."""
from __future__ import annotations

from urllib.parse import quote

#: https://www.twilio.com/docs/api/errors/13521 ("<Say> element character limits exceeded"):
#: "Polly TTS Voices are limited to 3000 UTF-8 single byte characters" (SSML tags not counted),
#: Basic voices to 4096, Google voices to 5000, and "The URL-encoded string cannot exceed 4500
#: characters". The least of them holds whatever voice a language names or will name. Whether a
#: letter such as 'ñ' counts once or as its two UTF-8 bytes the page leaves open, and which
#: URL-encoding it means too: the stricter reading is taken each time.
MOST_BYTES = 3000
MOST_URL_ENCODED = 4500
#: What to do about it (Twilio's warning 13521 otherwise).
PROMPT_HINT = "split it into shorter prompts, one step each"
MESSAGE_HINT = "shorten it: a message is said in one piece"


def too_long_to_say(code: str, text: str) -> str:
    """Why Twilio would not say `text` in one <Say> (an `ivr check` message); '' when it would."""
    size = len(text.encode("utf-8"))
    if size > MOST_BYTES:
        counted = "" if size == len(text) else " as Twilio counts them (UTF-8 bytes: an accented letter is two)"
        return f"the {code!r} text has {size:,} characters{counted}; one <Say> holds at most {MOST_BYTES:,}"
    # A byte becomes at most three characters URL-encoded: most texts need no encoding to know.
    encoded = len(quote(text, safe="")) if 3 * size > MOST_URL_ENCODED else size
    if encoded > MOST_URL_ENCODED:
        return (f"the {code!r} text is {encoded:,} characters once URL-encoded; one <Say> holds at most "
                f"{MOST_URL_ENCODED:,} so")
    return ""
