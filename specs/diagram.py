"""Draw flows with transitions' own diagram engines (Mermaid or Graphviz dot)."""

from __future__ import annotations

from typing import Literal

from transitions.extensions import GraphMachine

from specs.machines import machine_config
from specs.model import FlowSet

__all__ = ["FORMATS", "draw"]

FORMATS = ("mermaid", "dot")


class _Drawn:
    """A stand-in model: diagrams need a model but no behaviour."""


def draw(flow_set: FlowSet, machine: str | None = None, fmt: str = "mermaid") -> str:
    """Mermaid ``stateDiagram-v2`` or Graphviz dot source for one machine or all."""
    names = [machine] if machine else list(flow_set.flows)
    parts = []
    for name in names:
        flow = flow_set.flows[name]
        engine: Literal["mermaid", "graphviz"] = "mermaid" if fmt == "mermaid" else "graphviz"
        model = _Drawn()
        GraphMachine(
            model=model,
            graph_engine=engine,
            show_conditions=True,
            title=name,
            **machine_config(flow),
        )
        graph = model.get_graph()  # type: ignore[attr-defined]
        parts.append(graph.draw(None) if fmt == "mermaid" else graph.source)
    return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"
