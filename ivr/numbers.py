"""Phone numbers as staff and callers write them, made into the one form Twilio dials (E.164)."""
from __future__ import annotations

import phonenumbers


def e164(text: str) -> str | None:
    """'+1 (202) 555-0101' -> '+12025550101'; None when it is not a real, dialable number."""
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
