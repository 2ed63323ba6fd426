"""The `ivr` command: one group, each command group in a module of its own (flows, a call, the
database, presence, callbacks, staff accounts, the Twilio account)."""
from __future__ import annotations

import sys

import click

from .call_command import call
from .callback_commands import callbacks
from .db_commands import db
from .flow_commands import check, review, schema
from .presence_command import presence
from .staff_commands import staff
from .twilio_commands import twilio


class Commands(click.Group):
    """Every `ivr` command: a mistyped option is one line naming the command and its --help (exit
    2); a database that cannot be reached is one clear line and exit 1, never a traceback,
    whichever command met it."""

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        try:
            result = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx else "ivr"
            click.echo(f"{where}: {error.format_message()} (see: {where} --help)", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Stopped.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError, SQLAlchemyError

        try:
            return super().invoke(ctx)
        except SQLAlchemyError as error:
            # Why it could not connect (refused, locked, a timeout) helps; the text of any other
            # database error may quote the values of a row (a caller's number): not shown.
            reason = str(error.orig or "").strip().splitlines() if isinstance(error, OperationalError) else []
            raise click.ClickException(f"the database is unavailable: {error.__class__.__name__}"
                                       + (f" ({reason[0][:200]})" if reason else "")) from None


@click.group(cls=Commands)
def main():
    """helpline-ivr: the phone line's call flows, from the command line."""


for command in (check, review, schema, call, db, presence, callbacks, twilio, staff):
    main.add_command(command)
