"""`ivr callbacks list|call|done`: the callbacks owed to callers, from the command line."""
from __future__ import annotations

import click

from .environment import command_settings


@click.group()
def callbacks():
    """Callers waiting to be called back (their numbers are erased once done)."""


def _call_records():
    from ..config import finish
    from ..store.calls import CallRecords
    from ..store.database import ensure_schema, open_database

    settings = finish(command_settings())
    engine = open_database(settings.database_url)
    ensure_schema(engine)
    return CallRecords(engine)


@callbacks.command("list")
def callbacks_list():
    """The pending callbacks, oldest first: id, when, language, tries so far (never the number:
    `ivr callbacks call` rings it through the helpline)."""
    pending = _call_records().pending_callbacks()
    for row in pending:
        tried = f"  tried {row.attempts}x, last: {row.last_outcome}" if row.attempts else ""
        click.echo(f"{row.id:>5}  {row.requested_at:%Y-%m-%d %H:%M} UTC  {row.language}{tried}")
    click.echo(f"{len(pending)} callback{'s' * (len(pending) != 1)} waiting", err=True)


@callbacks.command("call")
@click.argument("callback_id", type=int)
@click.option("--by", "who", required=True, help="The professional who makes the call (id or name on the roster).")
def callbacks_call(callback_id, who):
    """Call a caller back through the helpline: WHO's phone rings first; when they press 1 the
    helpline dials the caller from its own number and joins them. Neither sees the other's number;
    how it went is kept, and the number is erased once the caller is reached."""
    from ..calls.calling_back import CallbackLinks, CallbackUnavailable
    from ..calls.follow_up import CLAIMED
    from ..config import finish
    from ..calls.routing.roster import slug
    from ..store.database import ensure_schema
    from ..twilio.rest import TwilioUnavailable
    from ..services import make_services

    settings = finish(command_settings())
    if not settings.public_url:
        raise click.ClickException("set IVR_PUBLIC_URL (how Twilio reaches this helpline) to place a callback")
    helpline = make_services(settings)
    try:
        roster = helpline.roster.current()
        person = roster and (roster.by_id(who) or roster.by_id(slug(who)))
        if not person:
            raise click.ClickException(f"{who!r} is not on the roster")
        ensure_schema(helpline.database)
        outcome = helpline.follow_up.call_back_now(callback_id, person, helpline.follow_up.claimant_for(person),
                                                   CallbackLinks(settings.public_url))
        if outcome == CLAIMED:
            raise click.ClickException(f"a colleague is already calling back callback {callback_id}")
        click.echo(f"ringing {person.name} for callback {callback_id}: when they press 1, the caller is dialled")
    except CallbackUnavailable as error:
        raise click.ClickException(str(error))
    except TwilioUnavailable as error:
        raise click.ClickException(f"could not ring {who}: {error}")
    finally:
        helpline.close()
        helpline.database.dispose()


@callbacks.command("done")
@click.argument("callback_id", type=int)
def callbacks_done(callback_id):
    """Mark a callback as done: the caller's number is erased."""
    from ..calls.follow_up import FollowUp
    from ..store.owed import OwedStore
    from ..utc import utc_now

    follow_up = FollowUp(OwedStore(_call_records().engine), api=None, clock=utc_now)
    if not follow_up.callback_done(callback_id, by="ivr callbacks done"):
        raise click.ClickException(f"no pending callback {callback_id}")
    click.echo(f"callback {callback_id} done; the number is erased")
