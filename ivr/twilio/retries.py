"""Twilio's webhook connection overrides: the callbacks the records depend on ask to be retried.

By default Twilio retries a webhook once, and only when it could not connect: a 503 or a slow
answer is never sent again (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides,
defaults rc=1, rp=ct). The overrides ride in the URL's fragment, which Twilio never sends. Whether
Twilio signs the URL with or without it no Twilio page says: the helpline accepts either
(ivr/web/signature.py, `SIGNED_FRAGMENTS`).
"""
from __future__ import annotations

#: What the overrides page gives each setting (milliseconds; rc in tries), and its bounds: ct
#: "Min: 100 Max: 10000", rt "Min: 100 Max: 15000", tt "Min: 100 Max: 15000" (default 15000, "The
#: total time allowed for all timeouts including retries"), rc "Min: 0 Max: 5".
CONNECT_MS, READ_MS, TOTAL_MS, RETRIES = 1000, 6000, 15000, 1
#: One more try on a refused connection, a 5xx, or no answer within 6 s — longer than SQLite's 5 s
#: wait for a lock (ivr/store/database.py), so a locked database answers 503 rather than nothing.
#: The page caps every try and its timeouts together at `tt`; a try that times out costs at most
#: ct + rt, so (1 + rc) × (ct + rt) = 14 s fits inside tt = 15 s and every try asked for can
#: happen. (Three retries at these timeouts would need 28 s: Twilio would cut them off.)
#: Repeats are harmless: a call's and a leg's state only move forward.
RETRY_ON_FAILURE = f"#ct={CONNECT_MS}&rt={READ_MS}&tt={TOTAL_MS}&rc={RETRIES}&rp=ct,rt,5xx"


def retried(url: str) -> str:
    """`url`, asking Twilio to retry a failed request to it."""
    return url.split("#", 1)[0] + RETRY_ON_FAILURE
