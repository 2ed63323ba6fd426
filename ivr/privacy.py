"""Caller numbers are confidential (42 CFR Part 2): masked for people, keyed-hashed for records."""
from __future__ import annotations

import hashlib
import hmac


def mask_number(number: str | None) -> str:
    """'+15551234567' -> '+*******4567': enough for a person to tell two calls apart."""
    if not number:
        return "unknown"
    digits = [c for c in number if c in "0123456789"]
    if len(digits) <= 4:
        return "****"
    return "+" + "*" * (len(digits) - 4) + "".join(digits[-4:])


def caller_key(number: str | None, secret: str) -> str:
    """A stable pseudonym for a caller: the same number gives the same key, and no way back."""
    if not number:
        return ""
    digest = hmac.new(secret.encode(), number.strip().encode(), hashlib.sha256).hexdigest()
    return digest[:20]
