"""Twilio's webhook connection overrides: the callbacks the records depend on ask to be retried.

By default Twilio retries a webhook once, and only when it could not connect: a 503 or a slow
answer is never sent again (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides,
defaults rc=1, rp=ct). The overrides ride in the URL's fragment, which Twilio leaves out of the
signature and never sends, so the helpline sees and checks the URL without it.
"""
#: Up to three more tries on a refused connection, a 5xx, or no answer within 6 s (longer than
#: SQLite's 5 s wait for a lock), all inside Twilio's 15 s. Repeats are harmless: a call's and a
#: leg's state only move forward.
RETRY_ON_FAILURE = "#ct=2000&rt=6000&rc=3&rp=ct,rt,5xx"


def retried(url: str) -> str:
    """`url`, asking Twilio to retry a failed request to it."""
    return url.split("#", 1)[0] + RETRY_ON_FAILURE
