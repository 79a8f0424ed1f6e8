"""The wall clock, for a portal served to people (``rpp serve`` without ``--test-api``).
Everything else runs on :class:`~simulator.portal.clock.SimulatedClock`."""

from __future__ import annotations

import datetime as dt

__all__ = ["SystemClock"]


class SystemClock:
    """A :class:`~simulator.portal.clock.Clock` that tells the real time, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)
