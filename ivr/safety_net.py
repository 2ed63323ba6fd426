"""The answer of last resort: connect the caller to the backup line, needing no flows and no database.

Served at /voice/fallback (Twilio's fallback URL) and whenever a voice request fails unexpectedly.
Built once, from constants only, so nothing that has broken can break it too.
"""
from __future__ import annotations

from functools import lru_cache

from twilio.twiml.voice_response import VoiceResponse

EN = ("Sorry, something went wrong on our side. We are connecting you to a helpline that can help "
      "right now. Please stay on the line. If someone is in danger or not breathing, hang up and call 911.")
ES = ("Lo sentimos, tuvimos un problema. Lo estamos comunicando con una línea de ayuda que puede "
      "ayudarle ahora. Por favor, no cuelgue. Si alguien está en peligro o no respira, cuelgue y llame al 911.")
AFTER_EN = ("We could not complete the connection. Please call us again. If you are thinking of suicide, "
            "call or text 988. In an emergency, call 911.")
AFTER_ES = ("No pudimos completar la llamada. Por favor, llámenos de nuevo. Si piensa en el suicidio, "
            "llame o envíe un mensaje al 988. En una emergencia, llame al 911.")


@lru_cache(maxsize=8)
def backup_line_twiml(backup_line: str) -> str:
    response = VoiceResponse()
    response.say(EN, voice="Polly.Joanna-Neural", language="en-US")
    response.say(ES, voice="Polly.Lupe-Neural", language="es-US")
    response.dial(backup_line, answer_on_bridge=True)
    # Reached only if the backup line did not answer or the call there ended.
    response.say(AFTER_EN, voice="Polly.Joanna-Neural", language="en-US")
    response.say(AFTER_ES, voice="Polly.Lupe-Neural", language="es-US")
    response.hangup()
    return str(response)


@lru_cache(maxsize=1)
def hang_up_twiml() -> str:
    """After a conversation with a person has ended."""
    response = VoiceResponse()
    response.hangup()
    return str(response)
