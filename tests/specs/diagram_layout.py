"""Where Graphviz put every word of a diagram, and what lies on top of what.

Reads ``dot -Tjson`` (the xdot drawing operations: each text's baseline, alignment,
width and font size; each edge's Bézier curve; each node's box; each frame's bounds)
and lists what a reader would call overlapping: two texts on each other, an edge label
on a state, an edge through a text (but its own label, which dot sets beside it: the
estimated text boxes can graze it), an edge label outside its region's frame.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

__all__ = ["Rendered", "layout_problems", "overlap", "run_dot"]

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 (points, y up)
TOLERANCE = 1.0  # points: touching is not overlapping


@dataclass(frozen=True)
class Rendered:
    stdout: str
    stderr: str
    returncode: int


def run_dot(dot: str, source: str, fmt: str) -> Rendered:
    """``dot -T<fmt>`` on ``source``, as a user would run it."""
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=source, capture_output=True, text=True, timeout=60, check=False
    )
    return Rendered(done.stdout, done.stderr, done.returncode)


@dataclass(frozen=True)
class _Text:
    owner: str
    text: str
    box: Rect


def _texts(obj: dict[str, Any], owner: str) -> list[_Text]:
    size, out = 14.0, []
    for op in obj.get("_ldraw_", []):
        if op["op"] == "F":
            size = op["size"]
        elif op["op"] == "T":
            (x, y), width = op["pt"], op["width"]
            x0 = {"l": x, "c": x - width / 2, "r": x - width}[op["align"]]
            # descent below the baseline, cap height above it
            out.append(_Text(owner, op["text"], (x0, y - 0.2 * size, x0 + width, y + 0.75 * size)))
    return out


def overlap(a: Rect, b: Rect) -> bool:
    """Whether two boxes overlap by more than TOLERANCE (touching is not overlapping)."""
    return (
        a[0] + TOLERANCE < b[2]
        and b[0] + TOLERANCE < a[2]
        and a[1] + TOLERANCE < b[3]
        and b[1] + TOLERANCE < a[3]
    )


def _inside(point: tuple[float, float], box: Rect) -> bool:
    x, y = point
    return (
        box[0] + TOLERANCE < x < box[2] - TOLERANCE and box[1] + TOLERANCE < y < box[3] - TOLERANCE
    )


def _curve(points: Sequence[Sequence[float]], steps: int = 16) -> Iterator[tuple[float, float]]:
    """Points along a piecewise cubic Bézier curve (xdot's ``b`` operation)."""
    for i in range(0, len(points) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[i : i + 4]
        for k in range(steps + 1):
            t = k / steps
            u = 1 - t
            a, b, c, d = u**3, 3 * u * u * t, 3 * u * t * t, t**3
            yield a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3


def layout_problems(layout_json: str) -> list[str]:
    """What overlaps in the layout ``dot -Tjson`` printed; empty when nothing does."""
    graph = json.loads(layout_json)
    objects = graph.get("objects", [])
    frames = [o for o in objects if "nodes" in o]
    nodes = [o for o in objects if "nodes" not in o]
    edges = graph.get("edges", [])
    texts = _texts(graph, "title")
    for frame in frames:
        texts += _texts(frame, f"frame {frame['name']}")
    boxes = {}
    for node in nodes:
        texts += _texts(node, f"state {node['name']}")
        x, y = map(float, node["pos"].split(","))
        half_w, half_h = float(node["width"]) * 36, float(node["height"]) * 36
        boxes[node["name"]] = (x - half_w, y - half_h, x + half_w, y + half_h)
    names = {node["_gvid"]: node["name"] for node in nodes}
    labels = {}
    for edge in edges:
        owner = f"edge {names[edge['tail']]}->{names[edge['head']]} #{edge['_gvid']}"
        labels[edge["_gvid"]] = _texts(edge, owner)
        texts += labels[edge["_gvid"]]
    problems = [
        f"{a.owner} {a.text!r} lies on {b.owner} {b.text!r}"
        for a, b in combinations(texts, 2)
        if overlap(a.box, b.box)
    ]
    for edge_texts in labels.values():
        problems += [
            f"{t.owner} {t.text!r} lies on state {name}"
            for t in edge_texts
            for name, box in boxes.items()
            if overlap(t.box, box)
        ]
    for edge in edges:
        points = [
            p for op in edge.get("_draw_", []) if op["op"] == "b" for p in _curve(op["points"])
        ]
        own = labels[edge["_gvid"]]  # dot sets a label beside its own edge, touching it at most
        problems += sorted(
            {
                f"edge {names[edge['tail']]}->{names[edge['head']]} runs through {t.owner} {t.text!r}"
                for t in texts
                if t not in own and any(_inside(p, t.box) for p in points)
            }
        )
    for frame in frames:
        x0, y0, x1, y1 = map(float, frame["bb"].split(","))
        for gvid in frame.get("edges", []):
            problems += [
                f"{t.owner} {t.text!r} is outside frame {frame['name']}"
                for t in labels[gvid]
                if not (x0 <= t.box[0] and t.box[2] <= x1 and y0 <= t.box[1] and t.box[3] <= y1)
            ]
    return problems
