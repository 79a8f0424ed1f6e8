"""Diagrams of the flows: one document per machine, and an overview of them composed.

Generated from the spec objects, not by `transitions`' GraphMachine: a person reads
controls ("click Login") where the machine has triggers, screen titles where it has
state names, one merged label per pair of states where it draws one edge per
transition, and a start marker where its engines colour the initial state as
"current". Formats: Mermaid ``stateDiagram-v2`` and Graphviz dot (text), SVG and PNG
(rendered by ``dot``).

``styles`` maps a transition's name (``machine.id``, as `rpp trace` and reports name
it) to an :class:`EdgeStyle`; given a mapping (even empty), no edges are merged, so
each transition is drawn with its own colour, tooltip and link (names the picture does
not draw are ignored). Styles are drawn by the Graphviz formats only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from specs.diagram.dot import to_dot
from specs.diagram.mermaid import to_mermaid
from specs.diagram.picture import EdgeStyle, Picture, machine_picture, overview_picture
from specs.diagram.render import DiagramError, render_dot
from specs.model import FlowSet

__all__ = [
    "FORMATS",
    "OVERVIEW",
    "SUFFIXES",
    "DiagramError",
    "EdgeStyle",
    "Format",
    "diagram_names",
    "draw",
    "picture",
]

Format = Literal["mermaid", "dot", "svg", "png"]
FORMATS: tuple[Format, ...] = ("mermaid", "dot", "svg", "png")
SUFFIXES: Mapping[Format, str] = {"mermaid": ".mmd", "dot": ".dot", "svg": ".svg", "png": ".png"}
OVERVIEW = "overview"  # the name of the diagram of every flow composed


def diagram_names(flow_set: FlowSet) -> list[str]:
    """Every diagram there is: the overview, then each machine."""
    if OVERVIEW in flow_set.flows:
        raise DiagramError(f"a machine is named {OVERVIEW!r}, the name of the overview diagram")
    return [OVERVIEW, *flow_set.flows]


def picture(flow_set: FlowSet, name: str, styles: Mapping[str, EdgeStyle] | None = None) -> Picture:
    """The picture of machine ``name``, or of every flow when ``name`` is OVERVIEW."""
    if name == OVERVIEW and name not in flow_set.flows:
        return overview_picture(flow_set, "overview: every flow", styles)
    return machine_picture(flow_set, name, styles)


def draw(
    flow_set: FlowSet,
    name: str,
    fmt: Format = "mermaid",
    styles: Mapping[str, EdgeStyle] | None = None,
) -> bytes:
    """One document: machine ``name`` (or OVERVIEW) in ``fmt``; text formats in UTF-8.

    Raises DiagramError when ``dot`` is needed and missing or fails, or when styles
    are asked of Mermaid; KeyError for an unknown machine (callers check names)."""
    drawn = picture(flow_set, name, styles)
    if fmt == "mermaid":
        if styles is not None:
            raise DiagramError(
                "edge styles need dot, svg or png: Mermaid cannot style one transition"
            )
        return to_mermaid(drawn).encode()
    source = to_dot(drawn)
    if fmt == "dot":
        return source.encode()
    return render_dot(source, fmt)
