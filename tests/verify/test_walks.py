"""`rpp verify`'s second net (issue 24): long seeded random walks over the whole
alphabet, in lockstep with the flows. The same seed gives the same walks and results for
any number of workers; the shipped flows pass; each broken portal beyond the suite's
fault domain (tests/verify/beyond_portals.py) is killed, named, and shrunk."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.drivers.in_process import InProcessTarget
from simulator.verify.command import compare_observation
from simulator.verify.walks import PRODUCER_CLASSES, make_walk, run_walk, run_walks
from specs.model import FlowSet, Parameters
from tests.verify.beyond_portals import BEYOND_THE_SUITE, KINDS
from tests.verify.broken_portals import BrokenPortal

WALKS_TO_KILL = 20  # each portal below falls to one of its first walks of seed 0 (at most 9 now)


def _reference(flow_set: FlowSet):  # type: ignore[no-untyped-def]
    return lambda p: InProcessTarget(flow_set, p, hash_iterations=1)


def test_the_shipped_flows_pass_and_any_workers_give_the_same_walks(flow_set: FlowSet) -> None:
    one = run_walks(flow_set, 3, _reference(flow_set), compare_observation, 6, workers=1)
    two = run_walks(flow_set, 3, _reference(flow_set), compare_observation, 6, workers=2)
    assert one.failed == [] and not one.budget_spent
    assert [r.steps for r in one.results] == [r.steps for r in two.results]
    assert one.as_dict() == two.as_dict()
    assert {r.walk.producer_class for r in one.results} == {name for name, _ in PRODUCER_CLASSES}


def test_a_walk_is_drawn_from_its_seed_and_number_alone(flow_set: FlowSet) -> None:
    assert make_walk(flow_set, 5, 7) == make_walk(flow_set, 5, 7)
    assert make_walk(flow_set, 5, 7).group != make_walk(flow_set, 6, 7).group


def test_every_kind_has_three_broken_portals() -> None:
    counts = Counter(kind for kind, _ in BEYOND_THE_SUITE)
    assert set(counts) == set(KINDS) and min(counts.values()) >= 3


@pytest.mark.parametrize(
    "portal", [p for _, p in BEYOND_THE_SUITE], ids=[p.id for _, p in BEYOND_THE_SUITE]
)
def test_the_walks_kill_each_portal_beyond_the_suite(
    flow_set: FlowSet, portal: BrokenPortal
) -> None:
    def make(parameters: Parameters):  # type: ignore[no-untyped-def]
        return portal.make(flow_set, parameters)

    for number in range(1, WALKS_TO_KILL + 1):
        result = run_walk(flow_set, make_walk(flow_set, 0, number), make, compare_observation)
        if result.failure is not None:
            break
    else:
        raise AssertionError(f"{portal.id}: none of {WALKS_TO_KILL} walks failed")
    assert result.failure.startswith("step "), result.failure
    assert "not deterministic" not in result.failure
    assert 1 <= len(result.steps) <= result.taken  # shrunk, never longer than it ran


def test_verify_runs_the_walks_and_reports_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "verify.json"
    args = ["verify", "--part", "user names", "--walks", "3", "--budget", "0"]
    assert main([*args, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3/3 random walks of seed 0 run" in printed and "0 failed" in printed
    walks = json.loads(out.read_text(encoding="utf-8"))["walks"]
    assert walks["run"] == 3 and walks["failed"] == [] and walks["steps"] > 0
