"""Keeps serving the last good version of a staff-edited file (flows, roster) while staff edit it,
and picks up a good edit by itself."""
from __future__ import annotations

import gc
import logging
import os
import threading
import time

from .. import metrics

log = logging.getLogger(__name__)


class Live:
    """A staff-edited thing a running helpline uses: reloaded when its files change.

    A saved edit is noticed at most `check_every` seconds later. If it has an error, the problems
    are logged and kept in `problems`, and callers go on with the last version that had none.
    `load()` returns (value or None, problems); `fingerprint()` changes when the files do.
    """

    def __init__(self, what: str, load, fingerprint, check_every: float = 2.0, clock=time.monotonic,
                 big=lambda value: False):
        self.what = what
        self.load = load
        self.fingerprint = fingerprint
        self.check_every = check_every
        self.clock = clock
        self.big = big                  # big(value): worth keeping out of the garbage collector's way
        self.problems: list = []
        self.broken = False             # the saved files have errors (the last good version plays on)
        self._value = None
        self.loaded_at: float | None = None     # wall-clock time the version in use was loaded
        self._signature = None
        self._next_check = float("-inf")
        self._lock = threading.Lock()

    def current(self):
        """The version to use now (None only if no version has ever loaded cleanly)."""
        if self.clock() >= self._next_check:
            self._refresh()
        return self._value

    @property
    def last_good(self):
        """The version in use, without looking at the files: for the answer of last resort."""
        return self._value

    def _refresh(self) -> None:
        if not self._lock.acquire(blocking=False):
            return                      # another thread is already looking; use what we have
        try:
            self._next_check = self.clock() + self.check_every
            signature = self.fingerprint()
            if signature == self._signature:
                return
            self._signature = signature
            value, problems = self.load()
            self.problems = problems
            errors = [p for p in problems if p.is_error]
            if value is None:
                self.broken = True
                metrics.reload_failures.labels(what=self.what.split(" ", 1)[0]).inc()   # flows | roster
                state = f"keeping the last good {self.what}" if self._value is not None else f"no good {self.what} yet"
                log.error("%s have %d problem(s); %s", self.what, len(errors), state)
                for problem in errors:
                    log.error("%s", problem)
                return
            if self.broken:
                log.warning("%s are fixed: the saved edit is playing now", self.what)
            elif self._value is not None:
                log.info("%s reloaded", self.what)
            self.broken = False
            self._value = value
            self.loaded_at = time.time()
            if self.big(value):
                out_of_the_collectors_way()
        finally:
            self._lock.release()


def out_of_the_collectors_way() -> None:
    """A big flow set is hundreds of thousands of objects that live until the next edit; left to the
    cyclic garbage collector, every full collection rescans them all, and a menu press with a
    10,000-step set cost 280-320 µs instead of 230 (scripts/bench_webhook.py). Frozen, they are
    never scanned. What was frozen before is unfrozen and collected first, so nothing that has
    become garbage since stays for good. On a reload, only for a big version: the two full
    collections cost a large process (a test run, say) a fifth of a second each; a served helpline
    does it once at its start (app.py), where everything it has loaded is still small."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def stat_fingerprint(*paths) -> tuple:
    """What changes when one of these files is saved, added or removed: cheap stat calls."""
    parts = []
    for path in paths:
        try:
            stat = os.stat(path)
            parts.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            parts.append((str(path), None))
    return tuple(parts)
