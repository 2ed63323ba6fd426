"""The answer to a callback Twilio may send again (a status callback): 503 when it could not be
kept, so Twilio retries it (the connection overrides the helpline gives ask for it on a 5xx); no
caller is on the line to hear it."""
from __future__ import annotations

from flask import Response


def retry_later(why: str = "the database is unavailable") -> Response:
    return Response(f"{why}; please retry", status=503, mimetype="text/plain")
