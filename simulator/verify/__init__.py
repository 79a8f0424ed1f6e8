"""`rpp verify`: the producer actions (``journeys``), the conformance model and its
probe (``model``), the suites per part (``suite``, on W/Wp-method suites of
``wmethod``), the long random walks beyond the suites' fault domain (``walks``), and
the checks, report and command (``command``)."""

__all__ = ["WALKS", "WALK_BUDGET"]

WALKS = 200
"""Random walks `rpp verify` runs after the suite, unless its budget ends first."""

WALK_BUDGET = 20.0
"""Seconds after which `rpp verify` starts no more walks (a walk under way finishes)."""
