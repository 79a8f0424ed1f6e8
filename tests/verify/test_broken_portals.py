"""The default `rpp verify` kills every broken portal of the corpus
(tests/verify/broken_portals.py: one behaviour of the guide or one decision of
portal.yaml broken each, the way a real implementation errs), naming the step and
the difference."""

from __future__ import annotations

from dataclasses import replace

import pytest

from simulator.drivers.in_process import InProcessTarget
from simulator.mail.mailbox import Mailbox
from simulator.verify.command import verify
from simulator.verify.suite import Exploration
from specs.model import FlowSet, Parameters
from tests.verify.broken_portals import BROKEN_PORTALS, BrokenPortal

# Decisions no portal shows, so no portal can break them through the driver: who acts on
# them instead, and where that is checked.
NOT_SHOWN_BY_A_PORTAL = {
    "state-farm-number": "whom a State Farm agent calls: the load simulation's producers"
    " (ProducerServices.for_producer); the portal shows only the emails' line (SERVICES-3)"
    " and the row's unknown cells; producer_services.feature checks it",
}


def test_the_corpus_covers_every_guide_id_and_decision(flow_set: FlowSet) -> None:
    broken = {b for portal in BROKEN_PORTALS for b in portal.breaks}
    decisions = {f"decision:{key}" for key in flow_set.portal.decisions}
    decisions -= {f"decision:{key}" for key in NOT_SHOWN_BY_A_PORTAL}
    assert decisions <= broken, sorted(decisions - broken)
    assert set(NOT_SHOWN_BY_A_PORTAL) <= set(flow_set.portal.decisions)
    assert len(BROKEN_PORTALS) >= 40
    assert len({p.id for p in BROKEN_PORTALS}) == len(BROKEN_PORTALS)


@pytest.mark.usefixtures("one_hash_iteration")
@pytest.mark.parametrize("portal", BROKEN_PORTALS, ids=lambda p: p.id)
def test_verify_kills_the_broken_portal(
    portal: BrokenPortal, flow_set: FlowSet, exploration: Exploration
) -> None:
    def make(parameters: Parameters):  # type: ignore[no-untyped-def]
        return portal.make(flow_set, parameters)

    # One process: the tests already run on every core (pytest-xdist).
    report = verify(
        flow_set, seed=1, make_target=make, exploration=exploration, stop_after=1, workers=1
    )
    assert not report.passed, f"{portal.id} ({portal.description}) passed rpp verify"
    failure = report.failed[0].failure or ""
    assert failure.startswith("step "), failure
    # Every failure is a departure: its first differing step, what the portal gave instead.
    assert report.departures, f"{portal.id}: failed, but no departure"
    assert report.departures[0].first.difference


@pytest.mark.usefixtures("one_hash_iteration")
def test_verify_accepts_the_state_farm_row_on_reset_or_not(
    flow_set: FlowSet, exploration: Exploration
) -> None:
    """Whether Reset Password?'s table has a "State Farm Agents Only" row is unknown (its
    screenshot is cut off): a portal showing the row, its cells unknown as on Forgot User
    Name?, passes verify like the reference without it (decision reset-form-state-farm-row)."""
    services = flow_set.portal.producer_services
    with_row = replace(
        flow_set,
        portal=replace(
            flow_set.portal,
            producer_services=replace(
                services,
                state_farm_row_on=(*services.state_farm_row_on, "reset_password"),
                state_farm_row_unknown_on=(),
            ),
        ),
    )
    forms = Exploration(
        [p for p in exploration.parts if p.part.name == "forms"], exploration.reached
    )

    def make(parameters: Parameters) -> InProcessTarget:
        return InProcessTarget(with_row, parameters, mailbox=Mailbox(portal=flow_set.portal))

    assert (
        make(flow_set.portal.parameters).open_browser().click("Reset Password?").directory[-1].label
        == services.state_farm_label
    )
    report = verify(flow_set, seed=1, make_target=make, exploration=forms)
    assert not report.failed, report.failed[0].failure
