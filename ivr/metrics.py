"""What the operator on call watches: the helpline's numbers, in Prometheus' format.

Counters and histograms are kept per process by prometheus_client; under gunicorn they are
shared through files in PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py before any worker
starts), so /metrics on any worker reports the whole instance. Numbers that live in the database
(callers waiting now) or on disk (records not yet written) are read when /metrics is asked.
No label ever carries a caller's number: steps, routes and keys only.
"""
from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, REGISTRY

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

calls = Counter("ivr_calls_total", "Calls that reached the helpline (first webhook of each call).")
menu_choices = Counter("ivr_menu_choices_total", "Answers at each menu step: a key, speech or silence.",
                       ["step", "choice"])
time_to_human = Histogram("ivr_time_to_human_seconds",
                          "From asking for a person to a professional taking the call.",
                          buckets=(5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200))
abandoned = Counter("ivr_abandoned_calls_total", "Callers who hung up while waiting for a person.")
webhook_seconds = Histogram("ivr_webhook_seconds", "Time to answer each Twilio webhook.", ["route"],
                            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
reload_failures = Counter("ivr_flow_reload_failures_total",
                          "Saved edits with errors (the last good version kept playing), of the flows or the roster.",
                          ["what"])
twilio_refusals = Counter("ivr_twilio_refusals_total",
                          "What Twilio refused or could not deliver: texts not delivered, legs refused (by error code).",
                          ["kind", "code"])


def menu_choice(digits: str, speech: bool) -> str:
    """A bounded label for what a caller did at a menu: one key, several keys, speech or silence."""
    if speech:
        return "speech"
    if not digits:
        return "silence"
    return digits if len(digits) == 1 else "keys"


class LiveNumbers:
    """Gauges read when scraped: `read()` returns {name: (help, value)}."""

    def __init__(self, read):
        self.read = read

    def collect(self):
        for name, (help_text, value) in self.read().items():
            family = GaugeMetricFamily(name, help_text)
            family.add_metric([], value)
            yield family


def exposition(live_numbers: LiveNumbers | None = None) -> bytes:
    """The text /metrics answers with: this instance's counters (every worker's) and the live numbers."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    if live_numbers is not None:
        live = CollectorRegistry(auto_describe=False)
        live.register(live_numbers)
        text += generate_latest(live)
    return text
