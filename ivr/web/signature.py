"""Only Twilio may drive a call: every webhook must carry a valid X-Twilio-Signature.

Two schemes, as the twilio library knows them: the account Auth Token (HMAC-SHA1), and a webhook
SharedKey named in X-Twilio-Webhooks-Signature-Settings (HMAC-SHA256). No setting turns this off.
"""
from __future__ import annotations

import functools
import logging

from flask import abort, current_app, request
from twilio.request_validator import (SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, RequestValidator,
                                      get_signature_algorithm)

log = logging.getLogger(__name__)


def _key_id(settings_header: str) -> str:
    for part in settings_header.split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip() == "key":
            return value.strip()
    return ""


def signature_is_valid() -> bool:
    settings = current_app.config["IVR_SETTINGS"]
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return False
    settings_header = request.headers.get(SIGNATURE_SETTINGS_HEADER, "")
    if settings_header:
        secret = settings.shared_keys.get(_key_id(settings_header))
        if not secret:
            return False
        validator = RequestValidator(secret)
        algorithm = get_signature_algorithm(settings_header)
    else:
        validator = current_app.config["IVR_VALIDATOR"]
        algorithm = None
    return validator.validate(request.url, request.form, signature, algorithm=algorithm)


def twilio_only(view):
    """Refuse (403) any request Twilio did not sign for exactly this URL and these parameters."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not signature_is_valid():
            log.warning("refused an unsigned or forged request to %s (call %s)",
                        request.path, request.form.get("CallSid", "-")[:40])
            abort(403)
        return view(*args, **kwargs)
    return checked
