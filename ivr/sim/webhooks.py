"""How the simulated Twilio reaches the helpline: every webhook request signed with the account's
Auth Token, with the connection overrides of its URL honoured as Twilio documents them."""
from __future__ import annotations

import itertools
import time
import uuid

from twilio.request_validator import RequestValidator

class Helpline:
    """How Twilio reaches the helpline: every request signed with the account's Auth Token.

    `signs_fragment`: which URL Twilio signs for a URL with connection overrides — "never" (the URL
    as sent), "always" (the URL with its #fragment, as given), or "alternate" (each in turn,
    request by request). Twilio's docs do not settle it (neither the overrides page nor the
    webhooks security page speaks of fragments), so the simulator plays both.
    """

    def __init__(self, transport, auth_token: str, signs_fragment: str = "alternate", wall_seconds=time.monotonic):
        self.transport, self.validator = transport, RequestValidator(auth_token)
        self.signs_fragment, self.wall_seconds = signs_fragment, wall_seconds
        self.log: list = []          # (url, params, status) of every webhook request
        self._signed = itertools.count()

    def post(self, url: str, params: dict) -> tuple:
        """(HTTP status, body); (0, '') when the helpline could not be reached, which Twilio
        records as error 11200 and goes on.

        A URL's connection overrides (its #fragment) are honoured as Twilio documents them
        (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides): the fragment is
        never sent; a try is cut off with no connection after `ct` ms or no answer `rt` ms after
        it; `rc` more tries (default 1) on the failures `rp` names (default `ct`), each carrying
        the same I-Twilio-Idempotency-Token; and no try runs past `tt` ("the total time allowed
        for all timeouts including retries", default and most 15000 ms).

        These are times of the wall's clock (`wall_seconds`), whatever the simulator's speed: the
        helpline's work to answer is not sped up. A transport that cannot cut a request off (one
        into the app in this process) is waited for.
        """
        given = url
        url, retries, policy, total = connection_overrides(url)
        connect, read = try_timeouts(given)
        signed = given if given != url and self._signs_fragment() else url
        signature = self.validator.compute_signature(signed, params)
        headers = {"X-Twilio-Signature": signature, "I-Twilio-Idempotency-Token": uuid.uuid4().hex}
        began = self.wall_seconds()
        for attempt in range(1 + retries):
            left = total / 1000 - (self.wall_seconds() - began)
            failure = None
            try:
                status, body = self._try(url, params, headers, min(connect, left), min(read, left))
            except TimeoutError:
                status, body, failure = 0, "", "rt"
            except OSError:                # refused, or no connection in time
                status, body, failure = 0, "", "ct"
            self.log.append((url, params, status))
            if not _retried_on(status, failure, policy) or (self.wall_seconds() - began) * 1000 >= total:
                break
        return status, body

    def _try(self, url: str, params: dict, headers: dict, connect: float, read: float) -> tuple:
        within = getattr(self.transport, "post_within", None)
        if within is None:
            return self.transport.post(url, params, headers)
        return within(url, params, headers, connect, read)

    def _signs_fragment(self) -> bool:
        if self.signs_fragment == "alternate":
            return next(self._signed) % 2 == 1
        return self.signs_fragment == "always"


def connection_overrides(url: str) -> tuple:
    """(the URL Twilio requests, retries, the failures retried, the total time in ms) from a
    webhook URL's fragment; values out of the page's bounds are brought inside them."""
    url, settings = url.partition("#")[0], _fragment_settings(url)
    retries = _bounded(settings.get("rc"), 1, 0, 5)
    total = _bounded(settings.get("tt"), 15000, 100, 15000)
    policy = set(settings.get("rp", "ct").split(","))
    if "all" in policy:
        policy = {"4xx", "5xx", "ct", "rt"}
    return url, retries, policy, total


def try_timeouts(url: str) -> tuple:
    """(seconds to connect, seconds to answer) allowed each try of a webhook, from its URL's `ct`
    (default 5000 ms, 100-10000) and `rt` (default 15000 ms, 100-15000): the overrides page's
    bounds, and error 11205's "5-second attempts" to connect and 15 seconds to answer."""
    settings = _fragment_settings(url)
    return (_bounded(settings.get("ct"), 5000, 100, 10000) / 1000,
            _bounded(settings.get("rt"), 15000, 100, 15000) / 1000)


def _fragment_settings(url: str) -> dict:
    """name -> value of a URL's #fragment (`ct=1000&rt=6000&...`)."""
    return dict(pair.partition("=")[::2] for pair in url.partition("#")[2].split("&") if pair)


def _bounded(value, default: int, least: int, most: int) -> int:
    try:
        return max(least, min(int(value), most)) if value is not None else default
    except ValueError:
        return default


def _retried_on(status: int, failure: str | None, policy: set) -> bool:
    """Whether a try that ended so is tried again: `failure` is 'ct' (no connection) or 'rt' (no
    answer in time) when there was no status."""
    if status == 0:
        return failure in policy
    return (f"{status // 100}xx" in policy) and status >= 400
