"""A few producers worth ``rpp simulate --explain``, per outcome, for ``summary.json``.

A producer's run depends only on its own draws, so the counters of producers
``a``..``b``-1 are those of ``run_shard(a, b)`` and add up over any split. The search
halves a block of producers until single producers are left, running the engine only
on each left half (the right half is the block minus it), and keeps the first
`PER_OUTCOME` producers (in index order) of each outcome. Its cost follows the
producer-hours it looks at: blocks of `BLOCK_PRODUCER_HOURS` / hours producers (4,096
over a day, 136 over 30 days), at most `MAX_BLOCKS` of them, so it is bounded whatever
the population and period; an outcome nobody in those blocks had lists nobody.
The result depends only on the flows, the scenario, the seed and the population size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from simulator.simulation.engine import run_shard
from simulator.simulation.plan import Plan
from simulator.simulation.results import COUNTERS
from simulator.simulation.table import CompiledTable
from simulator.simulation.workers import population_of
from specs.model import Parameters

__all__ = ["BLOCK_PRODUCER_HOURS", "MAX_BLOCKS", "OUTCOMES", "PER_OUTCOME", "find_examples"]

PER_OUTCOME = 3
BLOCK_PRODUCER_HOURS = 4096 * 24
MAX_BLOCKS = 4

Counters = Mapping[str, int]

OUTCOMES: dict[str, Callable[[Counters], int]] = {
    "locked_out_and_reset": lambda c: c["unlocks_by_reset"],
    "gave_up_for_now": lambda c: c["gave_up_for_now"],
    "called_producer_services": lambda c: c["calls_locked_out"] + c["calls_no_email"],
    "recovered_user_name": lambda c: c["username_recoveries"],
}
"""Each outcome and the count (of a block of producers) that is positive when some
producer of the block had it."""


def find_examples(
    plan: Plan, table: CompiledTable, parameters: Parameters, compiled: bool = True
) -> dict[str, list[str]]:
    """Up to `PER_OUTCOME` user names per outcome of `OUTCOMES`, lowest index first
    (on the compiled loop, or on the same loop uncompiled: the same names)."""
    population = population_of(plan.seed, parameters, plan.lines)
    found: dict[str, list[int]] = {name: [] for name in OUTCOMES}

    def counters(start: int, stop: int) -> dict[str, int]:
        return dict(run_shard(plan, table, population, start, stop, compiled=compiled).counters)

    def wanted(c: Counters) -> list[str]:
        return [
            name
            for name, count in OUTCOMES.items()
            if count(c) > 0 and len(found[name]) < PER_OUTCOME
        ]

    def search(start: int, stop: int, c: Counters) -> None:
        if not wanted(c):
            return
        if stop - start == 1:
            for name in wanted(c):
                found[name].append(start)
            return
        middle = (start + stop) // 2
        left = counters(start, middle)
        search(start, middle, left)
        search(middle, stop, {k: c[k] - left[k] for k in COUNTERS})

    hours = max(1, -(-plan.minutes // 60))
    size = max(16, BLOCK_PRODUCER_HOURS // hours)
    for block in range(MAX_BLOCKS):
        start = block * size
        stop = min(plan.producers, start + size)
        if start >= stop or all(len(v) == PER_OUTCOME for v in found.values()):
            break
        search(start, stop, counters(start, stop))
    return {
        name: [population.producer(index).user_name for index in indexes]
        for name, indexes in found.items()
    }
