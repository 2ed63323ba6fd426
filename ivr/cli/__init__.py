"""The `ivr` command: check flows (and, as the project grows, simulate calls and run the line)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .check_command import check_helpline
from ..sim.professionals import PHONES
from ..flow.review import DEFAULT_REVIEW_MONTHS
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
            # A folder that is not there has its one line above, and no helpline plays flows from it.
            if Path(flows_dir).is_dir():
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
@click.argument("prompts", nargs=-1, metavar="[PROMPT]...")
@click.option("--by", "by", help="The clinician who checked the prompts, as their name should be kept.")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The day they checked them [default: today].")
@click.option("--due", is_flag=True, help="List the health prompts never reviewed or due again; sign nothing.")
@click.option("--review-months", default=DEFAULT_REVIEW_MONTHS, show_default=True, type=click.IntRange(1, 120),
              help="With --due: a review this many months old or more is due again.")
@click.option("--flows", "flows_dir", default="flows", show_default=True, type=click.Path(file_okay=False),
              help="The folder of flow files.")
def review(prompts, by, on, due, review_months, flows_dir):
    """Record a clinician's review of health information, in the flow file itself.

    PROMPT is a prompt's name, as health-info:oin-what, or oin-what when only one flow has it.
    Its `reviewed:` line becomes {by: NAME, on: DATE}; the rest of the file is kept as it was.
    Nothing is written if any PROMPT is refused.
    """
    import datetime

    from ..flow.loader import load_flows
    from ..flow.review import NotRecorded, due_for_review, written
    from ..flow.review_edit import record_reviews

    today = datetime.date.today()
    if due:
        if prompts or by or on:
            raise click.UsageError("--due lists what is due; sign prompts in a command of their own")
        result = load_flows(flows_dir, today=today)
        if result.flows is None:
            raise click.ClickException(f"{flows_dir} has problems to fix first (run: ivr check {flows_dir})")
        listed = due_for_review(result.flows.prompts, today, review_months)
        for key, prompt in listed:
            when = (f"last reviewed {prompt.reviewed_on.isoformat()} by {prompt.reviewed_by}"
                    if prompt.reviewed_on else "never reviewed")
            click.echo(f"{prompt.file}:{prompt.line}: {written(key)}: {when}")
        if listed:
            click.echo(f"{len(listed)} health prompt{'s' * (len(listed) != 1)} due for a clinical review; once "
                       "checked: ivr review PROMPT... --by NAME", err=True)
        else:
            click.echo(f"{flows_dir}: nothing is due; every health prompt was reviewed in the last "
                       f"{review_months} months")
        return
    if not prompts or not by:
        raise click.UsageError("name the PROMPTs reviewed and --by whom (or --due to list what is due)")
    on = on.date() if on else today
    try:
        recorded = record_reviews(flows_dir, prompts, by, on, today)
    except NotRecorded as refused:
        raise click.ClickException("nothing was recorded:\n  " + "\n  ".join(refused.reasons))
    for entry in recorded:
        click.echo(f"{entry.file}:{entry.line}: {entry.prompt}: reviewed by {by.strip()} on {on.isoformat()}")


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="write it to this file (default: print it)")
def schema(output):
    """Write the flows' JSON Schema, for editors that complete fields and underline mistakes.

    The shipped flows name flows/flows.schema.json on their first line (# yaml-language-server:
    $schema=flows.schema.json); after a change to the step types, refresh it with
    `ivr schema -o flows/flows.schema.json`.
    """
    from ..flow.json_schema import json_schema_text

    text = json_schema_text()
    if output is None:
        click.echo(text, nl=False)
        return
    with open(output, "w", encoding="utf-8") as file:
        file.write(text)
    click.echo(f"wrote {output}")


@main.command()
@click.option("--press", "script", help="Answers to play, comma-separated: keys (2), words (say:operator), "
              "silence (wait), on hold: hold:1, hold:say:words, hold:hangup; while a prompt plays: "
              "0@during:thank you (press 0 during the prompt that says it), 3@2 (during the 2nd prompt). "
              "The caller hangs up when they run out (on hold they wait). Without it, answer at the keyboard.")
@click.option("--url", help="A running helpline to call over HTTP, e.g. http://127.0.0.1:5000 "
              "[default: the app in this process].")
@click.option("--flows", "flows_dir", type=click.Path(file_okay=False), help="Flows to try [default: flows/].")
@click.option("--professionals", "phones", default="person", show_default=True,
              type=click.Choice(sorted(PHONES)), help="Who answers the professionals' phones.")
@click.option("--nobody-answers", is_flag=True, help="Professionals' phones ring out (--professionals no-answer).")
@click.option("--from", "from_number", default="+15550100123", show_default=True, help="The caller's number.")
@click.option("--to", "to_number", default="+18005550100", show_default=True, help="The helpline's number dialled.")
@click.option("--twilio-port", default=5001, show_default=True,
              help="With --url: the simulated Twilio the helpline rings professionals through (`make run` "
                   "serves one there); when none answers, this call serves one there for itself.")
@click.option("--speed", default=None, type=click.FloatRange(min=0.1, max=1000), envvar="IVR_CALL_SPEED",
              help="In this process: simulated seconds per real second [default: 30]. With --url: how many "
                   "times fast the caller hears the prompts; rings and the helpline's clock stay real [default: 1].")
def call(script, url, flows_dir, phones, nobody_answers, from_number, to_number, twilio_port, speed):
    """Call the helpline from the terminal: hear each prompt, answer with keys or words.

    Twilio is simulated too: the professionals' phones (their whisper, their key, a voicemail box
    answering first) and the REST API the helpline rings them through. Without --url the helpline
    runs in this process on a throwaway database: nothing reaches a running helpline's records.
    """
    import logging

    from ..config import from_environment

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("werkzeug").disabled = True
    settings = from_environment().with_overrides({"flows_dir": flows_dir} if flows_dir else {})
    professionals = "no-answer" if nobody_answers else phones
    numbers = {"from_number": from_number, "to_number": to_number}
    if url:
        failed = _call_running_helpline(url, settings, script, professionals, twilio_port, numbers, speed or 1.0)
    else:
        failed = _call_in_this_process(settings, script, professionals, speed or 30.0, numbers)
    if failed:
        sys.exit(1)


def _call_running_helpline(url, settings, script, professionals, twilio_port, numbers, listening) -> bool:
    """Through the simulated Twilio `make run` keeps beside the helpline (so recordings outlive the
    call), or, when none answers at `twilio_port`, one served there for this call only."""
    from ..config import finish
    from ..sim.dev_twilio import Terminal
    from ..sim.twilio import ACCOUNT_SID

    import requests

    try:
        requests.get(url.rstrip("/") + "/healthz", timeout=5)
    except requests.RequestException:
        raise click.ClickException(f"could not reach the helpline at {url}: is it running? "
                                   "(`make run` starts it)") from None
    settings = finish(settings)
    terminal = Terminal(twilio_port, ACCOUNT_SID, settings.twilio_auth_token)
    if terminal.here():
        try:
            failed, legs = terminal.call(url, script, professionals, numbers["from_number"], numbers["to_number"],
                                         show=click.echo, keyboard=_keyboard, listening_speed=listening)
        except requests.RequestException as error:
            raise click.ClickException(f"the simulated Twilio at port {twilio_port} stopped answering mid-call "
                                       f"({error.__class__.__name__}): was the helpline stopped?") from None
        for leg in legs:
            click.echo("  " + leg, err=True)
        return failed
    click.echo(f"(no simulated Twilio answers at port {twilio_port}: serving one for this call; a voicemail "
               "left in it can be heard only while the call lasts)", err=True)
    return _play(settings, script, professionals, 1.0, numbers, base=url, twilio_port=twilio_port,
                 listening=listening)


def _call_in_this_process(settings, script, professionals, speed, numbers) -> bool:
    """The app in this process, on a database and instance folder of its own, deleted afterwards:
    its clock runs `speed` times fast, and nothing it writes may reach a running helpline's records."""
    import tempfile

    from ..config import finish

    with tempfile.TemporaryDirectory(prefix="ivr-call-") as scratch:
        settings = finish(settings.with_overrides({"instance_dir": scratch,
                                                   "database_url": f"sqlite:///{scratch}/calls.db"}))
        return _play(settings, script, professionals, speed, numbers)


def _play(settings, script, professionals, speed, numbers, base=None, twilio_port=None, listening=1.0) -> bool:
    """Play one call through a SimTwilio of its own: against the helpline at `base`, or else the app
    in this process. Whether the caller was cut off or answered an error."""
    import logging
    import threading

    from werkzeug.serving import make_server

    from ..sim.phone import HttpTransport, Phone, scripted
    from ..sim.clock import QuickListener, SimClock
    from ..sim.twilio import ACCOUNT_SID, Helpline, SimTwilio

    clock = SimClock(speed)
    sim = SimTwilio(Helpline(HttpTransport(), settings.twilio_auth_token), clock, settings.twilio_auth_token,
                    default_phone=professionals)
    server = app = None
    if base:
        try:
            sim.serve_on(twilio_port)
        except OSError as error:
            raise click.ClickException(f"cannot serve the simulated Twilio on port {twilio_port}: "
                                       f"{error.strerror or error}") from None
    else:
        from ..web import create_app

        logging.disable(logging.INFO)
        app = create_app(settings=settings.with_overrides({
            "twilio_account_sid": ACCOUNT_SID, "twilio_api_url": sim.serve(), "public_url": ""}))
        app.extensions["ivr"].clock = clock
        app.extensions["ivr"].start()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
    phone = Phone(HttpTransport(), settings.twilio_auth_token, base_url=base, twilio=sim, **numbers)
    if listening != 1.0:
        phone.clock = QuickListener(clock, listening)
    answer = scripted(script.split(",")) if script is not None else _keyboard
    try:
        heard = phone.call(answer, on_heard=lambda h: click.echo(str(h)))
    finally:
        for leg in [c for c in sim.calls.values() if c.direction == "outbound-api"]:
            click.echo(f"  professional's phone {leg.to}: {leg.status}"
                       + (f", answered by {leg.answered_by}" if leg.answered_by else ""), err=True)
        sim.stop()
        if server is not None:
            server.shutdown()
            app.extensions["ivr"].close()
    return any(h.kind in ("error", "cut-off") for h in heard)


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

    from ..config import ConfigError, finish, from_environment
    from ..store.database import ensure_schema, head_revision, open_database, schema_revision

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
        raise click.ClickException(f"the database at {where} is unavailable: "
                                   f"{str(error.orig or error).splitlines()[0]}") from None
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

    from ..calls.links import Links
    from ..config import finish, from_environment
    from ..calls.routing.presence_words import describe
    from ..calls.routing.roster import slug
    from ..store.database import ensure_schema
    from ..twilio.rest import TwilioUnavailable
    from ..services import make_services

    settings = finish(from_environment().with_overrides({"flows_dir": flows_dir} if flows_dir else {}))
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


@main.group()
def callbacks():
    """Callers waiting to be called back (their numbers are erased once done)."""


def _call_records():
    from ..config import finish, from_environment
    from ..store.calls import CallRecords
    from ..store.database import ensure_schema, open_database

    settings = finish(from_environment())
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
    from ..config import finish, from_environment
    from ..calls.routing.roster import slug
    from ..store.database import ensure_schema
    from ..twilio.rest import TwilioUnavailable
    from ..services import make_services

    settings = finish(from_environment())
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



main.add_command(twilio)
main.add_command(staff)
