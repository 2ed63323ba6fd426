"""Only Twilio may drive a call: every webhook must carry a valid X-Twilio-Signature.

Two schemes, as the twilio library knows them: the account Auth Token (HMAC-SHA1), and a webhook
SharedKey named in X-Twilio-Webhooks-Signature-Settings (HMAC-SHA256). No setting turns this off.

The status callbacks are given to Twilio with a connection-override fragment (ivr/twilio/retries.py),
which Twilio never sends. Which URL it signs for them — with the fragment or without — no Twilio
page says (twilio-node's validator keeps a fragment in the URL it is given), so a signature over
the URL as received, or over it with that one fragment the helpline adds, is accepted. Any other
fragment opens nothing: the signature must match one of the URLs the helpline itself gave out.
"""
from __future__ import annotations

import functools
import logging

from urllib.parse import quote

from flask import abort, current_app, request
from twilio.request_validator import (SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, RequestValidator,
                                      HMAC_SHA1, HMAC_SHA256, compare, get_signature_algorithm)

from ..twilio.retries import RETRY_ON_FAILURE
from .twilio_event import event
from .twilio_params import form

log = logging.getLogger(__name__)
URL_SAFE = "/:@!$&'()*+,;=-._~%"
SIGNATURE_ENVIRON = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
SETTINGS_ENVIRON = "HTTP_" + SIGNATURE_SETTINGS_HEADER.upper().replace("-", "_")
#: The fragments the helpline ever puts on a URL it gives Twilio, which a signature may cover.
SIGNED_FRAGMENTS = ("", RETRY_ON_FAILURE)


def _key_id(settings_header: str) -> str:
    for part in settings_header.split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip() == "key":
            return value.strip()
    return ""


#: Which URL a valid signature covered, by the fragment added to the URL received.
FORM_NAMES = {"": "plain", RETRY_ON_FAILURE: "with-fragment"}
#: Where the form that matched is left in the WSGI environ (a rehearsal reports it).
FORM_ENVIRON = "ivr.signature_form"


def signature_is_valid(environ=None, ivr=None) -> bool:
    """Whether Twilio signed this request (`environ` and the services, where the caller has them)."""
    environ = environ if environ is not None else request.environ
    form_found = signature_form(environ, ivr)
    environ[FORM_ENVIRON] = form_found or "none"
    return form_found is not None


def signature_form(environ, ivr=None) -> str | None:
    """Which URL Twilio signed: "plain" (the URL as received), "with-fragment" (with the retry
    fragment the helpline added), or None when the signature is not Twilio's."""
    signature = environ.get(SIGNATURE_ENVIRON, "")
    if not signature:
        return None
    ivr = ivr if ivr is not None else current_app.extensions["ivr"]
    settings_header = environ.get(SETTINGS_ENVIRON, "")
    if settings_header:
        secret = ivr.settings.shared_keys.get(_key_id(settings_header))
        if not secret:
            return None
        validator = RequestValidator(secret)
        algorithm = get_signature_algorithm(settings_header).upper()
        if algorithm not in (HMAC_SHA1, HMAC_SHA256):
            return None
    else:
        validator = ivr.validator
        algorithm = None
    url, params = requested_url(environ), form(environ)
    # The usual case costs one HMAC; the library's full check (the URL with and without its port,
    # as Twilio's own back ends differ) runs only when that one does not match.
    for fragment in SIGNED_FRAGMENTS:
        if compare(validator.compute_signature(url + fragment, params, algorithm), signature):
            return FORM_NAMES[fragment]
    for fragment in SIGNED_FRAGMENTS:
        if validator.validate(url + fragment, params, signature, algorithm=algorithm):
            return FORM_NAMES[fragment]
    return None


def requested_url(environ) -> str:
    """The URL exactly as Twilio asked for it (scheme and host as ProxyFix restored them)."""
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe=URL_SAFE)
    query = environ.get("QUERY_STRING", "")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    return f"{environ['wsgi.url_scheme']}://{host}{path}{'?' + query if query else ''}"


def twilio_only(view):
    """Refuse (403) any request Twilio did not sign for exactly this URL and these parameters."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not signature_is_valid():
            log.warning("refused an unsigned or forged request to %s (call %s)",
                        request.path, event().call_sid or "-")
            abort(403)
        return view(*args, **kwargs)
    return checked
