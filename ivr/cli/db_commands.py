"""`ivr db upgrade`: the database's tables made or brought up to date."""
from __future__ import annotations

import click

from .environment import command_settings


@click.group()
def db():
    """The database at DATABASE_URL [default: instance/helpline.db]."""


@db.command()
def upgrade():
    """Run the database migrations up to the newest.

    The helpline does the same when it starts, under the same lock: this is for those who prefer
    to migrate as a step of their own, before starting it.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ..config import ConfigError, finish
    from ..store.database import ensure_schema, head_revision, open_database, schema_revision

    try:
        settings = finish(command_settings())
    except ConfigError as error:
        raise click.ClickException(str(error))
    engine = open_database(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        before = schema_revision(engine)
        ensure_schema(engine)
        after = schema_revision(engine)
    except SQLAlchemyError as error:
        raise click.ClickException(f"the database at {where} is unavailable: "
                                   f"{str(error.orig or error).splitlines()[0]}") from None
    finally:
        engine.dispose()
    if after != head_revision():
        raise click.ClickException(f"{where}: at revision {after}, which this version does not know "
                                   f"(its newest is {head_revision()}): tables left as they are")
    click.echo(f"{where}: at revision {after}"
               + (" already" if before == after else f", upgraded from {before or 'no revision'}"))
