"""helpline-ivr: staff-edited YAML call flows played to callers over Twilio."""
