"""Alembic runs this for every command: the migrations in versions/, on the connection that
ivr.store.database.ensure_schema hands over (already inside its lock and transaction).

Run by the `alembic` command line (alembic.ini beside this file), it opens DATABASE_URL itself and
takes the same lock, so `alembic upgrade head` cannot race a worker that is starting.
"""
from alembic import context

from ivr.store.schema import metadata


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      # SQLite cannot alter most of a table: autogenerate writes batch (copy) steps.
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_from_the_command_line() -> None:
    from ivr.config import finish, from_environment
    from ivr.store.database import open_database, schema_lock

    engine = open_database(finish(from_environment()).database_url)
    try:
        with schema_lock(engine) as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    run_from_the_command_line()
