"""The across-parts part (issue 24): one model of the lock-out, the reset, temporary
passwords and their lifetime, user-name recovery, the password change and other browsers
over the account they share. It reaches the combinations the issue names, builds states
and transitions no other part's model builds, and its suite alone kills the broken
portals of the class "across parts" that show only where the parts meet.

That no other part's suite kills those four is measured, not asserted here (each other
part's whole suite on each portal: minutes). ``python -m benchmarks.across_parts --part
kills`` prints it; measured on this branch, every other part's suite passes each of the
four (signed in 81 journeys, other readings 1,008, auto-unlock 420, user names 1,031, forms
1,136, change password 1,507, temporary passwords 2,475, lock-out 4,249), while the
across-parts suite kills each with the journey named in ``ACROSS_ONLY``.
"""

from __future__ import annotations

import pytest

from simulator.verify.command import verify
from simulator.verify.journeys import ACROSS_PARTS, PARTS, action
from simulator.verify.model import DISABLED, Observation
from simulator.verify.suite import Exploration, PartModel, only_here
from specs.model import FlowSet, Parameters
from tests.verify.beyond_portals import BEYOND_THE_SUITE
from tests.verify.broken_portals import BrokenPortal

# The portals only the across-parts suite kills, and the journey it kills each with
# (measured: the shortest failing journey of `verify(..., stop_after=1)`).
ACROSS_ONLY = {
    "username-request-restarts-temporary-password": (
        "log_in reset_password_in_another_browser close_browser"
        " wait_temporary_password_lifetime click_forgot_user_name forgot_user_name"
        " close_browser log_in_temporary_password"
    ),
    "change-voids-only-temporary-password-seen-at-sign-in": (
        "log_in select_state click_edit_profile reset_password_in_another_browser"
        " update_password close_browser log_in_temporary_password"
    ),
    "reset-request-ends-sessions": (
        "log_in reset_password_in_another_browser log_in_wrong_password_in_another_browser"
        " select_state"
    ),
    "session-keeps-its-temporary-password": (
        "log_in reset_password_in_another_browser close_browser log_in_temporary_password"
        " reset_password_in_another_browser select_state click_edit_profile update_password"
    ),
}

LOCKED = "your account is now temporarily locked"
NO_MATCH = "this Username/Password combination does not match"


@pytest.fixture(scope="module")
def across(exploration: Exploration) -> PartModel:
    """The across-parts part's model and suite (of `rpp verify`'s exploration)."""
    return next(p for p in exploration.parts if p.part.name == ACROSS_PARTS)


def _run(part: PartModel, word: str) -> list[Observation]:
    """What the model says each action of ``word`` shows; every one is offered."""
    actions = word.split()
    outputs = part.model.expected(actions)
    assert DISABLED not in outputs, [
        a for a, o in zip(actions, outputs, strict=True) if o == DISABLED
    ]
    return [o for o in outputs if isinstance(o, Observation)]


def _message(out: Observation) -> str:
    return " ".join(out.screen.messages)


def test_it_reaches_a_recovery_between_failures(across: PartModel) -> None:
    """A user-name request or a reset between failures counts nothing: the third
    consecutive failure locks (decision username-recovery-does-not-unlock)."""
    for recovery in (
        "click_forgot_user_name forgot_user_name confirm_request",
        "click_reset_password reset_password_with_email confirm_request",
    ):
        out = _run(across, f"log_in_wrong_password {recovery} log_in_wrong_password"
                   " log_in_wrong_password_in_another_browser log_in")  # fmt: skip
        assert NO_MATCH in _message(out[4]) and LOCKED in _message(out[5])
        assert out[-1].screen.name == "login_page" and LOCKED in _message(out[-1])


def test_it_reaches_a_reset_while_signed_in_and_on_change_password(across: PartModel) -> None:
    """A reset asked in another browser while this one is on Change Password: this
    browser's password still changes it, which voids the new temporary password; signed
    in with a temporary password, a newer reset makes that one a wrong Current Password
    (decision temporary-session-current-password)."""
    on_change = "log_in select_state click_edit_profile reset_password_in_another_browser"
    out = _run(across, f"{on_change} update_password close_browser log_in_temporary_password")
    assert out[3].screen.name == "reset_request_submitted" and len(out[3].emails) == 1
    assert out[4].screen.name == "password_updated"
    assert out[-1].screen.name == "login_page" and NO_MATCH in _message(out[-1])
    out = _run(across, "click_reset_password reset_password_with_email confirm_request"
               " log_in_temporary_password select_state click_edit_profile"
               " reset_password_in_another_browser update_password")  # fmt: skip
    assert out[-1].screen.name == "edit_profile" and out[-1].screen.messages
    # The password changed in another browser meanwhile ends this one's session.
    out = _run(across, f"{on_change} change_password_in_another_browser update_password")
    assert out[-1].screen.name == "login_page"


def test_it_reaches_a_lock_out_while_a_temporary_password_is_pending_then_expires(
    across: PartModel,
) -> None:
    """Locked while a temporary password is pending, the temporary password still signs
    in; once it has expired it does not, and the lock stays (decisions
    reset-completes-on-update-password, temporary-password-lifetime)."""
    locked = (
        "click_reset_password reset_password_with_email confirm_request log_in_wrong_password"
        " log_in_wrong_password log_in_wrong_password_in_another_browser"
    )
    assert _run(across, f"{locked} log_in_temporary_password")[-1].screen.name == "welcome"
    out = _run(across, f"{locked} wait_temporary_password_lifetime log_in_temporary_password"
               " log_in")  # fmt: skip
    assert [o.screen.name for o in out[-2:]] == ["login_page", "login_page"]
    assert LOCKED in _message(out[-2]) and LOCKED in _message(out[-1])


def test_it_builds_states_and_transitions_no_other_part_builds(
    exploration: Exploration, across: PartModel
) -> None:
    others = [p.model for p in exploration.parts if p is not across and p.model.variant is None]
    assert across.alone == only_here(across.model, others)
    states, transitions = across.alone
    assert 0 < states < across.model.minimal.num_states and transitions > states
    # Every part states its own, against the others of its variant.
    assert all(p.alone is not None for p in exploration.parts)
    # Signed in with a temporary password a reset in another browser has since voided:
    # no other part's model has that situation.
    voided = "close_browser log_in_temporary_password reset_password_in_another_browser"
    state = across.model.machine.reach(f"log_in reset_password_in_another_browser {voided}".split())
    assert not any(across.model.keys[state] in other.keys for other in others)
    assert across.as_dict()["states_in_no_other_part"] == states


def _across_parts_portals() -> list[BrokenPortal]:
    return [p for kind, p in BEYOND_THE_SUITE if kind == ACROSS_PARTS and p.id in ACROSS_ONLY]


def test_the_across_parts_class_holds_the_portals_only_it_kills() -> None:
    assert {p.id for p in _across_parts_portals()} == set(ACROSS_ONLY)
    # Each shows with an action no other single part has, or a pair no other part holds.
    across = next(p for p in PARTS if p.name == ACROSS_PARTS)
    for word in ACROSS_ONLY.values():
        assert set(word.split()) <= set(across.inputs)


@pytest.mark.parametrize("portal", _across_parts_portals(), ids=lambda p: p.id)
def test_the_across_parts_suite_kills_it_and_says_where(
    flow_set: FlowSet, exploration: Exploration, across: PartModel, portal: BrokenPortal
) -> None:
    def make(parameters: Parameters):  # type: ignore[no-untyped-def]
        return portal.make(flow_set, parameters)

    alone = Exploration([across], exploration.reached)
    report = verify(flow_set, 0, make, exploration=alone, stop_after=1, workers=2)
    assert not report.passed, f"{portal.id} ({portal.description}) passed the across-parts suite"
    failed = report.failed[0]
    assert " ".join(s.action for s in failed.journey.steps) == ACROSS_ONLY[portal.id]
    # The failure names the step, its action, and what differed from the flows.
    failure = failed.failure or ""
    first = failed.first
    assert first is not None and failure.startswith(f"step {first.step} ")
    assert (
        f"step {first.step} ({action(failed.journey.steps[first.step - 1].action).description})"
        in failure
    )
    assert "expected" in failure and "got" in failure and "the flows:" in failure
    (departure, *_) = report.departures
    assert departure.first.difference and departure.witness.part == ACROSS_PARTS
    assert departure.witness == failed.journey
