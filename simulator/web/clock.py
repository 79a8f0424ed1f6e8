"""The clocks of a portal served to people: the wall clock (``rpp serve``), and the wall
clock plus the minutes the test API advanced (``rpp serve --test-api``), so that the
emails it sends carry the time they were sent. Everything else runs on
:class:`~simulator.portal.clock.SimulatedClock`."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

__all__ = ["AdvancedWallClock", "SystemClock"]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SystemClock:
    """A :class:`~simulator.portal.clock.Clock` that tells the real time, in UTC."""

    def now(self) -> dt.datetime:
        return _utc_now()


class AdvancedWallClock:
    """The wall clock (``wall``, UTC) plus every :meth:`advance` so far: it runs on as
    real time does, and a test can still make a day pass at once. Thread-safe."""

    def __init__(self, wall: Callable[[], dt.datetime] = _utc_now) -> None:
        self._wall = wall
        self._ahead = dt.timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._wall() + self._ahead

    def advance(self, minutes: float) -> None:
        """Move the clock ``minutes`` ahead of the wall clock's own pace."""
        with self._lock:
            self._ahead += dt.timedelta(minutes=minutes)
