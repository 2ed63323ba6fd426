"""`ivr staff`: accounts for the staff pages, made from the command line (the first lead's too).

Nobody types a password here: each account gets a one-time link with which its owner sets one.
"""
from __future__ import annotations

import datetime

import click

from .environment import command_settings

#: Where the link points when IVR_PUBLIC_URL is not set: the helpline `make run` starts.
LOCAL_URL = "http://127.0.0.1:5000"


def _accounts():
    from ..config import finish
    from ..store.database import ensure_schema, open_database
    from ..store.staff import StaffAccounts

    settings = finish(command_settings())
    engine = open_database(settings.database_url)
    ensure_schema(engine)
    return settings, StaffAccounts(engine, lambda: datetime.datetime.now(datetime.timezone.utc))


def _link(settings, token: str) -> str:
    return f"{settings.public_url or LOCAL_URL}/staff/set-password/{token}"


@click.group()
def staff():
    """Staff accounts for the staff pages (leads see everything; professionals their own work)."""


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["lead", "professional"]), required=True)
@click.option("--professional", "professional_id",
              help="Their id on the roster [default: the roster entry with this NAME]. A lead who also "
                   "takes calls may have one too.")
def add(name, role, professional_id):
    """Make an account for NAME and print the one-time link with which they set their password."""
    from ..calls.routing.roster import ROSTER_FILE, load_roster, slug
    from ..store.staff import SETUP_LINK_HOURS, StaffError

    settings, accounts = _accounts()
    roster, _problems = load_roster(settings.flows_dir / ROSTER_FILE)
    if professional_id is None and roster is not None and roster.by_id(slug(name)):
        professional_id = slug(name)
    if professional_id is not None and (roster is None or roster.by_id(professional_id) is None):
        raise click.ClickException(f"{professional_id!r} is not on the roster ({settings.flows_dir / ROSTER_FILE})")
    if role == "professional" and professional_id is None:
        raise click.ClickException(f"{name!r} is not on the roster: add them to roster.yaml first, or "
                                   "give --professional THEIR-ID")
    try:
        member, token = accounts.add(slug(name), name, role, professional_id)
    except StaffError as error:
        raise click.ClickException(str(error))
    linked = f", roster entry {member.professional_id}" if member.professional_id else ""
    click.echo(f"{member.name}: login {member.login}, {member.role}{linked}")
    click.echo(f"Send them this link to set their password (it works once, for {SETUP_LINK_HOURS} hours):")
    click.echo(_link(settings, token))


@staff.command("link")
@click.argument("login")
def link(login):
    """A new set-password link for LOGIN (a forgotten password, an expired link); the old password
    keeps working until the new one is set."""
    from ..store.staff import StaffError

    settings, accounts = _accounts()
    try:
        token = accounts.new_link(login)
    except StaffError as error:
        raise click.ClickException(str(error))
    click.echo(_link(settings, token))


@staff.command("list")
def list_accounts():
    """Every account: login, role, roster entry, whether a password is set."""
    _settings, accounts = _accounts()
    everyone = accounts.everyone()
    for member in everyone:
        password = "password set" if member.has_password else "waiting for them to set a password"
        click.echo(f"{member.login:24s} {member.role:13s} {member.professional_id or '-':20s} {password}")
    click.echo(f"{len(everyone)} account{'s' * (len(everyone) != 1)}", err=True)
