"""Who can take a call now: the roster (shifts, languages, teams) and their presence."""
