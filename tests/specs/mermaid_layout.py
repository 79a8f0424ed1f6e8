"""What Mermaid drew, read back from the SVG its CLI (``mmdc``) writes.

Mermaid 11 places each element with ``translate(x, y)`` transforms on nested groups and
its labels as ``foreignObject`` boxes: a label's box on the page is its own size moved by
every translation above it. From that: the boxes of the edge labels (two of which must
not overlap), and the title of each state's box (which must hold the state's name).
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from tests.specs.diagram_layout import overlap

__all__ = ["Label", "edge_labels", "layout_problems", "run_mmdc", "state_titles"]

SVG = "{http://www.w3.org/2000/svg}"
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 (pixels, y down)
_TRANSLATE = re.compile(r"^\s*translate\(\s*([-\d.e]+)[\s,]+([-\d.e]+)\s*\)\s*$")


@dataclass(frozen=True)
class Label:
    edge: str  # Mermaid's id of the edge (``edge3``)
    text: str
    box: Rect


def run_mmdc(mmdc: str, config: Path, source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``mmdc -p CONFIG -i SOURCE -o OUT``, as a user would run it."""
    command = [mmdc, "-q", "-p", str(config), "-i", str(source), "-o", str(out)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def _offset(element: ET.Element) -> tuple[float, float]:
    transform = element.get("transform")
    if not transform:
        return 0.0, 0.0
    found = _TRANSLATE.match(transform)
    if found is None:  # a scale or rotation would make every box below it wrong
        raise ValueError(f"a transform this reader does not follow: {transform!r}")
    return float(found[1]), float(found[2])


def _text(element: ET.Element) -> str:
    """The element's words, a line break where the label has ``<br>``."""
    parts = []
    for part in element.iter():
        if part.tag.endswith("}br") or part.tag == "br":
            parts.append("\n")
        if part.text:
            parts.append(part.text)
        if part is not element and part.tail:
            parts.append(part.tail)
    return "".join(parts).strip()


def _walk(
    element: ET.Element, origin: tuple[float, float], path: tuple[ET.Element, ...]
) -> list[tuple[ET.Element, tuple[float, float], tuple[ET.Element, ...]]]:
    """Every element with the page position of its own origin and its ancestors."""
    dx, dy = _offset(element)
    here = (origin[0] + dx, origin[1] + dy)
    out = [(element, here, path)]
    for child in element:
        out += _walk(child, here, (*path, element))
    return out


def _foreign_box(element: ET.Element, origin: tuple[float, float]) -> Rect:
    x = origin[0] + float(element.get("x", 0))
    y = origin[1] + float(element.get("y", 0))
    return (x, y, x + float(element.get("width", 0)), y + float(element.get("height", 0)))


def edge_labels(svg: str) -> list[Label]:
    """Every edge label that shows words, with its box on the page."""
    labels = []
    for element, origin, path in _walk(ET.fromstring(svg), (0.0, 0.0), ()):
        if element.tag != f"{SVG}foreignObject":
            continue
        owner = next(
            (g for g in reversed(path) if g.get("class") == "label" and g.get("data-id")), None
        )
        if owner is None or not any("edgeLabel" in (g.get("class") or "") for g in path):
            continue
        text = _text(element)
        box = _foreign_box(element, origin)
        if text and box[2] > box[0] and box[3] > box[1]:
            labels.append(Label(owner.get("data-id", ""), text, box))
    return labels


def state_titles(svg: str) -> dict[str, str]:
    """Node id -> the words in the title of its state's box (its first label line)."""
    titles = {}
    for element in ET.fromstring(svg).iter(f"{SVG}g"):
        found = re.fullmatch(r".*?-state-(.+)-\d+", element.get("id", ""))
        if found is None or "node" not in (element.get("class") or "").split():
            continue
        first = next(element.iter(f"{SVG}foreignObject"), None)
        titles[found[1]] = "" if first is None else _text(first)
    return titles


def layout_problems(svg: str, states: dict[str, str]) -> list[str]:
    """What a reader would misread in Mermaid's picture: a state (node id -> name in
    ``states``) whose box is not titled with its name, two edge labels on each other."""
    titles = state_titles(svg)
    problems = [
        f"state {name!r} ({node}): its box is titled {titles.get(node, '(no box)')!r}"
        for node, name in states.items()
        if name not in titles.get(node, "").split("\n")
    ]
    problems += [
        f"edge label {a.text!r} ({a.edge}) lies on {b.text!r} ({b.edge})"
        for a, b in combinations(edge_labels(svg), 2)
        if overlap(a.box, b.box)
    ]
    return problems
