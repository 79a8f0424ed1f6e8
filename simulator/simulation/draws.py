"""Counter-based random draws: each one a pure function of (key, producer, step, slot).

A producer's draws do not depend on which shard, worker or process simulates it, nor
on what other producers do, so the compiled engine (numpy, many producers at once)
and the reference (one producer at a time on the real machines) draw the very same
numbers. A draw is 32 bits of SplitMix64 output; rates, ranges and choices are
integer arithmetic on it, so both sides agree bit for bit (no floating point).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

__all__ = [
    "ONE",
    "base_draw_array",
    "choose",
    "choose_array",
    "draw",
    "draw_array",
    "mix",
    "mix_array",
    "producer_base",
    "producer_base_array",
    "slot_draw_array",
    "step_draw_array",
    "step_origin_array",
    "threshold",
    "uniform",
    "uniform_array",
]

ONE = 1 << 32
"""Draws are in 0..ONE-1."""

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_STEP = 0xD1B54A32D192ED03
_U = np.uint64


def mix(value: int) -> int:
    """SplitMix64's finaliser on a Python int (taken modulo 2**64)."""
    value &= _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def mix_array(value: np.ndarray) -> np.ndarray:
    """`mix` on a uint64 array (numpy's uint64 arithmetic wraps modulo 2**64)."""
    value = (value ^ (value >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    value = (value ^ (value >> _U(27))) * _U(0x94D049BB133111EB)
    return value ^ (value >> _U(31))  # type: ignore[no-any-return]


def producer_base(key: int, producer: int) -> int:
    """The root of one producer's stream under ``key``."""
    return mix((key + producer * _GOLDEN) & _MASK)


def producer_base_array(key: int, producers: np.ndarray) -> np.ndarray:
    return mix_array(_U(key) + producers.astype(np.uint64) * _U(_GOLDEN))


def draw(key: int, producer: int, step: int, slot: int) -> int:
    """Draw ``slot`` of ``producer``'s step ``step`` under ``key``: 0..ONE-1."""
    return mix((producer_base(key, producer) + step * _STEP + slot) & _MASK) >> 32


def draw_array(key: int, producers: np.ndarray, step: int, slot: int) -> np.ndarray:
    """`draw` for many producers at one step (uint64 values in 0..ONE-1)."""
    base = producer_base_array(key, producers)
    return mix_array(base + _U((step * _STEP + slot) & _MASK)) >> _U(32)


def step_draw_array(base: np.ndarray, steps: np.ndarray, slot: int) -> np.ndarray:
    """`draw` for many producers, each at its own step, from their `producer_base_array`."""
    return mix_array(base + steps.astype(np.uint64) * _U(_STEP) + _U(slot)) >> _U(32)


def step_origin_array(base: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Where each producer's step starts in its stream: `slot_draw_array` draws from it."""
    return base + steps.astype(np.uint64) * _U(_STEP)  # type: ignore[no-any-return]


def slot_draw_array(origin: np.ndarray, slot: int | np.ndarray) -> np.ndarray:
    """`draw` of ``slot`` for many producers from their `step_origin_array` (slots may
    be a uint64 column: one row of draws per slot)."""
    return mix_array(origin + (slot if isinstance(slot, np.ndarray) else _U(slot))) >> _U(32)


def base_draw_array(base: np.ndarray, step: int, slot: int) -> np.ndarray:
    """`draw` for many producers at one step, from their `producer_base_array`."""
    return mix_array(base + _U((step * _STEP + slot) & _MASK)) >> _U(32)


def threshold(rate: float) -> int:
    """The integer a draw must fall below to happen with probability ``rate``."""
    return min(ONE, max(0, round(rate * ONE)))


def uniform(value: int, low: int, high: int) -> int:
    """An integer in low..high from a draw (both ends included)."""
    return low + ((value * (high - low + 1)) >> 32)


def uniform_array(values: np.ndarray, low: int, high: int) -> np.ndarray:
    return (values * _U(high - low + 1) >> _U(32)).astype(np.int64) + low


def choose(value: int, cumulative: Sequence[int]) -> int:
    """The index picked by a draw from cumulative integer thresholds (ending at ONE)."""
    return bisect.bisect_right(cumulative, value)


def choose_array(values: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
    return np.searchsorted(cumulative, values, side="right")
