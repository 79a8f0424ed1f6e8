"""A picture as one Mermaid ``stateDiagram-v2`` document.

The title goes in the front matter (Mermaid 10+ draws it above the diagram), ``[*]``
marks where each region starts and a final state's exit, a region of the overview is a
composite state. A transition that stays on its state is a description line of the
state (``↻`` before its control), not a loop whose label Mermaid would lay on
another. Label lines are joined with ``<br/>`` (Mermaid wraps long ones itself); the characters Mermaid would
read as syntax are written as its entity codes (``#quot;``, ``#58;`` ...).
Mermaid's state diagrams cannot style one transition: `draw` refuses styles for Mermaid.
"""

from __future__ import annotations

import json

from specs.diagram.picture import Picture, Region

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


def _text(text: str) -> str:
    return "".join(_ENTITIES.get(c, c) for c in text)


def _region(region: Region, indent: str) -> list[str]:
    out = []
    for node in region.nodes:
        if node.title is not None:
            out.append(f'{indent}state "{_text(node.title)}<br/>{_text(node.state)}" as {node.id}')
        elif node.id != node.state:
            out.append(f'{indent}state "{_text(node.state)}" as {node.id}')
    for node in region.nodes:
        for loop in node.loops:
            out.extend(
                f"{indent}{node.id} : {'↻ ' if line.is_control else line.prefix}{_text(line.text)}"
                for line in loop.lines
            )
    out.extend(f"{indent}[*] --> {initial}" for initial in region.initial)
    for edge in region.edges:
        label = "<br/>".join(line.prefix + _text(line.text) for line in edge.lines)
        out.append(f"{indent}{edge.source} --> {edge.dest} : {label}")
    out.extend(f"{indent}{node.id} --> [*]" for node in region.nodes if node.final)
    return out


def to_mermaid(picture: Picture) -> str:
    """The picture as one Mermaid document (edge styles are not drawn)."""
    # A JSON string is a YAML string: any title stays one scalar of the front matter.
    lines = ["---", f"title: {json.dumps(picture.title)}", "---", "stateDiagram-v2"]
    for region in picture.regions:
        if region.label is None:
            lines.extend(_region(region, "    "))
            continue
        lines.append(f'    state "{_text(region.label)}" as region_{region.id} {{')
        lines.extend(_region(region, "        "))
        lines.append("    }")
    return "\n".join(lines) + "\n"
