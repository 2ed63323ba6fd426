"""The flows a running helpline plays: the last good version while staff edit them (yamlfile/live.py)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from ..yamlfile.live import Live, stat_fingerprint
from .loader import flow_files, load_flows

#: Steps from which a flow set is kept out of the garbage collector's way (yamlfile/live.py): the
#: shipped flows have a few dozen; the benchmark's 10,000-step set is where it paid.
BIG_FLOW_SET = 1000


class LiveFlows(Live):
    """The flows a running helpline plays."""

    def __init__(self, directory, audio_dir=None, check_every: float = 2.0, clock=time.monotonic):
        self.directory = Path(directory)
        self.audio_dir = Path(audio_dir) if audio_dir is not None else self.directory.parent / "audio"
        super().__init__(f"flows in {self.directory}", self._load, self._fingerprint, check_every, clock,
                         big=lambda flows: len(flows.steps) >= BIG_FLOW_SET)

    def _load(self):
        result = load_flows(self.directory, self.audio_dir)
        return result.flows, result.problems

    def _fingerprint(self) -> tuple:
        try:
            files = flow_files(self.directory)
        except OSError as error:
            return (("unreadable", str(error)),)
        audio = []
        if self.audio_dir.is_dir():
            audio = [entry.path for entry in os.scandir(self.audio_dir) if entry.is_dir()]
        return stat_fingerprint(*files, *sorted(audio))
