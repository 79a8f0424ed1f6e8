"""The other readings of behavioural decisions (empty-login-counts,
wrong-current-password-counts): verify's `other readings` part, walked in the
`other-readings` variant, catches a portal that ignores them, and the departures it
emits set the reading before they run."""

from __future__ import annotations

from pathlib import Path

from simulator.drivers.in_process import InProcessTarget
from simulator.portal.session import Session
from simulator.verify.command import verify
from simulator.verify.gherkin import emit_features
from simulator.verify.suite import explore
from specs.model import FlowSet, Parameters


class _EmptyLoginsAlwaysCount(Session):
    """A portal that reads empty-login-counts one way only: it ignores the parameter."""

    def empty_login_counts(self) -> bool:
        return True


def test_a_portal_ignoring_the_other_reading_fails_and_its_departure_sets_it(
    flow_set: FlowSet, tmp_path: Path
) -> None:
    exploration = explore(flow_set, part_names=["other readings"])
    assert {p.model.variant for p in exploration.parts} == {"other-readings"}
    reached = exploration.reached
    assert {
        "login.refuse_empty_login",
        "password_reset.refuse_wrong_current_password_uncounted",
    } <= reached
    assert not verify(
        flow_set, seed=1, exploration=exploration
    ).failed  # one part: others unreached

    def make(parameters: Parameters) -> InProcessTarget:
        return InProcessTarget(flow_set, parameters, session_class=_EmptyLoginsAlwaysCount)

    report = verify(flow_set, seed=1, make_target=make, exploration=exploration)
    assert report.failed and report.departures
    [feature] = emit_features(report.departures, flow_set, tmp_path)
    text = feature.read_text(encoding="utf-8")
    assert (
        "Given the portal does not count an empty User Name or Password as a failed attempt" in text
    )
    assert "Given the portal does not count a wrong Current Password toward the lock-out" in text
