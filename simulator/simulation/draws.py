"""Counter-based random draws: each one a pure function of (key, producer, step, slot).

A producer's draws do not depend on which shard, worker or process simulates it, nor
on what other producers do, so the compiled engine and the reference (one producer
at a time on the real machines) draw the very same numbers. A draw is 32 bits of
SplitMix64 output; rates, ranges and choices are integer arithmetic on it, so both
sides agree bit for bit (no floating point). `mix` is also the compiled engine's:
:mod:`simulator.simulation.kernel` compiles it from this source with numba, so it is
written for both Python ints and numpy uint64 (which wraps modulo 2**64).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

__all__ = [
    "GOLDEN",
    "ONE",
    "STEP",
    "choose",
    "draw",
    "mix",
    "producer_base",
    "threshold",
    "uniform",
]

ONE = 1 << 32
"""Draws are in 0..ONE-1."""

_MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
"""Producer ``i``'s stream under a key starts at ``mix(key + i * GOLDEN)``."""
STEP = 0xD1B54A32D192ED03
"""Step ``n``'s draws are at ``base + n * STEP + slot`` in a producer's stream."""


def mix(value: int) -> int:
    """SplitMix64's finaliser on a Python int (taken modulo 2**64) or a numpy uint64."""
    value &= _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def producer_base(key: int, producer: int) -> int:
    """The root of one producer's stream under ``key``."""
    return mix((key + producer * GOLDEN) & _MASK)


def draw(key: int, producer: int, step: int, slot: int) -> int:
    """Draw ``slot`` of ``producer``'s step ``step`` under ``key``: 0..ONE-1."""
    return mix((producer_base(key, producer) + step * STEP + slot) & _MASK) >> 32


def threshold(rate: float) -> int:
    """The integer a draw must fall below to happen with probability ``rate``."""
    return min(ONE, max(0, round(rate * ONE)))


def uniform(value: int, low: int, high: int) -> int:
    """An integer in low..high from a draw (both ends included)."""
    return low + ((value * (high - low + 1)) >> 32)


def choose(value: int, cumulative: Sequence[int]) -> int:
    """The index picked by a draw from cumulative integer thresholds (ending at ONE)."""
    return bisect.bisect_right(cumulative, value)
