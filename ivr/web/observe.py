"""How long each webhook took (a histogram per route) and, with JSON logs on, one line per webhook:
CallSid, route, step, status, milliseconds. Never a phone number, never what a caller said.

A WSGI wrapper rather than Flask hooks: it times the whole answer, the signature check included,
for the cost of two clock reads.
"""
from __future__ import annotations

import json
import logging
import time

from .. import metrics

log = logging.getLogger("ivr.webhook")


class JsonLines(logging.Formatter):
    """Log records as one JSON object a line, for a log collector (IVR_LOG_FORMAT=json)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def use_json_logs() -> None:
    formatter = JsonLines()
    formatter.converter = time.gmtime
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)


class Observed:
    """Wraps the app: times each request by route; logs a line per webhook when asked to."""

    def __init__(self, wsgi_app, routes, request_lines: bool):
        self.wsgi_app = wsgi_app
        # Known routes only: a label per stray URL a scanner tries would grow without end.
        self.histograms = {route: metrics.webhook_seconds.labels(route=route) for route in routes}
        self.other = metrics.webhook_seconds.labels(route="other")
        self.request_lines = request_lines

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        seen = []

        def start(status, headers, exc_info=None):
            seen.append(status)
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            seconds = time.perf_counter() - started
            path = environ.get("PATH_INFO", "")
            self.histograms.get(path, self.other).observe(seconds)
            if self.request_lines and path.startswith(("/voice/", "/sms/")):
                self._line(environ, path, seen[0] if seen else "", seconds)

    @staticmethod
    def _line(environ, path: str, status: str, seconds: float) -> None:
        form, query = environ.get("ivr.form") or {}, environ.get("ivr.args") or {}
        fields = {"call_sid": (form.get("CallSid") or ["-"])[0][:64], "route": path,
                  "step": (query.get("at") or [""])[0][:210], "status": status.split(" ", 1)[0],
                  "ms": round(seconds * 1000, 1)}
        log.info("webhook %s %s", path, fields["status"], extra={"fields": fields})
