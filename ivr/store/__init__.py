"""Storage: calls and (later) presence, queue and callbacks, through SQLAlchemy Core."""
