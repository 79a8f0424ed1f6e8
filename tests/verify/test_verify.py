"""`rpp verify` passes on the shipped flows and catches deliberately broken portals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.drivers.in_process import InProcessTarget
from simulator.portal.account import Account
from simulator.portal.session import Session
from simulator.verify.command import verify
from simulator.verify.exploration import Exploration, explore
from specs import FlowSet
from specs.model import Parameters


@pytest.fixture(scope="module")
def exploration(flow_set: FlowSet) -> Exploration:
    return explore(flow_set)


def test_every_transition_is_reached(flow_set: FlowSet, exploration: Exploration) -> None:
    names = {t.name for t in flow_set.transitions()}
    assert exploration.reached == names
    covered = {name for j in exploration.journeys for name in j.covers}
    assert covered - names == {n for n in covered if n.startswith("action ")}
    assert names <= covered
    taken = {s.action for j in exploration.journeys for s in j.steps}
    assert "log_in_temporary_password_wrong_case" in taken


def test_shipped_portal_passes(flow_set: FlowSet, exploration: Exploration) -> None:
    report = verify(flow_set, seed=3, exploration=exploration)
    failures = [f"{r.journey.name}: {r.failure}" for r in report.results if not r.passed]
    assert not failures, "\n".join(failures)
    assert report.passed and not report.unreached


def test_lock_journey_is_three_wrong_passwords(exploration: Exploration) -> None:
    journey = next(j for j in exploration.journeys if "lockout.lock" in j.covers)
    assert [s.action for s in journey.steps] == ["log_in_wrong_password"] * 3
    assert [s.messages for s in journey.steps] == [
        ("login_failed",),
        ("login_failed",),
        ("account_locked",),
    ]


# -- deliberately broken portals: each must be reported, naming the step and the difference


class LocksAfterFour(Account):
    def failure_reaches_lockout_threshold(self) -> bool:
        return self.failed_attempts + 1 >= 4


class SessionLocksAfterFour(Session):
    def failure_reaches_lockout_threshold(self) -> bool:
        account = self._typed_account()
        if account is None:
            return super().failure_reaches_lockout_threshold()
        return account.failed_attempts + 1 >= 4


class TemporaryPasswordAnyCase(Session):
    def temporary_password_accepted(self) -> bool:
        account = self._typed_account()
        if account is None or account.temporary is None:
            return False
        typed = self.form.get("Password", "")
        return any(
            account.temporary_matches(candidate)
            for candidate in {typed, typed.swapcase(), typed.lower(), typed.upper()}
        )


class UsernameEmailListsOne(Session):
    def send_username_email(self) -> None:
        email = self.form.get("E-mail Address", "")
        linked = self.portal.accounts_at(email)
        if any(a.agent_unique_id == self.form.get("Agent Unique ID", "").strip() for a in linked):
            self.portal.send("username", linked[0].email, user_names=linked[0].user_name)


class ForgetsToUnlock(Account):
    def unlock_account(self) -> None:
        super().unlock_account()
        self.state = "locked"  # the reset "completes" but the account stays locked


BROKEN: dict[str, tuple[type[Session], type[Account], str, str]] = {
    "locks after four failures": (
        SessionLocksAfterFour,
        LocksAfterFour,
        "lockout.lock",
        "step 3 (log in with a wrong password): expected message(s) [\"We're sorry, your account is now temporarily locked",
    ),
    "temporary password in any case": (
        TemporaryPasswordAnyCase,
        Account,
        "",
        "(log in with the temporary password in the wrong case): expected the login_page screen, got welcome",
    ),
    "username email lists one name": (
        UsernameEmailListsOne,
        Account,
        "username_recovery.submit_forgot_user_name",
        "step 2 (submit Forgot User Name? with own Agent Unique ID and email): username email lists",
    ),
    "reset does not unlock": (
        Session,
        ForgetsToUnlock,
        "",
        "expected the welcome screen, got login_page",
    ),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_broken_portal_is_reported(
    broken: str, flow_set: FlowSet, exploration: Exploration
) -> None:
    session_class, account_class, journey_name, expected = BROKEN[broken]

    def make(parameters: Parameters) -> InProcessTarget:
        return InProcessTarget(flow_set, parameters, session_class, account_class)

    report = verify(flow_set, seed=1, make_target=make, exploration=exploration)
    failed = [r for r in report.results if not r.passed]
    assert failed, f"{broken}: no journey failed"
    assert not report.passed
    messages = [r.failure or "" for r in failed]
    assert any(expected in m for m in messages), "\n---\n".join(messages)
    if journey_name:
        assert any(journey_name in r.journey.covers for r in failed)


def test_same_seed_same_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["verify", "--seed", "7", "--json", str(first)]) == 0
    assert main(["verify", "--seed", "7", "--json", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text(encoding="utf-8"))
    assert data["passed"] is True
    assert data["transitions"]["reached"] == data["transitions"]["total"]
    out = capsys.readouterr().out
    assert "transitions reached (100%)" in out


def test_every_email_lands_once_at_the_address_on_file(
    flow_set: FlowSet, exploration: Exploration
) -> None:
    # A journey that resets a password: exactly one reset email, to the owner only.
    journey = next(j for j in exploration.journeys if "lockout.unlock_by_reset" in j.covers)
    target = InProcessTarget(flow_set)
    report = verify(
        flow_set,
        seed=5,
        make_target=lambda p: target,
        exploration=Exploration([journey], exploration.reached, 0, 0),
    )
    assert report.passed, report.results[0].failure
    owner = report.results[0].producer
    account = target.portal.account_named(owner)
    assert account is not None
    messages = target.mailbox.search()
    assert len(messages) == 1
    assert str(messages[0]["To"]) == account.email
    assert target.mailbox.duplicates_refused == 0
