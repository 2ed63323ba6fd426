"""Placing calls no faster than the Twilio account may: each leg gets its own moment.

An account places 1 call per second unless Twilio raised it (https://www.twilio.com/docs/glossary/cps),
and "calls beyond your account's CPS limit will be queued and will execute at the CPS rate"
(https://www.twilio.com/docs/voice/api/call-resource); placing them
ourselves at that pace keeps a round in the order call control chose, and a leg is rung when it is
placed, not seconds later while shown as ringing. One pacer per process: instances behind a load
balancer share the account's rate, which the roster's setting should then divide between them.
"""
from __future__ import annotations

import threading
import time


class Pacer:
    def __init__(self, monotonic=time.monotonic):
        """`monotonic`: seconds on the clock the calls are placed by."""
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._next = 0.0

    def slot(self, per_second: int) -> float:
        """Seconds from now until the next call may be placed; that moment is then taken."""
        with self._lock:
            now = self._monotonic()
            moment = max(now, self._next)
            self._next = moment + 1.0 / max(1, per_second)
            return moment - now
