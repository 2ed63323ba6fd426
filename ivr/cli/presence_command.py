"""`ivr presence WHO on|off|status`: a professional set available or away from the command line,
by the same rule as their text or the Me page."""
from __future__ import annotations

import click

from .environment import command_settings


@click.command()
@click.argument("who")
@click.argument("action", type=click.Choice(["on", "off", "status"]))
@click.option("--flows", "flows_dir", type=click.Path(file_okay=False), help="Where roster.yaml is [default: flows/].")
def presence(who, action, flows_dir):
    """Set a professional available (on) or away (off), or show their status.

    WHO is their id or name as on the roster ('ana-rivera' or "Ana Rivera").
    """
    import datetime

    from sqlalchemy.exc import SQLAlchemyError

    from ..calls.links import Links
    from ..config import finish
    from ..calls.routing.presence_words import describe
    from ..calls.routing.roster import slug
    from ..store.database import ensure_schema
    from ..twilio.rest import TwilioUnavailable
    from ..services import make_services

    settings = finish(command_settings().with_overrides({"flows_dir": flows_dir} if flows_dir else {}))
    helpline = make_services(settings)
    roster = helpline.roster.current()
    if roster is None:
        raise click.ClickException("the roster has problems; run `ivr check` first")
    person = roster.by_id(who) or roster.by_id(slug(who))
    if person is None:
        raise click.ClickException(f"{who!r} is not on the roster")
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        ensure_schema(helpline.database)
        can_offer = bool(settings.public_url and helpline.api.configured)
        placed = None
        if action != "status":
            placed = helpline.control.presence_changed(person.id, action == "off",
                                                       Links(settings.public_url) if can_offer else None, wait=True)
        click.echo(describe(person, helpline.presence.status(person.id), now))
        if placed:
            click.echo(f"a waiting caller is being offered ({placed} phone{'s' * (placed != 1)} ringing)")
        elif action == "on" and not can_offer:
            click.echo("(set IVR_PUBLIC_URL and TWILIO_ACCOUNT_SID to offer waiting callers at once; "
                       "otherwise they are offered at their next hold page)", err=True)
    except SQLAlchemyError as error:
        raise click.ClickException(f"the database is unavailable: {error.__class__.__name__}")
    except TwilioUnavailable as error:
        raise click.ClickException(f"set {person.name} {action}, but could not offer waiting callers: {error}")
    finally:
        helpline.close()
        helpline.database.dispose()
