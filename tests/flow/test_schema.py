"""One declaration of the step types (ivr/flow/step_types.py) behind the builder, the model's defaults,
flows/README.md's table and the JSON Schema editors use: none of them can drift from the others."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from ivr.cli import main
from ivr.flow import model
from ivr.flow.build import STEP_FIELDS
from ivr.flow.json_schema import json_schema, json_schema_text
from ivr.flow.step_types import SCHEMA_FILE, STEP_TYPES, markdown_table

FLOWS = Path(__file__).resolve().parents[2] / "flows"


class KeepDatesAsText(yaml.SafeLoader):
    """As an editor sees the file: `on: 2026-11-20` is text to it."""


KeepDatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@pytest.fixture(scope="module")
def validator():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_readme_shows_the_step_table_as_declared():
    assert markdown_table() in (FLOWS / "README.md").read_text(encoding="utf-8")


def test_the_shipped_schema_file_is_the_one_ivr_schema_writes(tmp_path):
    written = tmp_path / "schema.json"
    result = CliRunner().invoke(main, ["schema", "-o", str(written)])
    assert result.exit_code == 0, result.output
    assert written.read_text(encoding="utf-8") == (FLOWS / SCHEMA_FILE).read_text(encoding="utf-8")
    assert json.loads(json_schema_text()) == json_schema()


@pytest.mark.parametrize("name", ["main.yaml", "health-info.yaml"])
def test_the_shipped_flows_name_the_schema_and_follow_it(validator, name):
    text = (FLOWS / name).read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_FILE}"
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(yaml.load(text, KeepDatesAsText))]
    assert errors == []


@pytest.mark.parametrize("mistake, where", [
    ({"steps": {"welcome": {"type": "say", "prompt": "hello", "goto": "menu", "paus": 2}}}, ["steps", "welcome"]),
    ({"steps": {"menu": {"type": "menu", "prompt": "x", "options": [{"key": 1, "goto": "a"}]}}},
     ["steps", "menu"]),
    ({"steps": {"hold": {"type": "queue", "prompt": "x", "team": "t", "overflow": "b", "max_wait": 5}}},
     ["steps", "hold"]),
    ({"steps": {"s": {"type": "sya"}}}, ["steps", "s"]),
])
def test_an_editor_underlines_what_ivr_check_would_refuse(validator, mistake, where):
    errors = list(validator.iter_errors(mistake))
    assert errors
    assert any(list(error.path)[:2] == where for error in errors), [list(e.path) for e in errors]


def test_the_builder_reads_exactly_the_declared_fields():
    for name, step_type in STEP_TYPES.items():
        assert STEP_FIELDS[name] == ("type", "note") + tuple(f.name for f in step_type.fields)


def test_the_model_takes_its_defaults_from_the_declaration():
    assert model.Menu("f", "m").timeout == STEP_TYPES["menu"].field("timeout").default
    assert model.Queue("f", "q").max_wait == STEP_TYPES["queue"].field("max_wait").default
    assert model.Voicemail("f", "v").max_seconds == STEP_TYPES["voicemail"].field("max_seconds").default
