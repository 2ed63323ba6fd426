"""Where a command reads its settings: the process's environment, or the mapping a program that
runs `ivr` inside itself hands in as `environ` in click's context object (beside the clock the
twilio commands take there), so that program never changes os.environ while its other threads
read it."""
from __future__ import annotations

import os
from collections.abc import Mapping

import click


def command_settings():
    """The helpline's Settings, read from the command's environment (config.from_environment)."""
    from ..config import from_environment

    context = click.get_current_context(silent=True)
    handed_in = context.find_root().obj if context is not None else None
    given = handed_in.get("environ") if isinstance(handed_in, Mapping) else None
    return from_environment(given if given is not None else os.environ)
