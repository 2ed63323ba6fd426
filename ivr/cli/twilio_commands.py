"""`ivr twilio`: point the helpline's Twilio number at it, check it, write the static backup TwiML.

Thin: what the settings should be, and how they differ, is decided in twilio_setup.py.
"""
from __future__ import annotations

import sys

import click

from .environment import command_settings


@click.group()
@click.pass_context
def twilio(ctx):
    """The helpline's Twilio number: point it at the helpline, check it, and write the static
    backup TwiML for its fallback URL. Credentials: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."""
    ctx.ensure_object(dict)      # tests put their own HTTP client under "twilio_http_client"


class TwilioOutOfReach(click.ClickException):
    exit_code = 2


def _number_options(command):
    command = click.option("--fallback-url", help="The hosted copy of `ivr twilio backup-twiml`'s file, "
                           "fetched with GET [default: BASE_URL/voice/fallback, on the same host].")(command)
    command = click.option("--base-url", required=True, help="How Twilio reaches the helpline: https://your-host.")(command)
    return click.option("--number", required=True, help="The helpline's Twilio number, e.g. +18005550100.")(command)


def _twilio_number(ctx, number, base_url, fallback_url):
    """The adapter, and the number as Twilio has it (with the URLs given, checked)."""
    from ..twilio import number_setup as setup
    from ..config import ConfigError
    from ..numbers import e164
    from ..twilio.rest import TwilioApi

    phone_number = e164(number)
    if phone_number is None:
        raise click.BadParameter(f"{number!r} is not a dialable number", param_hint="--number")
    try:
        base, fallback = setup.base_url(base_url), setup.fallback_url(fallback_url)
    except setup.SetupRefused as refused:
        raise click.UsageError(str(refused))
    try:
        settings = command_settings()          # not finish(): no made-up development token here
    except ConfigError as error:
        raise TwilioOutOfReach(str(error))
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        raise TwilioOutOfReach("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to the account's (Twilio console, "
                               "Account info)")
    api = TwilioApi(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url,
                    http_client=ctx.obj.get("twilio_http_client"))
    found = _asking_twilio(settings, lambda: api.find_number(phone_number))
    if found is None:
        raise click.ClickException(setup.not_on_account(phone_number, settings.twilio_account_sid))
    return api, settings, found, base, fallback


def _asking_twilio(settings, request):
    from ..twilio import number_setup as setup
    from ..twilio.rest import TwilioUnavailable

    try:
        return request()
    except TwilioUnavailable as error:
        code, message = setup.refusal(error, settings.twilio_api_url)
        raise (TwilioOutOfReach if code == 2 else click.ClickException)(message)


@twilio.command()
@_number_options
@click.option("--clear-application", is_flag=True, help="Clear a VoiceApplicationSid, TrunkSid or "
              "SmsApplicationSid on the number: while one is set, Twilio ignores the number's own URLs.")
@click.pass_context
def configure(ctx, number, base_url, fallback_url, clear_application):
    """Point the number's voice, fallback, status and SMS webhooks at the helpline.

    Prints each setting it changes (old → new). Exits 0 when done, 1 when refused, 2 when Twilio
    cannot be reached or refuses the credentials.
    """
    from ..twilio import number_setup as setup

    api, settings, found, base, fallback = _twilio_number(ctx, number, base_url, fallback_url)
    plan = setup.plan_configuration(found, base, fallback, clear_application)
    for note in plan.notes:
        click.echo(f"note: {note}", err=True)
    if plan.refused:
        raise click.ClickException(plan.refused)
    if not plan.update:
        click.echo(f"{found['phone_number']}: already set as it should be; nothing changed")
        return
    updated = _asking_twilio(settings, lambda: api.update_number(found["sid"], **plan.update))
    click.echo(f"{found['phone_number']} ({found['sid']}):")
    for change in plan.changes:
        click.echo(f"  {change}")
    kept = setup.changes(updated, plan.update)
    if kept:
        raise click.ClickException("Twilio did not keep every setting:\n  "
                                   + "\n  ".join(change.as_difference() for change in kept))


@twilio.command("check")
@_number_options
@click.pass_context
def twilio_check(ctx, number, base_url, fallback_url):
    """Compare the number with what `ivr twilio configure` would set, and check that the account
    can take and place calls: one line per difference.

    Exits 0 when all is well, 1 on any difference, 2 when Twilio cannot be reached or refuses the
    credentials.
    """
    from ..twilio import number_setup as setup

    api, settings, found, base, fallback = _twilio_number(ctx, number, base_url, fallback_url)
    account = _asking_twilio(settings, api.account)
    texting_problems, texting = _texting(settings, api, found)
    caller_problems, caller = _caller_id(settings, api, found)
    problems = (setup.number_problems(found, base, fallback) + setup.account_problems(account)
                + texting_problems + caller_problems)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{found['phone_number']}: {len(problems)} problem{'s' * (len(problems) != 1)} "
                   "(`ivr twilio configure` sets the number's URLs; see the README for texts and caller IDs)", err=True)
        sys.exit(1)
    click.echo(f"{found['phone_number']}: OK, set as `ivr twilio configure` would set it; "
               f"{setup.account_summary(account)}")
    click.echo("texts: " + "; ".join(texting))
    click.echo("caller ID: " + caller)
    for note in setup.fallback_notes(base, fallback):
        click.echo(f"note: {note}", err=True)


def _texting(settings, api, found) -> tuple:
    """(problems, facts) of texts from the number: SMS capability and, for a toll-free number, its
    toll-free verification as Twilio has it ('unknown' when Twilio would not say)."""
    from ..twilio import number_setup as setup
    from ..twilio.rest import TwilioUnavailable

    verification, unknown = None, ""
    if setup.is_toll_free(found.get("phone_number") or ""):
        try:
            verification = api.tollfree_verification(found["sid"])
        except TwilioUnavailable as error:
            if error.status in (401, 403) or error.status is None or error.status >= 500:
                code, message = setup.refusal(error, settings.twilio_api_url)
                unknown = message
            else:
                unknown = str(error)
    return setup.texting_lines(found, verification, unknown)


def _caller_id(settings, api, found) -> tuple:
    """(problems, fact) of the numbers professionals' phones show when the helpline rings them:
    the roster's caller_id, or else the number each caller dialled — this one, or a language's own
    helpline number (`numbers:` in the flows), each of which must be a number of the account or a
    verified caller ID too, or Twilio refuses the calls placed from it (21210)."""
    from ..twilio import number_setup as setup
    from ..calls.routing.roster import ROSTER_FILE, load_roster

    roster, _ = load_roster(settings.flows_dir / ROSTER_FILE)
    if roster is None:
        return [], f"unknown: {settings.flows_dir / ROSTER_FILE} could not be read (run: ivr check)"
    if roster.caller_id:
        standing = _asking_twilio(settings, lambda: setup.caller_id_standing(api, roster.caller_id))
        if standing is None:
            return [setup.caller_id_problem_text("the roster's caller_id", roster.caller_id)], ""
        return [], f"the roster's caller_id {roster.caller_id} is {standing}"
    fact = (f"the roster sets no caller_id: calls go from the number each caller dialled, e.g. "
            f"{found['phone_number']}, a number of the account")
    numbers = _language_numbers(settings)
    if numbers is None:
        return [], fact + f"; the flows' own helpline numbers unknown: {settings.flows_dir} has problems (ivr check)"
    problems, facts = [], [fact]
    for number in numbers:
        if number == found["phone_number"]:
            continue
        standing = _asking_twilio(settings, lambda: setup.caller_id_standing(api, number))
        if standing is None:
            problems.append(setup.caller_id_problem_text("the helpline number", number))
        else:
            facts.append(f"the helpline number {number} is {standing}")
    return problems, "; ".join(facts)


def _language_numbers(settings) -> list | None:
    """Every helpline number the flows' languages list, once each; None when the flows cannot be read."""
    from ..flow.loader import load_flows

    flows = load_flows(settings.flows_dir, settings.audio_dir).flows
    if flows is None:
        return None
    return list(dict.fromkeys(number for language in flows.languages for number in language.numbers))


@twilio.command()
@click.option("--number", required=True, help="The helpline's Twilio number, e.g. +18005550100.")
@click.option("--from", "from_number", required=True,
              help="Another number of the account: it calls the helpline and stands in as the professional.")
@click.option("--base-url", required=True, help="How Twilio reaches the helpline: https://your-host.")
@click.pass_context
def rehearse(ctx, number, from_number, base_url):
    """Place one real call from --from into the helpline, press through to a person, and answer
    the whisper with 1 from --from; report within 2 minutes what was seen of every stage.

    While it runs, --from's Voice URL points at the helpline's stand-in webhook; it is restored
    afterwards. Exits 0 when every stage was seen, 1 otherwise, 2 on a usage problem.
    """
    from ..calls import rehearsal as rehearsing
    from ..twilio import twiml, number_setup as setup
    from ..config import ConfigError
    from ..flow.loader import load_flows
    from ..numbers import e164
    from ..store.database import ensure_schema, open_database
    from ..store.rehearsals import Rehearsals
    from ..twilio.rest import TwilioApi

    helpline_number, stand_in_number = e164(number), e164(from_number)
    if helpline_number is None:
        raise click.BadParameter(f"{number!r} is not a dialable number", param_hint="--number")
    if stand_in_number is None:
        raise click.BadParameter(f"{from_number!r} is not a dialable number", param_hint="--from")
    if stand_in_number == helpline_number:
        raise click.UsageError("--from must be another number of the account than --number")
    try:
        base = setup.base_url(base_url)
    except setup.SetupRefused as refused:
        raise click.UsageError(str(refused))
    try:
        settings = command_settings()
    except ConfigError as error:
        raise TwilioOutOfReach(str(error))
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        raise TwilioOutOfReach("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to the account's (Twilio console, "
                               "Account info)")
    if not settings.database_url:
        raise click.UsageError("set DATABASE_URL to the helpline's database: the helpline records there what it sees")
    clock = ctx.obj.get("clock") or rehearsing_now
    flows = load_flows(settings.flows_dir, settings.audio_dir).flows
    if flows is None:
        raise click.UsageError(f"{settings.flows_dir} has problems to fix first (run: ivr check {settings.flows_dir})")
    from ..twilio.twiml import Renderer
    try:
        keys = rehearsing.keys_to_a_person(flows, Renderer(), clock(), helpline_number)
    except rehearsing.RehearsalRefused as refused:
        raise click.UsageError(str(refused))
    api = TwilioApi(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url,
                    http_client=ctx.obj.get("twilio_http_client"))
    helpline = _asking_twilio(settings, lambda: api.find_number(helpline_number))
    stand_in = _asking_twilio(settings, lambda: api.find_number(stand_in_number))
    for found, wanted, option in ((helpline, helpline_number, "--number"), (stand_in, stand_in_number, "--from")):
        if found is None:
            raise click.UsageError(f"{option}: " + setup.not_on_account(wanted, settings.twilio_account_sid))
    if stand_in.get("voice_application_sid") or stand_in.get("trunk_sid"):
        # While one is set Twilio ignores the number's own Voice URL: the stand-in could not answer.
        raise click.UsageError(f"--from {stand_in_number} has a VoiceApplicationSid or TrunkSid: Twilio would not "
                               "use the Voice URL the rehearsal sets; use another number")
    from sqlalchemy.exc import SQLAlchemyError

    engine = open_database(settings.database_url)
    try:
        ensure_schema(engine)
        seen = rehearsing.rehearse(api, Rehearsals(engine), keys, helpline, stand_in, base,
                                   twiml.rehearsal_caller(rehearsing.ACTIVE_SECONDS), clock,
                                   sleep=ctx.obj.get("sleep") or _sleep)
    except SQLAlchemyError as error:
        # The stand-in's Voice URL is restored before this (rehearse's finally), or said not to be.
        raise click.ClickException(f"the helpline's database (DATABASE_URL) could not be used: "
                                   f"{error.__class__.__name__}")
    finally:
        engine.dispose()
    click.echo(f"rehearsal: {stand_in_number} called {helpline_number}, pressing {keys}")
    for line in seen.lines:
        click.echo(f"  {line}")
    for failure in seen.failures:
        click.echo(f"not seen: {failure}", err=True)
    if seen.failures:
        sys.exit(1)


def rehearsing_now():
    import datetime

    return datetime.datetime.now(datetime.timezone.utc)


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


@twilio.command("backup-twiml")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write it to this file [default: print it].")
def backup_twiml(output):
    """Write the static TwiML that puts a caller through to the backup line (IVR_BACKUP_LINE),
    with the flows' words for it in every language.

    Host it anywhere but the helpline's own host (S3, GitHub Pages…), served as text/xml, and pass
    its URL to `ivr twilio configure --fallback-url`: if the helpline cannot answer, Twilio
    fetches it (with GET) and callers still reach a person.
    """
    from ..twilio import number_setup as setup
    from ..config import ConfigError
    from ..flow.loader import load_flows
    from ..numbers import e164

    try:
        settings = command_settings()
    except ConfigError as error:
        raise click.ClickException(str(error))
    if e164(settings.backup_line) is None:
        raise click.ClickException(f"IVR_BACKUP_LINE {settings.backup_line!r} is not a dialable number")
    flows = load_flows(settings.flows_dir, settings.audio_dir).flows
    if flows is None:
        raise click.ClickException(f"{settings.flows_dir} has problems to fix first (run: ivr check "
                                   f"{settings.flows_dir}): the file would miss the backup line's words")
    try:
        xml = setup.backup_document(settings.backup_line, flows)
    except setup.SetupRefused as refused:
        raise click.ClickException(str(refused))
    if output is None:
        click.echo(xml)
        return
    with open(output, "w", encoding="utf-8") as file:
        file.write(xml + "\n")
    languages = ", ".join(language.code for language in flows.languages)
    click.echo(f"wrote {output}: the backup line {settings.backup_line}, its words in {languages}; host it "
               "as text/xml away from the helpline and pass its URL as --fallback-url", err=True)
