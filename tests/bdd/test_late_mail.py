"""The features wait for mail a served portal sends after it shows the page, for up
to the target's ``mail_wait`` seconds (as `rpp verify` does)."""

from __future__ import annotations

import time

import pytest

from simulator.drivers.in_process import InProcessTarget
from simulator.population import Population
from specs.model import FlowSet
from tests.bdd.world import World
from tests.late_mail import LATE_SECONDS, LateMailbox


@pytest.mark.parametrize("mail_wait", [0.0, 3.0])
def test_a_step_waits_for_mail_sent_late(mail_wait: float, flow_set: FlowSet) -> None:
    world = World(flow_set, Population(4, flow_set.portal.parameters))
    target = InProcessTarget(flow_set, hash_iterations=1)
    target.mailbox = LateMailbox(target.mailbox)  # type: ignore[assignment]
    target.mail_wait = mail_wait  # type: ignore[attr-defined]
    world._target = target
    address = "late.mail@example.com"
    target.portal.send("username", address, user_names=["latemail1"])
    assert len(world.unread_awaited(address)) == (1 if mail_wait else 0)
    time.sleep(LATE_SECONDS + 0.05)
    assert len(world.unread_awaited(address)) == 1  # late, not lost
