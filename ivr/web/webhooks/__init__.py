"""Twilio's webhooks: each view reads the request, asks call control, and answers in TwiML."""
