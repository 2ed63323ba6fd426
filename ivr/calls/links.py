"""Where Twilio is sent for a call's next request: absolute URLs, since a REST request has no
document for a relative URL to be relative to."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from ..twilio.retries import retried


@dataclass(frozen=True)
class Links:
    """The absolute URLs Twilio is given for REST-placed legs and redirects (a REST request has
    no document for a relative URL to be relative to)."""
    base: str

    def offer(self, offer_id: str) -> str:
        return f"{self.base}/voice/offer?offer={offer_id}"

    def leg_fallback(self, offer_id: str, language: str) -> str:
        return f"{self.base}/voice/leg-fallback?offer={offer_id}&lang={quote(language)}"

    def apology(self, language: str) -> str:
        """The FallbackUrl of a call placed to say something (a notice): the same short apology
        and hang-up as a leg's, with no leg to settle."""
        return f"{self.base}/voice/leg-fallback?lang={quote(language)}"

    def offer_status(self, offer_id: str) -> str:
        # Whether the professional is free again rests on this callback: a failed one is retried.
        return retried(f"{self.base}/voice/offer-status?offer={offer_id}")

    def bridge(self, wait) -> str:
        return f"{self.base}/voice/bridge?{place_query(wait)}"


def place_query(wait) -> str:
    """The call's place (its step and language), as the webhook's URLs carry it."""
    return f"at={quote(wait.step, safe=':')}&lang={quote(wait.language)}&tries=0"


def conference_name(call_sid: str) -> str:
    return f"helpline-{call_sid}"
