"""Simulated time that passes only while a test's caller listens on hold, for calls whose length is
not what is tested: no wall-clock rate to keep up with, so a loaded machine changes nothing a caller
hears, and a minute of ringing costs no wall time at all.

`ListeningClock` stands in for SimClock everywhere (the simulated Twilio, the helpline's clock);
the caller holds a `Listener` on it. Everyone else's waits — a professional's phone ringing, a leg
held back by the account's calls per second — end when the caller's listening has moved the clock
past them, or when they are interrupted (a hang-up).
"""
from __future__ import annotations

import datetime
import threading

#: How often a waiting thread looks at its interrupt (a threading.Event cannot wake a Condition).
_LOOK_EVERY = 0.005


class ListeningClock:
    speed = 1.0          # read by ivr.sim.phone for a talk's longest wall wait; nobody talks here

    def __init__(self, start: datetime.datetime):
        self.start = start
        self._seconds = 0.0
        self._moved = threading.Condition()
        self._stopped = False

    def __call__(self) -> datetime.datetime:
        """Now, in simulated time (the helpline's clock is called like this)."""
        return self.start + datetime.timedelta(seconds=self.seconds())

    def seconds(self) -> float:
        with self._moved:
            return self._seconds

    def advance(self, seconds: float) -> None:
        with self._moved:
            self._seconds += max(0.0, seconds)
            self._moved.notify_all()

    def stop(self) -> None:
        """Time runs out for everyone still waiting (a text's status callbacks, say): their waits end."""
        with self._moved:
            self._stopped = True
            self._moved.notify_all()

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> bool:
        """Wait until `seconds` of simulated time have passed; True if `interrupt` was set first."""
        with self._moved:
            until = self._seconds + max(0.0, seconds)
            while self._seconds < until and not self._stopped:
                if interrupt is not None and interrupt.is_set():
                    return True
                self._moved.wait(_LOOK_EVERY)
        return interrupt is not None and interrupt.is_set()


class Listener:
    """The caller's sense of time: the flows' prompts pass at once (what they hear is kept all the
    same); on hold — the ringing tone, the music, their place in line — what they hear moves the
    clock on by as long as it lasts, so the helpline and the professionals' phones see that time
    pass."""

    def __init__(self, clock: ListeningClock):
        self.clock = clock

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> bool:
        if interrupt is None:
            return False
        self.clock.advance(seconds)
        return interrupt.is_set()

    def __getattr__(self, name):
        return getattr(self.clock, name)
