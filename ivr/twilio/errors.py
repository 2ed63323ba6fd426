"""Twilio's error codes the helpline meets, in plain words for leads and the operator on call.
Only codes whose meaning was read on Twilio's own pages are here; any other is named by its
number and the page that explains it."""
from __future__ import annotations

PAGE = "https://www.twilio.com/docs/api/errors/{code}"

#: code -> what it means for the helpline. Each from its page at PAGE.
MEANINGS = {
    # "returned when you send a message from a Toll-Free number to a mobile subscriber in the United
    # States or Canada before Toll-Free Verification is approved"
    30032: "the helpline's toll-free number is not verified for texting yet, so texts to US and "
           "Canadian phones are blocked (submit or finish its toll-free verification)",
    # Toll-free verification rejections; "messages from unverified or pending toll-free numbers to
    # the United States and Canada are blocked until the number is verified".
    30464: "the toll-free verification was rejected (its submission read as cryptocurrency "
           "messaging); texts stay blocked until the number is verified",
    30466: "the toll-free verification was rejected (its submission read as debt reduction); texts "
           "stay blocked until the number is verified",
    # "The From number used to make outbound call not a Twilio number or not a verified caller ID"
    21210: "the number calls are placed from is neither a number of this Twilio account nor one of "
           "its verified caller IDs, so Twilio refuses to ring anyone from it",
    # "not an incoming phone number assigned to your account ... validated CallerIDs cannot be used
    # to send messages"
    21601: "texts are sent from a number that is not an SMS-capable number of this account",
    # Trial accounts (and accounts without an approved compliance profile) text only verified numbers.
    21608: "the account can text only numbers verified on it (a trial account, or no approved "
           "compliance profile)",
}


def meaning(code) -> str:
    """'30032: the helpline's toll-free number is not verified …' — or the page for an unknown code."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        return "no error code given"
    words = MEANINGS.get(number)
    return f"{number}: {words}" if words else f"Twilio error {number} ({PAGE.format(code=number)})"
