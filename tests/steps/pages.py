"""Steps any page shares: clicking, typing, and what the page shows (its title, texts,
messages, fields and buttons, the Producer Services directory).

Texts are compared letter for letter with what the feature file quotes."""

from __future__ import annotations

from pytest_bdd import given, then, when

from simulator.verify.command import first_difference
from tests.bdd.vocabulary import Template
from tests.bdd.world import World

_UNKNOWN_CELL = "?"  # GUIDE.md marks an illegible directory cell so


@given(Template('the producer is on the "{title}" page'))
def is_on_page(world: World, title: str) -> None:
    """A fresh browser, then the login page's link of that name."""
    screen = world.open_fresh_browser()
    if screen.title != title:
        if title not in (*screen.links, *screen.buttons):
            world.fail(f'the login page has no way to the "{title}" page')
        screen = world.browser.click(title)
    if screen.title != title:
        world.fail(f'expected the "{title}" page')


@when(Template('the producer clicks "{label}"'))
def clicks(world: World, label: str) -> None:
    world.browser.click(label)


@when(Template('the producer enters {value:value} in "{field}"'))
def enters(world: World, value: str, field: str) -> None:
    world.browser.fill(field, world.value(value))


@then(Template('the producer sees the "{title}" page'))
def sees_page(world: World, title: str) -> None:
    screen = world.screen
    if screen.title != title:
        world.fail(f'expected the "{title}" page, the producer sees "{screen.title}"')


@then(Template('the page shows the message "{text:text}"'))
def shows_message(world: World, text: str) -> None:
    """Exactly this one message, letter for letter."""
    _messages_are(world, [text])


@then(Template("the page shows the messages:"))
def shows_messages(world: World, docstring: str) -> None:
    """Exactly these messages, one a line, in this order."""
    _messages_are(world, [line.strip() for line in docstring.splitlines() if line.strip()])


@then(Template("the page shows no message"))
def shows_no_message(world: World) -> None:
    _messages_are(world, [])


def _messages_are(world: World, expected: list[str]) -> None:
    shown = list(world.screen.messages)
    if shown != expected:
        world.fail(_difference("message(s)", expected, shown))


@then(Template('the page says "{text:text}"'))
def says(world: World, text: str) -> None:
    """One of the page's texts is exactly this."""
    texts = world.screen.texts
    if text not in texts:
        world.fail(f"expected the page to say:\n  {text!r}\nits texts are:\n" + _listing(texts))


@then(Template("the page says:"))
def says_all(world: World, docstring: str) -> None:
    """The page's texts are exactly these lines, in this order."""
    expected = [line.strip() for line in docstring.splitlines() if line.strip()]
    shown = list(world.screen.texts)
    if shown != expected:
        world.fail(_difference("text(s)", expected, shown))


_KINDS = {"field": "fields", "button": "buttons", "link": "links", "menu": "menus"}


@then(
    Template(
        "the page has the {kind:field|fields|button|buttons|link|links|menu|menus} {labels:list}"
    )
)
def has_controls(world: World, kind: str, labels: list[str]) -> None:
    """Exactly these fields (or buttons, links, menus), in this order."""
    attribute = _KINDS.get(kind, kind)
    shown = list(getattr(world.screen, attribute))
    if shown != labels:
        world.fail(_difference(attribute, labels, shown))


@then(Template("the page has no {kind:fields|buttons|links|menus}"))
def has_no_controls(world: World, kind: str) -> None:
    shown = list(getattr(world.screen, kind))
    if shown:
        world.fail(_difference(kind, [], shown))


@then(Template("the page shows the Producer Services directory:"))
def shows_directory(world: World, datatable: list[list[str]]) -> None:
    """The table as the guide prints it: a header row of states, then one row per line
    of business; ? marks a number the guide does not show legibly (SERVICES-1)."""
    header, *rows = datatable
    screen = world.screen
    expected = [
        [row[0], *(None if cell == _UNKNOWN_CELL else cell for cell in row[1:])] for row in rows
    ]
    shown = [[row.label, *row.numbers] for row in screen.directory]
    if list(screen.directory_states) != header[1:] or shown != expected:
        world.fail(
            _difference(
                "directory rows",
                [" | ".join(header[1:])] + [_row(r) for r in expected],
                [" | ".join(screen.directory_states)] + [_row(r) for r in shown],
            )
        )


def _row(cells: list[str | None]) -> str:
    return " | ".join(_UNKNOWN_CELL if cell is None else cell for cell in cells)


def _listing(lines: tuple[str, ...] | list[str]) -> str:
    return "\n".join(f"  {line!r}" for line in lines) or "  (none)"


def _difference(what: str, expected: list[str], shown: list[str]) -> str:
    """The first line that differs and where in it, then both lists whole."""
    where = ""
    for number, (want, got) in enumerate(zip(expected, shown, strict=False), 1):
        if want != got:
            where = f"{what} {number}: {first_difference(want, got)}\n"
            break
    else:
        if len(expected) != len(shown):
            where = f"expected {len(expected)} {what}, shown {len(shown)}\n"
    return f"{where}expected {what}:\n{_listing(expected)}\nshown:\n{_listing(shown)}"
