"""Simulated time: `speed` simulated seconds pass in each real second, for the simulator and (in
tests) the helpline alike, so waits measured in minutes are played in seconds."""
from __future__ import annotations

import datetime
import threading
import time


class SimClock:
    def __init__(self, speed: float = 1.0, start: datetime.datetime | None = None):
        self.speed = speed
        self.start = start or datetime.datetime.now(datetime.timezone.utc)
        self._t0 = time.monotonic()

    def __call__(self) -> datetime.datetime:
        """Now, in simulated time (the helpline's clock is called like this)."""
        return self.start + datetime.timedelta(seconds=self.seconds())

    def seconds(self) -> float:
        """Simulated seconds since the clock started."""
        return (time.monotonic() - self._t0) * self.speed

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> bool:
        """Let `seconds` of simulated time pass; True if `interrupt` was set meanwhile."""
        real = max(0.0, seconds) / self.speed
        if interrupt is None:
            time.sleep(real)
            return False
        return interrupt.wait(real)


class QuickListener:
    """A caller who hears prompts `speed` times fast while the clock they wrap — Twilio's rings,
    timeouts, call durations — keeps its pace: for trying a running helpline, which writes real
    times, without sitting through every prompt. Only the caller's listening is sped up."""

    def __init__(self, clock: SimClock, speed: float):
        self.clock, self.listening_speed = clock, speed

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> bool:
        return self.clock.sleep(seconds / self.listening_speed, interrupt)

    def __getattr__(self, name):
        return getattr(self.clock, name)
