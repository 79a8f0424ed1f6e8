"""What a run did not fail on: the decisions a portal makes differently from the flows,
and the departures a team accepted.

In guide mode (:mod:`simulator.verify.oracle`) a decided element the portal words or
draws its own way (a title, a validation message, an email's subject) is no failure:
each distinct one is listed once, with its decision, what the flows decided, what the
portal did and how many journeys show it. A difference a team's decisions file
accepts (:class:`specs.team.Acceptance`) is listed with its why and who. The order is
stable (by decision, then what), so ``--json`` is the same byte for byte for one seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from simulator.verify.oracle import Difference
from specs.team import Acceptance

__all__ = ["AcceptedDeparture", "DecidedDifference", "accepted_of", "decided_of", "format_noted"]


@dataclass(frozen=True)
class DecidedDifference:
    """One decision the portal makes differently, as many journeys showed it."""

    decision: str
    what: str
    decided: str  # what the flows decided
    portal: str  # what the portal did
    journeys: int

    def as_dict(self) -> dict[str, object]:
        return {
            "decision": self.decision,
            "what": self.what,
            "flows": self.decided,
            "portal": self.portal,
            "journeys": self.journeys,
        }


@dataclass(frozen=True)
class AcceptedDeparture:
    """A team's acceptance and the differences it matched in this run."""

    acceptance: Acceptance
    differences: tuple[str, ...]  # the distinct differences it accepted (their first lines)
    journeys: int

    def as_dict(self) -> dict[str, object]:
        return {
            **self.acceptance.as_dict(),
            "differences": list(self.differences),
            "journeys": self.journeys,
        }


def _what(difference: Difference) -> str:
    # "email 2 Subject" and "email 1 Subject" are one element of the portal.
    words = difference.what.split()
    if len(words) > 2 and words[0] == "email" and words[1].isdigit():
        return " ".join(["email", *words[2:]])
    return difference.what


def decided_of(noted: Sequence[Iterable[Difference]]) -> list[DecidedDifference]:
    """Each distinct decided difference of the journeys' ``noted`` differences once,
    with how many journeys show it."""
    seen: dict[tuple[str, str, str, str], set[int]] = {}
    for journey, differences in enumerate(noted):
        for d in differences:
            if d.failing or d.accepted is not None:
                continue
            key = (d.decision or "-", _what(d), d.expected, d.got)
            seen.setdefault(key, set()).add(journey)
    return [
        DecidedDifference(decision, what, expected, got, len(journeys))
        for (decision, what, expected, got), journeys in sorted(seen.items())
    ]


def accepted_of(
    noted: Sequence[Iterable[Difference]], acceptances: Sequence[Acceptance]
) -> list[AcceptedDeparture]:
    """Every acceptance of the team's file, with what it accepted in this run (an
    acceptance that matched nothing is listed too: it may be stale)."""
    matched: dict[str, tuple[set[str], set[int]]] = {
        a.departure: (set(), set()) for a in acceptances
    }
    for journey, differences in enumerate(noted):
        for d in differences:
            if d.accepted is not None and d.accepted in matched:
                texts, journeys = matched[d.accepted]
                texts.add(d.text.splitlines()[0])
                journeys.add(journey)
    return [
        AcceptedDeparture(a, tuple(sorted(matched[a.departure][0])), len(matched[a.departure][1]))
        for a in acceptances
    ]


def format_noted(
    decided: Sequence[DecidedDifference], accepted: Sequence[AcceptedDeparture], total: int
) -> str:
    """The console's sections for what did not fail ("" when there is none)."""
    lines: list[str] = []
    if decided:
        decisions = len({d.decision for d in decided})
        lines.append(
            f"decisions this portal makes differently ({decisions} decision"
            f"{'s' if decisions != 1 else ''}, {len(decided)} difference"
            f"{'s' if len(decided) != 1 else ''}; not failures: the guide leaves them open):"
        )
        for d in decided:
            lines.append(f"  decision {d.decision}: {d.what} ({d.journeys} of {total} journeys)")
            lines.append(f"    the flows decided: {d.decided!r}")
            lines.append(f"    the portal: {d.portal!r}")
    if accepted:
        if lines:
            lines.append("")
        lines.append("departures the team accepted (not failures; its decisions file):")
        for a in accepted:
            shown = f"{a.journeys} journeys" if a.differences else "matched nothing in this run"
            lines.append(f"  accepted {a.acceptance.departure!r} ({shown}; {a.acceptance.where})")
            lines.append(f"    why: {a.acceptance.why}")
            lines.append(f"    who: {a.acceptance.who}")
            lines += [f"    {text}" for text in a.differences]
    return "\n".join(lines)
