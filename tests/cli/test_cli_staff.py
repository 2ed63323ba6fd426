"""`ivr staff add` makes an account and prints its one-time link; nobody types a password there."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main

SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture
def run(tmp_path, monkeypatch):
    flows = shutil.copytree(SHIPPED_FLOWS, tmp_path / "flows")
    for name in ("IVR_PUBLIC_URL", "DATABASE_URL", "IVR_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IVR_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("IVR_FLOWS_DIR", str(flows))

    def invoke(*args):
        return CliRunner().invoke(main, ["staff", *args])
    return invoke


def test_adding_a_professional_links_their_roster_entry_and_prints_a_set_password_link(run):
    result = run("add", "Ana Rivera", "--role", "professional")

    assert result.exit_code == 0, result.output
    assert "login ana-rivera, professional, roster entry ana-rivera" in result.output
    assert re.search(r"http://127\.0\.0\.1:5000/staff/set-password/[\w-]{40,}", result.output)


def test_the_link_uses_the_public_url_when_it_is_set(run, monkeypatch):
    monkeypatch.setenv("IVR_PUBLIC_URL", "https://helpline.example.org")

    result = run("add", "Lena Lead", "--role", "lead")

    assert "https://helpline.example.org/staff/set-password/" in result.output


def test_a_professional_not_on_the_roster_is_refused_with_what_to_do(run):
    result = run("add", "Nobody Here", "--role", "professional")

    assert result.exit_code == 1
    assert "is not on the roster: add them to roster.yaml first" in result.output


def test_the_same_person_twice_is_refused_and_a_new_link_can_be_made(run):
    run("add", "Ana Rivera", "--role", "professional")

    again = run("add", "Ana Rivera", "--role", "professional")
    link = run("link", "ana-rivera")

    assert again.exit_code == 1 and "already an account named 'ana-rivera'" in again.output
    assert link.exit_code == 0 and "/staff/set-password/" in link.output


def test_the_list_says_who_has_not_set_a_password_yet(run):
    run("add", "Ana Rivera", "--role", "professional")
    run("add", "Lena Lead", "--role", "lead")

    result = run("list")

    assert "ana-rivera" in result.output and "waiting for them to set a password" in result.output
    assert "lena-lead" in result.output
