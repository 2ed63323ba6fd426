"""Alembic migrations of the helpline's tables: env.py runs versions/, ensure_schema drives it."""
