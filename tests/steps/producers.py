"""Steps that set the scene: the producers registered on the portal, the portal's own
settings, and time passing."""

from __future__ import annotations

import dataclasses

from pytest_bdd import given, when

from tests.bdd.vocabulary import Template
from tests.bdd.world import PRODUCER_COLUMNS, STATE_FARM, World

_YES = {"yes": True, "no": False}


def _producers_from(datatable: list[list[str]]) -> list[dict[str, object]]:
    header, *rows = datatable
    unknown = [column for column in header if column not in PRODUCER_COLUMNS]
    if unknown:
        raise AssertionError(
            f"unknown producer column(s) {unknown}; the columns are {', '.join(PRODUCER_COLUMNS)}"
        )
    producers: list[dict[str, object]] = []
    for row in rows:
        fields: dict[str, object] = {}
        for column, cell in zip(header, row, strict=True):
            if column == STATE_FARM:
                if cell.lower() not in _YES:
                    raise AssertionError(f"{STATE_FARM}: write yes or no, not {cell!r}")
                fields[PRODUCER_COLUMNS[column]] = _YES[cell.lower()]
            else:
                fields[PRODUCER_COLUMNS[column]] = cell
        producers.append(fields)
    return producers


@given(Template("a registered producer"))
def registered_producer(world: World) -> None:
    """A producer with an account; Faker makes up every detail."""
    world.register({})


@given(Template("another registered producer"))
def another_registered_producer(world: World) -> None:
    """One more producer; "the producer" stays who it was."""
    world.register({}, current=False)


@given(Template("a registered producer:"))
def registered_producer_table(world: World, datatable: list[list[str]]) -> None:
    """One producer, the columns given (User Name, Password, Agent Unique ID, E-mail Address,
    State, State Farm: yes or no); Faker fills the others."""
    rows = _producers_from(datatable)
    if len(rows) != 1:
        raise AssertionError(f"'a registered producer:' takes one row, got {len(rows)}")
    world.register(rows[0])


@given(Template("another registered producer:"))
def another_registered_producer_table(world: World, datatable: list[list[str]]) -> None:
    """One more producer, the columns given (as for one); "the producer" stays who it was."""
    rows = _producers_from(datatable)
    if len(rows) != 1:
        raise AssertionError(f"'another registered producer:' takes one row, got {len(rows)}")
    world.register(rows[0], current=False)


@given(Template("these registered producers:"))
def registered_producers_table(world: World, datatable: list[list[str]]) -> None:
    """Several producers (columns as for one); the first row becomes "the producer"."""
    for index, fields in enumerate(_producers_from(datatable)):
        world.register(fields, current=index == 0)


@given(Template("the portal unlocks locked accounts automatically after {minutes:int} minutes"))
def auto_unlock_after(world: World, minutes: int) -> None:
    """Turns on the optional auto-unlock (decision temporary-lock-duration; off as shipped)."""
    world.before_portal_opens("the auto-unlock setting")
    world.parameters = dataclasses.replace(world.parameters, auto_unlock_after_minutes=minutes)


@given(Template("the portal does not count an empty User Name or Password as a failed attempt"))
def empty_login_not_counted(world: World) -> None:
    """The other reading of decision empty-login-counts (parameters.empty_login_counts)."""
    world.before_portal_opens("the empty-login setting")
    world.parameters = dataclasses.replace(world.parameters, empty_login_counts=False)


@given(Template("the portal does not count a wrong Current Password toward the lock-out"))
def wrong_current_password_not_counted(world: World) -> None:
    """The other reading of decision wrong-current-password-counts
    (parameters.wrong_current_password_counts)."""
    world.before_portal_opens("the wrong-Current-Password setting")
    world.parameters = dataclasses.replace(world.parameters, wrong_current_password_counts=False)


@given(Template("the producer's email provider files the portal's emails in the spam folder"))
def mail_goes_to_spam(world: World) -> None:
    world.before_portal_opens("the spam folder setting")
    world.spam_folder = True


_MINUTES = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}


@when(Template("{amount:int} {unit:minute|minutes|hour|hours|day|days} {verb:pass|passes}"))
def time_passes(world: World, amount: int, unit: str) -> None:
    """Simulated time moves on (nothing else happens)."""
    world.advance_clock(amount * _MINUTES[unit])
