"""What a diagram shows, before any format: regions of states, edges with readable labels.

One machine's picture has one region; the overview has one region per model (the
browser session's screens, the account's lock), each flow of a model composed on the
states they share. Transitions between the same two states are merged into one edge
whose label names each control once and lists the guards under it. When a control
fires several transitions from a state, each guard line carries its rule's rank among
them ("1st", "2nd", ...: the order of the flow file, in which they are tried; the first
whose guards hold fires), on arrows and in boxes alike, so a refusal tried before an
arrow's rule reads as such. A transition that stays on its state is
no arrow but a line in the state's box, as UML lists internal transitions (the flows
have no entry or exit actions, so nothing is lost), so that no loop label lies on
another. Given ``styles``, nothing is merged: each transition is its own edge (or line)
carrying its own style, so a report can colour it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from specs.diagram.labels import control, guard, ordinal
from specs.model import FlowSet, FlowSpec, PortalSpec, TransitionSpec

__all__ = [
    "RANK_LEGEND",
    "Edge",
    "EdgeStyle",
    "Line",
    "Node",
    "Picture",
    "Region",
    "machine_picture",
    "overview_picture",
]


@dataclass(frozen=True)
class EdgeStyle:
    """How one transition's edge is drawn (Graphviz formats): a colour (a Graphviz colour
    name or ``#rrggbb``), a tooltip replacing the default one, a link (``href``)."""

    color: str | None = None
    tooltip: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Line:
    """A line of an edge label: a control (drawn bold) or a guard phrase, after
    ``prefix`` (a rank such as ``2nd``); a writer that wraps it starts further lines with
    ``hang``, so that they stay under the phrase, not under the rank."""

    text: str
    is_control: bool = False
    prefix: str = ""
    hang: str = "  "
    rank: int | None = None  # the rule's place among its control's rules (first line only)


@dataclass(frozen=True)
class Node:
    id: str  # unique in the picture
    state: str  # the state's name in the flow files
    title: str | None  # the screen's title, when the state is a screen of portal.yaml
    tooltip: str
    final: bool
    loops: tuple[Edge, ...] = ()  # the transitions that stay on this state


@dataclass(frozen=True)
class Edge:
    source: str  # node ids
    dest: str
    lines: tuple[Line, ...]
    transitions: tuple[TransitionSpec, ...]
    style: EdgeStyle | None = None

    @property
    def tooltip(self) -> str:
        """The style's tooltip, or each transition's name, guide IDs and text shown."""
        if self.style is not None and self.style.tooltip is not None:
            return self.style.tooltip
        return "\n".join(_describe(t) for t in self.transitions)


@dataclass(frozen=True)
class Region:
    id: str
    label: str | None  # None: drawn without a frame (a single machine)
    nodes: tuple[Node, ...]
    initial: tuple[str, ...]  # node ids the start marker points to
    edges: tuple[Edge, ...]  # between two states (the others are the nodes' loops)


@dataclass(frozen=True)
class Picture:
    title: str
    regions: tuple[Region, ...]

    @property
    def legend(self) -> str | None:
        """What the ranks on guard lines mean, when the picture ranks any rule."""
        ranked = any(
            line.rank is not None
            for region in self.regions
            for edge in [*region.edges, *(e for n in region.nodes for e in n.loops)]
            for line in edge.lines
        )
        return RANK_LEGEND if ranked else None


# Said once under a picture's title; the ranks themselves are "1st", "2nd", ...
RANK_LEGEND = (
    "1st, 2nd, …: the order in which a control's rules are tried (the first that holds fires)"
)


def _describe(t: TransitionSpec) -> str:
    shows = f", shows {t.shows}" if t.shows else ""
    return f"{t.name} ({', '.join(t.guide)}){shows}"


def _label(
    portal: PortalSpec,
    source: str,
    transitions: Sequence[TransitionSpec],
    ranks: Mapping[str, int],
) -> list[Line]:
    """One bold line per control, then its transitions' guards, each transition's first
    line after its rank in ``ranks`` (by name; absent when its control fires it alone)."""
    by_trigger: dict[str, list[TransitionSpec]] = {}
    for t in transitions:
        by_trigger.setdefault(t.trigger, []).append(t)
    lines: list[Line] = []
    screen = portal.screens.get(source)
    for trigger, group in by_trigger.items():
        lines.append(Line(control(screen, trigger), is_control=True))
        for t in group:
            phrases = guard(t)
            rank = ranks.get(t.name)
            if rank is None:
                lines.extend(Line(p) for p in phrases)
                continue
            # the rank first, the transition's further phrases and wrapped lines under
            # its first phrase (seven spaces are about as wide as "2nd " in the fonts used)
            phrases = phrases or ["otherwise"]
            hang = " " * 7
            lines.append(Line(phrases[0], prefix=f"{ordinal(rank)} ", hang=hang, rank=rank))
            lines.extend(Line(p, prefix=hang, hang=hang + "  ") for p in phrases[1:])
    return lines


def _ranks(transitions: Iterable[TransitionSpec]) -> dict[tuple[str, str], int]:
    """(source, transition name) -> the transition's place among those its trigger may
    fire from that source, in file order; only where the trigger has several there."""
    by_control: dict[tuple[str, str], list[str]] = {}
    for t in transitions:
        for source in t.sources:
            by_control.setdefault((source, t.trigger), []).append(t.name)
    return {
        (source, name): i
        for (source, _), names in by_control.items()
        if len(names) > 1
        for i, name in enumerate(names, start=1)
    }


def _region(
    portal: PortalSpec,
    region_id: str,
    label: str | None,
    flows: Sequence[FlowSpec],
    node_id: Mapping[str, str],
    styles: Mapping[str, EdgeStyle] | None,
) -> Region:
    nodes: dict[str, Node] = {}
    for flow in flows:
        for state in flow.states.values():
            known = nodes.get(state.name)
            if known is None:
                screen = portal.screens.get(state.name)
                nodes[state.name] = Node(
                    node_id[state.name],
                    state.name,
                    screen.title if screen else None,
                    state.description,
                    state.final,
                )
            elif state.description not in known.tooltip.split("\n"):
                nodes[state.name] = Node(
                    known.id,
                    known.state,
                    known.title,
                    f"{known.tooltip}\n{state.description}",
                    known.final and state.final,
                )
    ranks = _ranks(_transitions(flows))
    groups: dict[tuple[str, ...], list[TransitionSpec]] = {}
    for t in _transitions(flows):
        for source in t.sources:
            key = (source, t.dest) if styles is None else (source, t.dest, t.name)
            groups.setdefault(key, []).append(t)
    edges = [
        Edge(
            node_id[key[0]],
            node_id[key[1]],
            tuple(
                _label(
                    portal,
                    key[0],
                    group,
                    {t.name: ranks[key[0], t.name] for t in group if (key[0], t.name) in ranks},
                )
            ),
            tuple(group),
            None if styles is None else styles.get(group[0].name),
        )
        for key, group in groups.items()
    ]
    with_loops = tuple(
        replace(node, loops=tuple(e for e in edges if e.source == e.dest == node.id))
        for node in nodes.values()
    )
    arrows = tuple(e for e in edges if e.source != e.dest)
    initial = tuple(dict.fromkeys(node_id[f.initial] for f in flows))
    return Region(region_id, label, with_loops, initial, arrows)


def _transitions(flows: Iterable[FlowSpec]) -> Iterable[TransitionSpec]:
    for flow in flows:
        yield from flow.transitions


def machine_picture(
    flow_set: FlowSet, machine: str, styles: Mapping[str, EdgeStyle] | None = None
) -> Picture:
    """One machine, titled with its name; node ids are its state names."""
    flow = flow_set.flows[machine]
    ids = {name: name for name in flow.states}
    region = _region(flow_set.portal, machine, None, [flow], ids, styles)
    return Picture(machine, (region,))


def overview_picture(
    flow_set: FlowSet, title: str, styles: Mapping[str, EdgeStyle] | None = None
) -> Picture:
    """Every flow composed: one region per model, labelled with the model and its flows;
    node ids are ``model__state``."""
    regions = []
    for model in dict.fromkeys(f.model for f in flow_set.flows.values()):
        flows = flow_set.flows_of(model)
        ids = {name: f"{model}__{name}" for f in flows for name in f.states}
        label = f"{model} ({', '.join(f.machine for f in flows)})"
        regions.append(_region(flow_set.portal, model, label, flows, ids, styles))
    return Picture(title, tuple(regions))
