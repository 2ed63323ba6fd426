"""Everything that speaks Twilio: the REST adapter, TwiML, call statuses, errors, retries, the number's set-up and the backup line."""
