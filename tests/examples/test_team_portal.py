"""The worked example of docs/targets.md: a team's own portal (examples/team_portal/)
passes ``rpp verify`` with its decisions listed, and each copy with one realistic bug
fails it, naming the bug. The bug copies run the one part (or check) that kills them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from examples.team_portal.adapter import make
from examples.team_portal.portal import DECISIONS
from simulator.drivers.protocol import choose_state, log_in
from specs import load_flows
from specs.team import load_decisions

ROOT = Path(__file__).resolve().parents[2]
TARGET = "examples.team_portal.adapter"
JESSICA = type(
    "Producer",
    (),
    {
        "user_name": "jessicacamp",
        "agent_unique_id": "000600492",
        "email": "jessica_camp@example.com",
        "password": "Secret77",
    },
)


def _verify(factory: str, *options: str) -> subprocess.CompletedProcess[str]:
    """``rpp verify`` on the example from the checkout's root, as the README shows it."""
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", "verify", "--target", f"{TARGET}:{factory}",
         "--decisions", str(DECISIONS.relative_to(ROOT)), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


def test_the_adapter_names_each_page_as_the_protocol_does() -> None:
    target = make(load_flows().portal.parameters)
    target.register(JESSICA)
    browser = target.open_browser()
    assert browser.screen().name == "login_page"
    assert browser.screen().menus == ("Menu", "Account")  # LOGIN-1's top bar
    assert log_in(browser, "jessicacamp", "Secret77").name == "welcome"
    chosen = choose_state(browser, "IL")
    assert (chosen.name, chosen.chosen_state) == ("state_selected", "IL")
    assert chosen.menu_links == (("Edit Profile", "Account"),)  # a menu item is a link
    assert "Log Out" in chosen.links and "Log Out" not in dict(chosen.menu_links)
    assert browser.click("Edit Profile").name == "edit_profile"
    assert browser.click("Log Out").name == "login_page"
    assert browser.click("Forgot User Name?").name == "forgot_user_name"
    assert browser.screen().directory[-1].label == "State Farm Agents Only"


def test_the_decisions_file_is_read_and_keeps_its_readings_in_every_variant() -> None:
    flow_set = load_flows()
    decisions = load_decisions(DECISIONS, flow_set.portal)
    assert decisions.parameters == {
        "empty_login_counts": False,
        "wrong_current_password_counts": True,
    }
    applied = decisions.apply(flow_set).portal
    assert applied.parameters.empty_login_counts is False
    for variant in applied.variants:  # other-readings must not read them back the flows' way
        assert not set(variant.parameters) & set(decisions.parameters), variant.name
    # The transition of the reading the team did not choose is not its to walk.
    names = {t.name for t in decisions.apply(flow_set).transitions()}
    assert "password_reset.refuse_wrong_current_password_uncounted" not in names
    assert "login.refuse_empty_login" in names
    assert len(names) == len(flow_set.transitions()) - 1


# verify reads the example's temporary-password line and checks its Log Out only with
# branch i32-secrets' secrets_seen and extra_actions (issue 32 items 6 and 7).
needs_secrets = pytest.mark.skipif(
    not (ROOT / "simulator" / "verify" / "extra_actions.py").exists(),
    reason="needs verify's temporary-password reader and extra actions (issue 32, items 6-7)",
)


@needs_secrets
def test_the_team_portal_passes_verify_with_its_decisions_listed(tmp_path: Path) -> None:
    ran = _verify("make", "--walks", "20", "--json", str(tmp_path / "verify.json"))
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr
    report = json.loads((tmp_path / "verify.json").read_text(encoding="utf-8"))
    listed = {d["decision"] for d in report["decisions_differ"]}
    assert listed == {
        "forgot-user-name-heading",  # "Recover Your User Name"
        "reset-confirmation-title",  # "Password Reset Requested"
        "temporary-password-line",  # "Your temporary password is ..."
        "username-email-subject",  # "Your Retail Producer Portal User Name"
        "welcome-page-content",  # "Home"
    }, ran.stdout
    assert "decisions this portal makes differently" in ran.stdout
    assert "4/4 checks of extra actions passed" in ran.stdout


@needs_secrets
def test_a_lock_out_one_failure_late_fails_verify() -> None:
    ran = _verify("make_lockout_off_by_one", "--walks", "0", "--part", "other readings")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "LOCK-2" in ran.stdout and "DEPARTURE 1" in ran.stdout, ran.stdout


@needs_secrets
def test_a_temporary_password_compared_without_case_fails_verify() -> None:
    ran = _verify(
        "make_temporary_password_caseless",
        "--walks", "0", "--part", "temporary passwords", "--max-failures", "1",
    )  # fmt: skip
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "log in with the temporary password in the wrong case" in ran.stdout, ran.stdout


@needs_secrets
def test_a_log_out_that_keeps_the_session_fails_verify() -> None:
    ran = _verify("make_logout_keeps_session", "--walks", "0", "--part", "signed in")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "EXTRA ACTION log_out ('Log Out')" in ran.stdout, ran.stdout
    assert "0/4 checks of extra actions passed" in ran.stdout, ran.stdout
