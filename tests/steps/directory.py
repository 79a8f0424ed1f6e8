"""Steps that look up the Producer Services directory (SERVICES-1, SERVICES-2): the
number a producer calls for a state and a row of the directory."""

from __future__ import annotations

from pytest_bdd import then, when

from specs.model import Cell, ProducerServices
from tests.bdd.vocabulary import Template
from tests.bdd.world import World


def line_key(services: ProducerServices, label: str) -> str:
    """The directory row a label names, exactly as the table labels it (so "Medicare
    Supplement (Legacy)", never a bare "Medicare Supplement": both rows are shown)."""
    for key, line in services.lines.items():
        if line.label == label:
            return key
    known = [line.label for line in services.lines.values()]
    raise AssertionError(f"no row {label!r} in the directory; its rows: {known}")


def _look_up(world: World, state: str, line: str, state_farm: bool) -> None:
    services = world.flow_set.portal.producer_services
    if state not in services.states:
        raise AssertionError(f"{state!r} is not a state of the directory {services.states}")
    key = line_key(services, line)
    cell = services.lines[key].cells[state]
    if state_farm:
        cell = Cell(services.for_producer(state, key, state_farm=True))
    who = "a State Farm agent" if state_farm else "a producer"
    world.looked_up = (f"{who} in {state}, {line}", cell)


@when(Template('a producer in "{state}" looks up Producer Services for "{line}"'))
def producer_looks_up(world: World, state: str, line: str) -> None:
    _look_up(world, state, line, state_farm=False)


@when(Template('a State Farm agent in "{state}" looks up Producer Services for "{line}"'))
def state_farm_agent_looks_up(world: World, state: str, line: str) -> None:
    _look_up(world, state, line, state_farm=True)


def _found(world: World) -> tuple[str, Cell]:
    if world.looked_up is None:
        raise AssertionError("nothing looked up yet: first say who looks up which row")
    return world.looked_up


def _shown(cell: Cell) -> str:
    return "unknown (illegible in the guide)" if cell.number is None else repr(cell.text)


@then(Template('the number to call is "{number}"'))
def number_is(world: World, number: str) -> None:
    what, found = _found(world)
    if found.number != number:
        raise AssertionError(f"{what}: expected {number!r}, the directory gives {_shown(found)}")


@then(Template('the directory shows it as "{text}"'))
def cell_reads(world: World, text: str) -> None:
    """The whole cell as the table shows it: the number and its date, if any."""
    what, found = _found(world)
    if found.text != text:
        raise AssertionError(f"{what}: expected {text!r}, the directory shows {_shown(found)}")


@then(Template("the number to call is unknown"))
def number_unknown(world: World) -> None:
    """The guide's cell is not legible: the directory must not invent a number."""
    what, found = _found(world)
    if found.number is not None:
        raise AssertionError(
            f"{what}: expected no number (illegible in the guide), got {_shown(found)}"
        )
