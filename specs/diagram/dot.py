"""A picture as one Graphviz ``digraph``, written with the `graphviz` package (which quotes).

States are rounded boxes (a screen shows its title in bold over its state name), a
final state has a double border, a black dot marks where each region starts, a region
of the overview is a dashed frame. No state is filled: nothing reads as "current".
Labels are HTML-like (bold controls, left-aligned guards); every other string is
escaped, so a backslash or ``<`` in the flows stays literal.
"""

from __future__ import annotations

from html import escape as html_escape

import graphviz

from specs.diagram.labels import wrap
from specs.diagram.picture import Edge, Node, Picture, Region

__all__ = ["to_dot"]

FONT = "Helvetica"


def _html(text: str) -> str:
    return html_escape(text, quote=True)


def _lines(edge: Edge, loop: bool = False) -> str:
    """The edge's label lines, wrapped under their phrase, controls bold (after ``↻`` in
    a box), left-aligned."""
    parts = []
    for line in edge.lines:
        if line.is_control:
            parts.append(f"{'↻ ' if loop else ''}<B>{_html(line.text)}</B>")
            continue
        wrapped = wrap(line.text, line.prefix, line.hang)
        parts.extend(_html(text) for text in wrapped)
    left = '<BR ALIGN="LEFT"/>'
    return left.join(parts) + left


def _loop_cell(edge: Edge) -> str:
    attrs = f' TOOLTIP="{_html(edge.tooltip)}"'
    text = _lines(edge, loop=True)
    style = edge.style
    if style is not None and style.href:
        attrs += f' HREF="{_html(style.href)}" TARGET="_top"'
    color = f' COLOR="{_html(style.color)}"' if style is not None and style.color else ""
    text = f'<FONT POINT-SIZE="10"{color}>{text}</FONT>'
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"{attrs}>{text}</TD></TR>'


def _node_label(node: Node) -> str:
    """The state's name (a screen's title above it), then the transitions that stay."""
    rows = []
    if node.title is not None:
        rows.append(f"<TR><TD><B>{_html(node.title)}</B></TD></TR>")
        rows.append(
            f'<TR><TD><FONT POINT-SIZE="9" COLOR="#555555">{_html(node.state)}</FONT></TD></TR>'
        )
    else:
        rows.append(f"<TR><TD>{_html(node.state)}</TD></TR>")
    if node.loops:
        rows.append("<HR/>")
        rows.extend(_loop_cell(edge) for edge in node.loops)
    table = "".join(rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{table}</TABLE>>'


def _depths(region: Region) -> dict[str, int]:
    """Each state's distance from where the region starts (unreachable states absent)."""
    depth = dict.fromkeys(region.initial, 0)
    frontier = list(region.initial)
    while frontier:
        following = []
        for edge in region.edges:
            if edge.source in frontier and edge.dest not in depth:
                depth[edge.dest] = depth[edge.source] + 1
                following.append(edge.dest)
        frontier = following
    return depth


def _draw_region(graph: graphviz.Digraph, region: Region) -> None:
    for node in region.nodes:
        graph.node(
            node.id,
            label=_node_label(node),
            tooltip=graphviz.escape(node.tooltip),
            **({"peripheries": "2"} if node.final else {}),
        )
    start = f"start__{region.id}"
    graph.node(start, label="", shape="point", width="0.18", tooltip="start")
    for initial in region.initial:
        graph.edge(start, initial, tooltip="start")
    depth = _depths(region)
    for edge in region.edges:
        # An edge back toward the start is written forward and drawn reversed: dot then
        # keeps its label inside the region's frame (a reversed edge's label can leave it).
        back = depth.get(edge.dest, -1) < depth.get(edge.source, -1) and edge.dest in depth
        attrs = {"label": f"<{_lines(edge)}>", "tooltip": graphviz.escape(edge.tooltip)}
        attrs["labeltooltip"] = attrs["tooltip"]
        style = edge.style
        if style is not None and style.color:
            attrs.update(color=style.color, fontcolor=style.color, penwidth="1.6")
        if style is not None and style.href:
            attrs.update(URL=graphviz.escape(style.href), target="_top")
        if back:
            graph.edge(edge.dest, edge.source, dir="back", **attrs)
        else:
            graph.edge(edge.source, edge.dest, **attrs)


def _title(picture: Picture) -> str:
    """The picture's title, and under it what its ranks mean when it ranks any rule."""
    if picture.legend is None:
        title: str = graphviz.escape(picture.title)
        return title
    legend = f'<FONT POINT-SIZE="11" COLOR="#555555">{_html(picture.legend)}</FONT>'
    return f"<{_html(picture.title)}<BR/>{legend}>"


def to_dot(picture: Picture) -> str:
    """The picture as one ``digraph`` document, titled with the picture's title."""
    graph = graphviz.Digraph(
        name=picture.title,
        graph_attr={
            "label": _title(picture),
            "labelloc": "t",
            "fontname": FONT,
            "fontsize": "20",
            "nodesep": "0.5",
            "ranksep": "0.6",
            "pad": "0.3",
        },
        node_attr={"shape": "box", "style": "rounded", "fontname": FONT, "fontsize": "12"},
        edge_attr={"fontname": FONT, "fontsize": "10", "arrowsize": "0.7"},
    )
    for region in picture.regions:
        if region.label is None:
            _draw_region(graph, region)
            continue
        with graph.subgraph(name=f"cluster_{region.id}") as frame:
            frame.attr(
                label=graphviz.escape(region.label),
                labeljust="l",
                style="rounded,dashed",
                fontsize="14",
                margin="16",  # dot may set an edge label at the frame's edge: room for it
            )
            _draw_region(frame, region)
    source: str = graph.source
    return source
