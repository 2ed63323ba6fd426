"""The `ivr` command: check flows (and, as the project grows, simulate calls and run the line)."""
from __future__ import annotations

import json
import sys

import click

from .routing.check import check_helpline
from .flow.review import DEFAULT_REVIEW_MONTHS


@click.group()
def main():
    """helpline-ivr: the phone line's call flows, from the command line."""


@main.command()
@click.argument("flows_dir", default="flows", type=click.Path(file_okay=False))
@click.option("--audio", "audio_dir", type=click.Path(file_okay=False),
              help="Folder of recordings [default: audio/ beside FLOWS_DIR].")
@click.option("--review-months", default=DEFAULT_REVIEW_MONTHS, show_default=True, type=click.IntRange(1, 120),
              help="Warn when health information was last reviewed this many months ago or more.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check(flows_dir, audio_dir, review_months, output):
    """Check every call flow in FLOWS_DIR and list every problem at once.

    Exits 0 when the flows can be played (warnings allowed), 1 when anything must be fixed.
    """
    result, roster, problems = check_helpline(flows_dir, audio_dir, review_months=review_months)
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    if output == "json":
        click.echo(json.dumps({"ok": not errors, "errors": errors, "warnings": warnings,
                               "problems": [p.as_dict() for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        if errors:
            click.echo(f"{errors} problem{'s' * (errors != 1)} to fix"
                       + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else "")
                       + " (callers keep hearing the last good flows until they are fixed)", err=True)
        elif result.flows is not None:
            steps = len(result.flows.steps)
            flows = len({ref.flow for ref in result.flows.steps})
            people = (f", {len(roster.professionals)} professionals on the roster" if roster
                      else "; no roster.yaml, so callers who ask for a person go to the backup line")
            click.echo(f"{flows_dir}: OK, {steps} steps in {flows} flow{'s' * (flows != 1)}{people}"
                       + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""), err=True)
    sys.exit(1 if errors else 0)


@main.command()
@click.option("--press", "script", help="Answers to play, comma-separated: keys (2), words (say:operator), "
              "silence (wait). The caller hangs up when they run out. Without it, answer at the keyboard.")
@click.option("--url", help="A running helpline to call over HTTP, e.g. http://127.0.0.1:5000 "
              "[default: the app in this process].")
@click.option("--flows", "flows_dir", type=click.Path(file_okay=False), help="Flows to try [default: flows/].")
@click.option("--nobody-answers", is_flag=True, help="Professionals do not pick up (to try the no-answer path).")
@click.option("--from", "from_number", default="+15550100123", show_default=True, help="The caller's number.")
def call(script, url, flows_dir, nobody_answers, from_number):
    """Call the helpline from the terminal: hear each prompt, answer with keys or words."""
    import logging

    from .config import finish, from_environment
    from .phone import HttpTransport, Phone, TestClientTransport, scripted

    logging.getLogger().setLevel(logging.WARNING)
    overrides = {"flows_dir": flows_dir} if flows_dir else {}
    settings = finish(from_environment().with_overrides(overrides))
    if url:
        transport, base = HttpTransport(), url
    else:
        from .web import create_app

        logging.disable(logging.INFO)
        transport, base = TestClientTransport(create_app(settings=settings)), "http://localhost"
    phone = Phone(transport, settings.twilio_auth_token, base_url=base, from_number=from_number,
                  dial_outcome="no-answer" if nobody_answers else "completed")
    answer = scripted(script.split(",")) if script is not None else _keyboard
    heard = phone.call(answer, on_heard=lambda h: click.echo(str(h)))
    if any(h.kind in ("error", "cut-off") for h in heard):
        sys.exit(1)


def _keyboard(_heard):
    try:
        reply = input("your answer (key, words, Enter for silence, q to hang up)> ")
    except EOFError:
        return None
    reply = reply.strip()
    if reply.lower() in ("q", "quit", "hangup"):
        return None
    if reply and not all(c in "0123456789*#" for c in reply):
        return "say:" + reply
    return reply


@main.group()
def db():
    """The database at DATABASE_URL [default: instance/helpline.db]."""


@db.command()
def upgrade():
    """Run the database migrations up to the newest.

    The helpline does the same when it starts, under the same lock: this is for those who prefer
    to migrate as a step of their own, before starting it.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from .config import ConfigError, finish, from_environment
    from .store.database import ensure_schema, head_revision, open_database, schema_revision

    try:
        settings = finish(from_environment())
    except ConfigError as error:
        raise click.ClickException(str(error))
    engine = open_database(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        before = schema_revision(engine)
        ensure_schema(engine)
        after = schema_revision(engine)
    except SQLAlchemyError as error:
        raise click.ClickException(f"{where}: {str(error.orig or error).splitlines()[0]}")
    finally:
        engine.dispose()
    if after != head_revision():
        raise click.ClickException(f"{where}: at revision {after}, which this version does not know "
                                   f"(its newest is {head_revision()}): tables left as they are")
    click.echo(f"{where}: at revision {after}"
               + (" already" if before == after else f", upgraded from {before or 'no revision'}"))


@main.command()
@click.argument("who")
@click.argument("action", type=click.Choice(["on", "off", "status"]))
@click.option("--flows", "flows_dir", type=click.Path(file_okay=False), help="Where roster.yaml is [default: flows/].")
def presence(who, action, flows_dir):
    """Set a professional available (on) or away (off), or show their status.

    WHO is their id or name as on the roster ('ana-rivera' or "Ana Rivera").
    """
    import datetime

    from sqlalchemy.exc import SQLAlchemyError

    from .config import finish, from_environment
    from .routing.presence_words import describe
    from .routing.roster import ROSTER_FILE, load_roster, slug
    from .store.database import ensure_schema, open_database
    from .store.presence import PresenceStore

    settings = finish(from_environment().with_overrides({"flows_dir": flows_dir} if flows_dir else {}))
    roster, problems = load_roster(settings.flows_dir / ROSTER_FILE)
    if roster is None:
        raise click.ClickException("the roster has problems; run `ivr check` first")
    person = roster.by_id(who) or roster.by_id(slug(who))
    if person is None:
        raise click.ClickException(f"{who!r} is not on the roster")
    engine = open_database(settings.database_url)
    store, now = PresenceStore(engine), datetime.datetime.now(datetime.timezone.utc)
    try:
        ensure_schema(engine)
        if action != "status":
            store.set_away(person.id, action == "off", now)
        click.echo(describe(person, store.status(person.id), now, roster.ringing.busy_expires_minutes))
    except SQLAlchemyError as error:
        raise click.ClickException(f"the database is unavailable: {error.__class__.__name__}")
    finally:
        engine.dispose()


@main.group()
def callbacks():
    """Callers waiting to be called back (their numbers are erased once done)."""


def _call_records():
    from .config import finish, from_environment
    from .store.calls import CallRecords
    from .store.database import ensure_schema, open_database

    settings = finish(from_environment())
    engine = open_database(settings.database_url)
    ensure_schema(engine)
    return CallRecords(engine)


@callbacks.command("list")
def callbacks_list():
    """The pending callbacks, oldest first: id, when, language, number to call."""
    pending = _call_records().pending_callbacks()
    for row in pending:
        click.echo(f"{row.id:>5}  {row.requested_at:%Y-%m-%d %H:%M} UTC  {row.language}  {row.number}")
    click.echo(f"{len(pending)} callback{'s' * (len(pending) != 1)} waiting", err=True)


@callbacks.command("done")
@click.argument("callback_id", type=int)
def callbacks_done(callback_id):
    """Mark a callback as done: the caller's number is erased."""
    if not _call_records().callback_done(callback_id):
        raise click.ClickException(f"no pending callback {callback_id}")
    click.echo(f"callback {callback_id} done; the number is erased")
