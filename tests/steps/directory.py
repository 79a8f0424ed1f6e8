"""Steps that look up the Producer Services directory (SERVICES-1, SERVICES-2): the
number a producer calls for a state and a line of business on a date."""

from __future__ import annotations

import datetime as dt

from pytest_bdd import then, when

from simulator.population import business_lines
from specs.model import ProducerServices
from tests.steps.vocabulary import Template
from tests.steps.world import World


def line_key(services: ProducerServices, label: str) -> str:
    """The directory line a label names: a row's own label ("Major Medical"), or the
    label its dated rows share before their brackets ("Medicare Supplement")."""
    for key, line in services.lines.items():
        if line.label == label:
            return key
    for key in business_lines(services):
        rows = [line.label for k, line in services.lines.items() if k.startswith(key + "_")]
        if rows and all(row.startswith(label + " (") for row in rows):
            return key
    known = [line.label for line in services.lines.values()]
    raise AssertionError(f"no line of business {label!r} in the directory: {known}")


def _look_up(world: World, state: str, line: str, on: dt.date, state_farm: bool) -> None:
    services = world.flow_set.portal.producer_services
    if state not in services.states:
        raise AssertionError(f"{state!r} is not a state of the directory {services.states}")
    number = services.for_producer(state, line_key(services, line), state_farm, on)
    who = "a State Farm agent" if state_farm else "a producer"
    world.looked_up = (f"{who} in {state}, {line}, on {on:%B %d, %Y}", number)


@when(Template('a producer in "{state}" looks up Producer Services for "{line}" on {on:date}'))
def producer_looks_up(world: World, state: str, line: str, on: dt.date) -> None:
    _look_up(world, state, line, on, state_farm=False)


@when(
    Template('a State Farm agent in "{state}" looks up Producer Services for "{line}" on {on:date}')
)
def state_farm_agent_looks_up(world: World, state: str, line: str, on: dt.date) -> None:
    _look_up(world, state, line, on, state_farm=True)


def _found(world: World) -> tuple[str, str | None]:
    if world.looked_up is None:
        raise AssertionError("nothing looked up yet: first say who looks up which line")
    return world.looked_up


@then(Template('the number to call is "{number}"'))
def number_is(world: World, number: str) -> None:
    what, found = _found(world)
    if found != number:
        raise AssertionError(f"{what}: expected {number!r}, the directory gives {found!r}")


@then(Template("the number to call is unknown"))
def number_unknown(world: World) -> None:
    """The guide's cell is not legible: the directory must not invent a number."""
    what, found = _found(world)
    if found is not None:
        raise AssertionError(f"{what}: expected no number (illegible in the guide), got {found!r}")
