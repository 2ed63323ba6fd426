"""`ivr twilio check` says whether the helpline's texts can arrive — the number's SMS capability,
and for a toll-free number its toll-free verification as Twilio has it (texts to US and Canadian
phones are blocked with 30032 until it is approved) — and whether Twilio will place calls from
the roster's caller_id, or with none from each language's own helpline number (a number of the
account or a verified caller ID, else 21210). With
Twilio's exact requests recorded, and once against the simulator over real HTTP."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.sim.account import HELPLINE as SIM_HELPLINE
from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID as SIM_ACCOUNT
from ivr.sim.twilio import SimTwilio
from rest_fakes import Sent, twilio_error
from test_twilio_setup import (ACCOUNT, ACCOUNT_SID, APPROVED, AUTH, BASE, ENV, HELPLINE, LIST, STATIC,
                               VERIFICATIONS, account, configured, ivr_twilio, listed, number_resource, verifications)

FLOWS = Path(__file__).resolve().parents[2] / "flows"
CALLER_ID = "+12025550199"
CHECK = ("check", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC)


def flows_with_caller_id(tmp_path, caller_id: str = CALLER_ID) -> Path:
    """A copy of the shipped flows whose roster shows `caller_id` on professionals' phones."""
    flows = Path(shutil.copytree(FLOWS, tmp_path / "flows"))
    roster = flows / "roster.yaml"
    roster.write_text(roster.read_text(encoding="utf-8").replace(
        "timezone: America/New_York", f'timezone: America/New_York\ncaller_id: "{caller_id}"', 1), encoding="utf-8")
    return flows


def caller_ids(*numbers) -> tuple:
    return 200, {"outgoing_caller_ids": [{"sid": f"PN{i:032d}", "account_sid": ACCOUNT_SID, "phone_number": n,
                                          "friendly_name": n} for i, n in enumerate(numbers)],
                 "next_page_uri": None, "page": 0, "page_size": 50, "uri": "/OutgoingCallerIds.json"}


# -- texts -------------------------------------------------------------------------------------------
def test_a_toll_free_number_with_no_verification_is_a_problem_naming_30032():
    result, sent = ivr_twilio(*CHECK, answers=[listed(configured()), account(), verifications()])
    assert result.exit_code == 1
    assert sent[-1] == VERIFICATIONS
    assert result.stdout.splitlines() == [
        f"{HELPLINE} is toll-free and has no toll-free verification: Twilio blocks its texts to US and Canadian "
        "phones (error 30032) until one is submitted and approved"]


@pytest.mark.parametrize("status", ["PENDING_REVIEW", "IN_REVIEW", "TWILIO_REJECTED"])
def test_a_toll_free_verification_not_approved_yet_is_a_problem_with_its_status(status):
    result, _ = ivr_twilio(*CHECK, answers=[listed(configured()), account(), verifications(status)])
    assert result.exit_code == 1
    assert f"is toll-free and its verification HH{0:032d} is {status}" in result.stdout
    assert "blocked (error 30032) until it is TWILIO_APPROVED" in result.stdout


def test_the_newest_verification_counts_when_a_rejected_one_was_resubmitted_and_approved():
    result, _ = ivr_twilio(*CHECK, answers=[listed(configured()), account(),
                                            verifications("TWILIO_REJECTED", "TWILIO_APPROVED")])
    assert result.exit_code == 0, result.output
    assert f"toll-free verification of {HELPLINE}: TWILIO_APPROVED" in result.stdout


def test_a_verification_twilio_will_not_show_is_said_to_be_unknown_without_failing_the_check():
    result, _ = ivr_twilio(*CHECK, answers=[listed(configured()), account(), twilio_error(404, 20404)])
    assert result.exit_code == 0, result.output
    assert (f"toll-free verification of {HELPLINE}: unknown (Twilio refused to read the toll-free verification: "
            "404 20404)") in result.stdout


def test_a_number_that_cannot_send_texts_is_a_problem():
    number = configured(capabilities={"voice": True, "sms": False, "mms": False, "fax": False})
    result, _ = ivr_twilio(*CHECK, answers=[listed(number), account(), APPROVED])
    assert result.exit_code == 1
    assert f"{HELPLINE} cannot send texts (its capabilities say sms: false)" in result.stdout


def test_a_local_number_needs_a2p_10dlc_registration_which_is_said_to_be_unknown():
    local = "+12025550100"
    number = configured(phone_number=local)
    result, sent = ivr_twilio("check", "--number", local, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(number), account()])
    assert result.exit_code == 0, result.output
    assert len(sent) == 2                                  # no toll-free verification is asked for
    assert (f"texts: {local} can send texts (capabilities sms: true); {local} is a local US/Canada number: its "
            "texts need A2P 10DLC registration") in result.stdout
    assert "registration status: unknown (not checked here)" in result.stdout


# -- caller ID ---------------------------------------------------------------------------------------
def test_a_roster_caller_id_that_is_neither_the_accounts_nor_verified_fails_the_check_naming_21210(tmp_path):
    flows = flows_with_caller_id(tmp_path)
    result, sent = ivr_twilio(*CHECK, env={"IVR_FLOWS_DIR": str(flows)},
                              answers=[listed(configured()), account(), APPROVED, listed(), caller_ids()])
    assert result.exit_code == 1
    assert sent[3:] == [Sent("GET", f"{ACCOUNT}/IncomingPhoneNumbers.json", {"PhoneNumber": CALLER_ID}, None, AUTH),
                        Sent("GET", f"{ACCOUNT}/OutgoingCallerIds.json", {"PhoneNumber": CALLER_ID}, None, AUTH)]
    assert result.stdout.splitlines() == [
        f"the roster's caller_id {CALLER_ID} is neither a number of this account nor one of its verified caller IDs "
        "(OutgoingCallerIds): Twilio refuses every call placed from it (error 21210), so nobody is rung"]


def test_a_roster_caller_id_verified_on_the_account_passes(tmp_path):
    flows = flows_with_caller_id(tmp_path)
    result, _ = ivr_twilio(*CHECK, env={"IVR_FLOWS_DIR": str(flows)},
                           answers=[listed(configured()), account(), APPROVED, listed(), caller_ids(CALLER_ID)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"caller ID: the roster's caller_id {CALLER_ID} is a verified caller ID"


def test_a_roster_caller_id_only_partly_matching_a_number_of_the_account_is_not_taken_for_it(tmp_path):
    flows = flows_with_caller_id(tmp_path)
    near = number_resource(phone_number=CALLER_ID + "1", sid="PN" + "3" * 32)     # the filter matches partly
    result, _ = ivr_twilio(*CHECK, env={"IVR_FLOWS_DIR": str(flows)},
                           answers=[listed(configured()), account(), APPROVED, listed(near), caller_ids()])
    assert result.exit_code == 1
    assert "(error 21210)" in result.stdout


# -- a language's own helpline number -----------------------------------------------------------------
SPANISH_LINE = "+18005550177"


def flows_with_a_spanish_line(tmp_path, number: str = SPANISH_LINE) -> Path:
    """A copy of the shipped flows (no caller_id on the roster) where calls to `number` start in Spanish."""
    flows = Path(shutil.copytree(FLOWS, tmp_path / "flows"))
    main_yaml = flows / "main.yaml"
    text = main_yaml.read_text(encoding="utf-8")
    assert "  es:\n    name: español\n" in text, "the shipped flows' Spanish language changed"
    main_yaml.write_text(text.replace("  es:\n    name: español\n",
                                      f'  es:\n    name: español\n    numbers: ["{number}"]\n', 1), encoding="utf-8")
    return flows


def test_a_languages_helpline_number_that_is_neither_the_accounts_nor_verified_fails_the_check_naming_21210(
        tmp_path):
    # With no caller_id, a call to the Spanish line rings professionals From that number.
    flows = flows_with_a_spanish_line(tmp_path)
    result, sent = ivr_twilio(*CHECK, env={"IVR_FLOWS_DIR": str(flows)},
                              answers=[listed(configured()), account(), APPROVED, listed(), caller_ids()])
    assert result.exit_code == 1
    assert sent[3:] == [
        Sent("GET", f"{ACCOUNT}/IncomingPhoneNumbers.json", {"PhoneNumber": SPANISH_LINE}, None, AUTH),
        Sent("GET", f"{ACCOUNT}/OutgoingCallerIds.json", {"PhoneNumber": SPANISH_LINE}, None, AUTH)]
    assert result.stdout.splitlines() == [
        f"the helpline number {SPANISH_LINE} is neither a number of this account nor one of its verified caller IDs "
        "(OutgoingCallerIds): Twilio refuses every call placed from it (error 21210), so nobody is rung"]


def test_a_languages_helpline_number_of_the_account_passes_and_is_named(tmp_path):
    flows = flows_with_a_spanish_line(tmp_path)
    spanish = number_resource(phone_number=SPANISH_LINE, sid="PN" + "4" * 32)
    result, sent = ivr_twilio(*CHECK, env={"IVR_FLOWS_DIR": str(flows)},
                              answers=[listed(configured()), account(), APPROVED, listed(spanish)])
    assert result.exit_code == 0, result.output
    assert len(sent) == 4                        # a number of the account: no verified caller IDs are asked for
    assert result.stdout.splitlines()[-1] == (
        f"caller ID: the roster sets no caller_id: calls go from the number each caller dialled, e.g. {HELPLINE}, "
        f"a number of the account; the helpline number {SPANISH_LINE} is a number of the account")


def test_the_checked_number_listed_by_a_language_too_is_not_asked_about_twice(tmp_path):
    flows = flows_with_a_spanish_line(tmp_path, HELPLINE)
    result, sent = ivr_twilio(*CHECK, env={"IVR_FLOWS_DIR": str(flows)},
                              answers=[listed(configured()), account(), APPROVED])
    assert result.exit_code == 0, result.output
    assert len(sent) == 3


def test_with_a_roster_caller_id_the_languages_numbers_are_not_used_as_from_and_not_asked_about(tmp_path):
    flows = flows_with_a_spanish_line(tmp_path)
    roster = flows / "roster.yaml"
    roster.write_text(roster.read_text(encoding="utf-8").replace(
        "timezone: America/New_York", f'timezone: America/New_York\ncaller_id: "{CALLER_ID}"', 1), encoding="utf-8")
    result, sent = ivr_twilio(*CHECK, env={"IVR_FLOWS_DIR": str(flows)},
                              answers=[listed(configured()), account(), APPROVED, listed(), caller_ids(CALLER_ID)])
    assert result.exit_code == 0, result.output
    assert SPANISH_LINE not in str(sent)


# -- against the simulator, over real HTTP -----------------------------------------------------------
@pytest.fixture
def simulator():
    sim = SimTwilio(None, SimClock(), "sim-auth-token-0123456789abcdef")
    sim.serve()
    yield sim
    sim.stop()


def test_against_the_simulator_configure_then_check_names_a_pending_verification_and_an_unverified_caller_id(
        simulator, tmp_path):
    env = {**ENV, "TWILIO_ACCOUNT_SID": SIM_ACCOUNT, "TWILIO_AUTH_TOKEN": simulator.auth_token,
           "IVR_TWILIO_API_URL": simulator.api_url, "IVR_FLOWS_DIR": str(flows_with_caller_id(tmp_path))}
    arguments = ["--number", SIM_HELPLINE, "--base-url", BASE, "--fallback-url", STATIC]
    sid = simulator.account.numbers[SIM_HELPLINE]["sid"]
    simulator.account.tollfree_verifications[sid] = "PENDING_REVIEW"

    configured_now = CliRunner().invoke(main, ["twilio", "configure", *arguments], env=env)
    blocked = CliRunner().invoke(main, ["twilio", "check", *arguments], env=env)
    simulator.account.tollfree_verifications[sid] = "TWILIO_APPROVED"
    simulator.caller_ids = {SIM_HELPLINE, CALLER_ID}
    fine = CliRunner().invoke(main, ["twilio", "check", *arguments], env=env)

    assert configured_now.exit_code == 0, configured_now.output
    assert blocked.exit_code == 1
    assert "is PENDING_REVIEW: its texts to US and Canadian phones are blocked (error 30032)" in blocked.stdout
    assert f"the roster's caller_id {CALLER_ID} is neither a number of this account" in blocked.stdout
    assert fine.exit_code == 0, fine.output
    assert f"toll-free verification of {SIM_HELPLINE}: TWILIO_APPROVED" in fine.stdout
    assert f"caller ID: the roster's caller_id {CALLER_ID} is a verified caller ID" in fine.stdout
