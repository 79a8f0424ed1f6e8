"""The compiled simulation: one shard of producers on simulated time.

Accounts share no state, so there is no global clock: each account has its own
timeline, and what happens to one account depends only on its own events in
(time, kind) order. Every account holds at most three pending events: the next step
of its producer's visit (one at a time: each step schedules the next), its next
planned visit, and the attacker's next attempt. Each account is run to the period's
end before the next one, applying its earliest pending event until none is left
before the end, so the cost of an event does not depend on how many producers the
shard has or on how long one producer's chain of events is. Ties are broken by kind
(a producer's visit before the next step of a visit, before an attacker's attempt).
A visit planned while the producer is still busy with the last one (up to and
including that instant) is skipped. Email deliveries depend on no account state:
they are counted when sent, as delivered at their time or, after the period's end,
as queued. Memory is the shard's results (the timeline is added up as it goes),
whatever the number of events.

Each account's login and lock-out behaviour is the table compiled from the flows
(:mod:`simulator.simulation.table`); each producer's behaviour is the scenario's,
with draws from :mod:`simulator.simulation.draws` (so the reference on the real
machines makes the very same choices). No wall-clock time is read here.

One concern: a shard's run, from the plan to its `ShardResult`. The per-event loop
is compiled machine code (numba, :mod:`simulator.simulation.kernel`); this module
packs its inputs and turns its arrays into a result.
"""

from __future__ import annotations

import numpy as np

from simulator.population import Population
from simulator.simulation import results as r
from simulator.simulation.plan import Plan
from simulator.simulation.results import METRICS, ShardResult
from simulator.simulation.table import CompiledTable

__all__ = ["DEFAULT_BUCKET_SECONDS", "prepare_engine", "run_shard"]

DEFAULT_BUCKET_SECONDS = 3600
"""Kept for callers: the engine has no calendar of buckets (ignored)."""
_MAX_DAYS = 62  # the planned visit days of an account are the bits of an int64
_MAX_PRODUCERS = (1 << 28) - 1


def prepare_engine() -> None:
    """Load the compiled loop (compiling it once if numba's cache does not have it yet),
    before worker processes start and look for it in the cache."""
    from simulator.simulation import kernel

    kernel.prepare()


def run_shard(
    plan: Plan,
    table: CompiledTable,
    population: Population,
    start: int,
    stop: int,
    bucket_seconds: int = DEFAULT_BUCKET_SECONDS,
    compiled: bool = True,
) -> ShardResult:
    """Simulate producers ``start``..``stop``-1 of ``plan`` on the compiled ``table``.

    The result depends only on the plan, the table and the producers' indices: not
    on the shard's bounds, nor on ``compiled`` (False runs the same loop uncompiled:
    no numba, about 150 times the cost per event). ``bucket_seconds`` is accepted
    for older callers and ignored (the engine has no calendar of buckets).
    """
    if stop - start > _MAX_PRODUCERS:
        raise ValueError(f"a shard may hold at most {_MAX_PRODUCERS} producers")
    if plan.days > _MAX_DAYS:
        raise ValueError(f"the engine simulates at most {_MAX_DAYS} days")
    # numba is imported (and the loop loaded from its cache) only when a shard runs:
    # `rpp simulate` answers bad input without it
    from simulator.simulation import kernel

    counts, events, timeline, durations, still_locked, calls = kernel.run_accounts(
        start, stop, *kernel.pack(plan, table), compiled=compiled
    )
    result = ShardResult.empty(start, stop, plan.minutes, len(plan.call_numbers))
    counters = result.counters
    counters.update(zip(kernel.COUNTED, counts.tolist(), strict=True))
    for kind, name in r.EVENT_KINDS.items():
        counters[f"events_{name}"] = int(events[kind])
    result.timeline = timeline[[kernel.RECORDED.index(name) for name in METRICS]]
    who, reason = calls[:, 0], calls[:, 1]
    columns = population.columns(who)
    category = (columns.home_state.astype(np.int64) * 2 + columns.state_farm) * len(
        plan.lines
    ) + columns.primary_line
    for index, name in enumerate(r.CALL_REASONS):
        pick = reason == index
        counters[f"calls_{name}"] = int(np.count_nonzero(pick))
        result.calls[index] = np.bincount(category[pick], minlength=result.calls.shape[1])
    result.lock_durations = np.sort(durations)
    result.still_locked_since = np.sort(still_locked)
    return result
