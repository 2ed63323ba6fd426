"""`ivr check`, `ivr review` and `ivr schema`: the flows as staff edit them — every problem at once,
the clinician's sign-off of health prompts, and the schema editors complete fields from."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..flow.review import DEFAULT_REVIEW_MONTHS
from .check_command import check_helpline


@click.command()
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


@click.command()
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


@click.command()
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
