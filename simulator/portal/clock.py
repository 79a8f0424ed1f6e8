"""Time enters only through a clock: simulated in tests, journeys and simulations."""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

__all__ = ["EPOCH", "AdvancingClock", "Clock", "SimulatedClock"]

EPOCH = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)  # a Monday morning


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


@runtime_checkable
class AdvancingClock(Protocol):
    """A clock a test can move ahead (the simulated one, a served portal's test clock)."""

    def now(self) -> dt.datetime: ...

    def advance(self, minutes: float) -> None: ...


class SimulatedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: dt.datetime = EPOCH) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, minutes: float) -> None:
        self._now += dt.timedelta(minutes=minutes)

    def set(self, when: dt.datetime) -> None:
        self._now = when
