"""Shortest trigger sequences over the flows' graphs (guards shown, not evaluated).

For each transition of a machine: the fewest triggers, over every flow of the
same model, from the model's initial state to a state the transition leaves,
followed by the transition itself. The simulator's explorer goes further: it
evaluates the guards with concrete producers (``rpp verify``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from specs.model import FlowSet, TransitionSpec
from specs.validate import model_graph

__all__ = ["TransitionPath", "shortest_paths"]


@dataclass(frozen=True)
class TransitionPath:
    transition: TransitionSpec
    steps: tuple[TransitionSpec, ...]  # ends with ``transition``

    def as_dict(self) -> dict[str, object]:
        return {
            "machine": self.transition.machine,
            "transition": self.transition.id,
            "source": list(self.transition.sources),
            "dest": self.transition.dest,
            "guard": self.transition.guard,
            "guide": list(self.transition.guide),
            "steps": [
                {"transition": s.name, "trigger": s.trigger, "guard": s.guard} for s in self.steps
            ],
        }


def shortest_paths(flow_set: FlowSet, machine: str | None = None) -> list[TransitionPath]:
    """One shortest path per transition (of ``machine``, or of every machine)."""
    out: list[TransitionPath] = []
    for model in flow_set.models:
        graph = model_graph(flow_set, model)
        initial = flow_set.flows_of(model)[0].initial
        # Breadth-first: the transition sequence that first reaches each state.
        reach: dict[str, tuple[TransitionSpec, ...]] = {initial: ()}
        queue = deque([initial])
        while queue:
            state = queue.popleft()
            for t in graph.get(state, []):
                if t.dest not in reach:
                    reach[t.dest] = (*reach[state], t)
                    queue.append(t.dest)
        for flow in flow_set.flows_of(model):
            if machine is not None and flow.machine != machine:
                continue
            for t in flow.transitions:
                starts = [reach[s] for s in t.sources if s in reach]
                if starts:
                    out.append(TransitionPath(t, (*min(starts, key=len), t)))
    return out
