"""A picture as one Mermaid ``stateDiagram-v2`` document.

The title goes in the front matter (Mermaid 10+ draws it above the diagram), ``[*]``
marks where each region starts and a final state's exit, a region of the overview is a
composite state. Every state is declared ``state "…" as id`` first: a state Mermaid 11
meets first in a description line would be titled with that line. A transition that
stays on its state is a description line of the state (``↻`` before its control), not
a loop whose label Mermaid would lay on another. Label lines are wrapped here, narrower
than Mermaid's own 200-pixel wrap, further lines indented with no-break spaces (Mermaid
drops plain leading spaces) so a wrapped guard stays under its phrase, and joined with
``<br/>``; the characters Mermaid would read as syntax are written as its entity codes
(``#quot;``, ``#58;`` ...).
Mermaid's state diagrams cannot style one transition: `draw` refuses styles for Mermaid.
"""

from __future__ import annotations

import json

from specs.diagram.labels import wrap
from specs.diagram.picture import Line, Picture, Region

__all__ = ["to_mermaid"]

_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    ":": "#58;",
    ";": "#59;",
    "<": "#lt;",
    ">": "#gt;",
    "{": "#123;",
    "}": "#125;",
}


# Characters per label line: Mermaid wraps an edge label wider than 200 pixels itself
# (and drops the indent); 26 characters of its default font stay under that.
WIDTH = 26


def _text(text: str) -> str:
    return "".join(_ENTITIES.get(c, c) for c in text)


def _lines(line: Line, loop: bool = False) -> list[str]:
    """One label line as Mermaid text: wrapped, leading spaces made no-break spaces."""
    if line.is_control:
        return [("↻ " if loop else "") + _text(line.text)]
    out = []
    for wrapped in wrap(line.text, line.prefix, line.hang, WIDTH):
        stripped = wrapped.lstrip(" ")
        out.append("\u00a0" * (len(wrapped) - len(stripped)) + _text(stripped))
    return out


def _region(region: Region, indent: str) -> list[str]:
    out = []
    for node in region.nodes:
        name = _text(node.state)
        title = f"{_text(node.title)}<br/>{name}" if node.title is not None else name
        out.append(f'{indent}state "{title}" as {node.id}')
    for node in region.nodes:
        for loop in node.loops:
            # one description a rule, its wrapped lines after <br/>: Mermaid trims each
            # description, which would drop the indent that keeps them under the rule
            out.extend(
                f"{indent}{node.id} : {'<br/>'.join(_lines(line, loop=True))}"
                for line in loop.lines
            )
    out.extend(f"{indent}[*] --> {initial}" for initial in region.initial)
    for edge in region.edges:
        label = "<br/>".join(text for line in edge.lines for text in _lines(line))
        out.append(f"{indent}{edge.source} --> {edge.dest} : {label}")
    out.extend(f"{indent}{node.id} --> [*]" for node in region.nodes if node.final)
    return out


def to_mermaid(picture: Picture) -> str:
    """The picture as one Mermaid document (edge styles are not drawn)."""
    # A JSON string is a YAML string: any title stays one scalar of the front matter.
    title = picture.title if picture.legend is None else f"{picture.title} · {picture.legend}"
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        # With its default curve Mermaid 11 moves each edge label to its curve's middle,
        # where two edges between the same states in both directions lay their labels on
        # each other; with this one it keeps the places its layout gave the labels.
        "config:",
        "  flowchart:",
        "    curve: monotoneY",
        # label lines left-aligned, as in a state's box: a wrapped guard's indent shows
        '  themeCSS: ".edgeLabel p { text-align: left; }"',
        "---",
        "stateDiagram-v2",
    ]
    for region in picture.regions:
        if region.label is None:
            lines.extend(_region(region, "    "))
            continue
        lines.append(f'    state "{_text(region.label)}" as region_{region.id} {{')
        lines.extend(_region(region, "        "))
        lines.append("    }")
    return "\n".join(lines) + "\n"
