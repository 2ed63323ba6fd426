"""The `ivr` command: check flows (and, as the project grows, simulate calls and run the line)."""
from __future__ import annotations

import json
import sys

import click

from .flow.loader import load_flows
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
    result = load_flows(flows_dir, audio_dir, review_months=review_months)
    errors, warnings = len(result.errors), len(result.warnings)
    if output == "json":
        click.echo(json.dumps({"ok": not errors, "errors": errors, "warnings": warnings,
                               "problems": [p.as_dict() for p in result.problems]}, indent=2))
    else:
        for problem in result.problems:
            click.echo(str(problem))
        if errors:
            click.echo(f"{errors} problem{'s' * (errors != 1)} to fix"
                       + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else "")
                       + " (callers keep hearing the last good flows until they are fixed)", err=True)
        else:
            steps = len(result.flows.steps)
            flows = len({ref.flow for ref in result.flows.steps})
            click.echo(f"{flows_dir}: OK, {steps} steps in {flows} flows"
                       + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""), err=True)
    sys.exit(1 if errors else 0)
