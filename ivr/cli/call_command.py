"""`ivr call`: a call to the helpline with no phone — the running one over HTTP, or the flows tried
in a process of its own on a throwaway database — printing what a caller would hear."""
from __future__ import annotations

import sys

import click

from ..sim.professionals import PHONES
from .environment import command_settings


@click.command()
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


    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("werkzeug").disabled = True
    settings = command_settings().with_overrides({"flows_dir": flows_dir} if flows_dir else {})
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
