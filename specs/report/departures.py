"""Each departure of the last `rpp verify` drawn on the flows' diagram: the machine of
the transitions the flows expected, those drawn in one colour, and in a second colour
the transitions of the flows that show what the portal gave instead (the same trigger
leading to the page title or the message the portal showed), when the flows have one.
Read from ``verify.json`` only: specs never imports the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.diagram import EdgeStyle
from specs.model import FlowSet, TransitionSpec
from specs.report.inputs import DepartureRecord

__all__ = ["EXPECTED_COLOR", "INSTEAD_COLOR", "DepartureDrawing", "departure_drawing"]

EXPECTED_COLOR = "#1a7f37"  # what the flows expect there
INSTEAD_COLOR = "#cf222e"  # what happened instead


@dataclass(frozen=True)
class DepartureDrawing:
    """Which machine to draw for a departure, and how its edges are styled."""

    machine: str
    expected: tuple[str, ...]
    instead: tuple[str, ...]
    styles: dict[str, EdgeStyle]


def _shows(flow_set: FlowSet, t: TransitionSpec) -> tuple[str, str | None]:
    """The page title a transition leads to and the message it shows."""
    screen = flow_set.portal.screens.get(t.dest)
    title = screen.title if screen is not None else t.dest
    shown = flow_set.portal.texts.get(t.shows) if t.shows is not None else None
    text = shown.text if shown is not None else None
    return title, text


def departure_drawing(flow_set: FlowSet, departure: DepartureRecord) -> DepartureDrawing | None:
    """The drawing of ``departure`` (None when the flows expected no transition there)."""
    specs = {t.name: t for t in flow_set.transitions()}
    expected = [specs[n] for n in departure.transitions if n in specs]
    if not expected:
        return None
    machine = expected[0].machine
    on_machine = tuple(t.name for t in expected if t.machine == machine)
    triggers = {t.trigger for t in expected if t.machine == machine}
    instead = []
    for t in flow_set.transitions():
        if t.machine != machine or t.trigger not in triggers or t.name in on_machine:
            continue
        title, text = _shows(flow_set, t)
        if (text is not None and text in departure.got_messages) or (
            text is None and not departure.got_messages and title == departure.got_screen
        ):
            instead.append(t.name)
    styles = {
        name: EdgeStyle(EXPECTED_COLOR, f"{name}: what the flows expect ({departure.description})")
        for name in on_machine
    }
    for name in instead:
        styles[name] = EdgeStyle(INSTEAD_COLOR, f"{name}: what the portal did instead")
    return DepartureDrawing(machine, on_machine, tuple(instead), styles)
