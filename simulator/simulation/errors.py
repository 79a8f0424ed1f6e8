"""The load simulation's errors, all under :class:`SimulationError` (an ``RppError``)."""

from __future__ import annotations

from specs.errors import RppError

__all__ = ["SimulationError"]


class SimulationError(RppError):
    """A load simulation could not run as asked: a scenario, the scheduler, the table."""
