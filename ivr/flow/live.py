"""Keeps serving the last good flows while staff edit them, and picks up a good edit by itself."""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from .loader import flow_files, load_flows
from .model import FlowSet

log = logging.getLogger(__name__)


class LiveFlows:
    """The flows a running helpline plays.

    A saved edit is noticed at most `check_every` seconds later. If it has an error, the problems
    are logged and kept in `problems`, and callers go on hearing the last version that had none.
    """

    def __init__(self, directory, audio_dir=None, check_every: float = 2.0, clock=time.monotonic):
        self.directory = Path(directory)
        self.audio_dir = Path(audio_dir) if audio_dir is not None else self.directory.parent / "audio"
        self.check_every = check_every
        self.clock = clock
        self.problems: list = []
        self._flows: FlowSet | None = None
        self._signature = None
        self._next_check = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> FlowSet | None:
        """The flows to play now (None only if no version has ever loaded cleanly)."""
        if self.clock() >= self._next_check:
            self._refresh()
        return self._flows

    def _refresh(self) -> None:
        if not self._lock.acquire(blocking=False):
            return                      # another thread is already looking; play what we have
        try:
            self._next_check = self.clock() + self.check_every
            signature = self._fingerprint()
            if signature == self._signature:
                return
            self._signature = signature
            result = load_flows(self.directory, self.audio_dir)
            self.problems = result.problems
            if result.flows is None:
                state = "keeping the last good flows" if self._flows else "no good flows to play yet"
                log.error("flows in %s have %d problem(s); %s", self.directory, len(result.errors), state)
                for problem in result.errors:
                    log.error("%s", problem)
                return
            if self._flows is not None and result.flows.version != self._flows.version:
                log.info("flows reloaded from %s (version %s)", self.directory, result.flows.version)
            self._flows = result.flows
        finally:
            self._lock.release()

    def _fingerprint(self) -> tuple:
        """What changes when a flow file or a recording is saved, added or removed: cheap stat calls."""
        parts = []
        try:
            for path in flow_files(self.directory):
                stat = path.stat()
                parts.append((path.name, stat.st_mtime_ns, stat.st_size))
        except OSError as error:
            parts.append(("unreadable", str(error)))
        if self.audio_dir.is_dir():
            for entry in sorted(os.scandir(self.audio_dir), key=lambda e: e.name):
                if entry.is_dir():
                    parts.append((entry.name, entry.stat().st_mtime_ns))
        return tuple(parts)
