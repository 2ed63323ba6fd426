"""Where a command reads its settings: the process's environment, or a mapping handed in as
click's context object by a program that runs `ivr` inside itself, so that program never changes
os.environ while its other threads read it."""
from __future__ import annotations

import os
from collections.abc import Mapping

import click


def command_environment() -> Mapping[str, str]:
    context = click.get_current_context(silent=True)
    given = context.find_root().obj if context is not None else None
    return given if isinstance(given, Mapping) else os.environ
