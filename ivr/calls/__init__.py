"""Call control: what happens to a call, decided in plain Python (no Flask): the menu engine, offering callers to professionals, calling back, notices, rehearsals."""
