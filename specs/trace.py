"""Guide ID -> what implements it (transitions, states, texts, data) and the scenarios
that check it; a scenario with a step no step definition matches is listed apart
(``undefined``: it fails when the features run)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from specs.model import FlowSet
from specs.validate import citations

__all__ = ["TraceEntry", "trace"]


@dataclass
class TraceEntry:
    guide_id: str
    description: str
    implemented_by: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)
    undefined: list[str] = field(default_factory=list)  # scenarios with an undefined step

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.guide_id,
            "description": self.description,
            "implemented_by": self.implemented_by,
            "scenarios": self.scenarios,
            "undefined_scenarios": self.undefined,
        }


def trace(
    flow_set: FlowSet,
    scenarios: Mapping[str, Sequence[str]] | None = None,
    undefined: Mapping[str, Sequence[str]] | None = None,
) -> list[TraceEntry]:
    """One entry per guide ID, in GUIDE.md's order; ``undefined`` maps a guide ID to the
    scenarios tagged with it that have an undefined step."""
    entries = {gid: TraceEntry(gid, text) for gid, text in flow_set.guide_ids.items()}
    for gid, _, what in citations(flow_set):
        entry = entries.get(gid)
        if entry is not None and what not in entry.implemented_by:
            entry.implemented_by.append(what)
    for gid, names in (scenarios or {}).items():
        if gid in entries:
            entries[gid].scenarios.extend(names)
    for gid, names in (undefined or {}).items():
        if gid in entries:
            entries[gid].undefined.extend(names)
    return list(entries.values())
