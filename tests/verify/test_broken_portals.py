"""The default `rpp verify` kills every broken portal of the corpus
(tests/verify/broken_portals.py: one behaviour of the guide or one decision of
portal.yaml broken each, the way a real implementation errs), naming the step and
the difference."""

from __future__ import annotations

import pytest

from simulator.verify.command import verify
from simulator.verify.suite import Exploration
from specs.model import FlowSet, Parameters
from tests.verify.broken_portals import BROKEN_PORTALS, BrokenPortal


def test_the_corpus_covers_every_guide_id_and_decision(flow_set: FlowSet) -> None:
    broken = {b for portal in BROKEN_PORTALS for b in portal.breaks}
    decisions = {f"decision:{key}" for key in flow_set.portal.decisions}
    assert decisions <= broken, sorted(decisions - broken)
    assert len(BROKEN_PORTALS) >= 40
    assert len({p.id for p in BROKEN_PORTALS}) == len(BROKEN_PORTALS)


@pytest.mark.parametrize("portal", BROKEN_PORTALS, ids=lambda p: p.id)
def test_verify_kills_the_broken_portal(
    portal: BrokenPortal, flow_set: FlowSet, exploration: Exploration
) -> None:
    def make(parameters: Parameters):  # type: ignore[no-untyped-def]
        return portal.make(flow_set, parameters)

    report = verify(
        flow_set, seed=1, make_target=make, exploration=exploration, stop_after=1, workers=2
    )
    assert not report.passed, f"{portal.id} ({portal.description}) passed rpp verify"
    failure = report.failed[0].failure or ""
    assert failure.startswith("step "), failure
    # Every failure is a departure: its first differing step, what the portal gave instead.
    assert report.departures, f"{portal.id}: failed, but no departure"
    assert report.departures[0].first.difference
