"""Steps any page shares: clicking, typing, and what the page shows (its title, texts,
messages, fields and the "*" marking required ones, buttons, the Producer Services
directory).

Texts are compared letter for letter with what the feature file quotes, or with the
text of flows/portal.yaml a step names by key or guide ID (``the LOCK-1 message``).
On a team's target (``--target MODULE:CALLABLE``) the same steps compare as
``rpp verify --decisions guide`` does (:func:`_by_authority`, verify's oracle): a
guide's text contained in the page, a reconstructed one by the guide's words, a decided
one exactly when the team's decisions file gives it, else listed as a decision the
portal makes differently; a page may show more than the guide puts there."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pytest_bdd import given, then, when

from simulator.verify.command import first_difference
from tests.bdd.texts import MESSAGE, PAGE_TEXT
from tests.bdd.vocabulary import Template
from tests.bdd.world import World

_UNKNOWN_CELL = "?"  # GUIDE.md marks an illegible directory cell so


def _by_authority(world: World, **expected: Any) -> bool:
    """On a team's target: the page shown judged against itself with ``expected`` in
    place (a Screen's fields), by verify's oracle, failing on what the guide fixes.
    False on our own portals (the step compares exactly)."""
    if world.oracle is None:
        return False
    shown = world.screen
    world.judge(world.oracle.screens(replace(shown, **expected), shown))
    return True


@given(Template('the producer is on the "{title}" page'))
def is_on_page(world: World, title: str) -> None:
    """A fresh browser, then the login page's link of that name."""
    screen = world.open_fresh_browser()
    if world.oracle is not None:
        # A team's pages are known by the screen names its adapter gives them.
        names = [n for n, spec in world.flow_set.portal.screens.items() if spec.title == title]
        if screen.name not in names:
            if title not in (*screen.links, *screen.buttons):
                world.fail(f'the login page has no way to the "{title}" page')
            screen = world.browser.click(title)
        _by_authority(world, title=title, name=names[0] if names else screen.name)
        return
    if screen.title != title:
        if title not in (*screen.links, *screen.buttons):
            world.fail(f'the login page has no way to the "{title}" page')
        screen = world.browser.click(title)
    if screen.title != title:
        world.fail(f'expected the "{title}" page')


@when(Template('the producer clicks "{label}"'))
def clicks(world: World, label: str) -> None:
    world.needs_control(label)
    world.browser.click(label)


@when(Template('the producer enters {value:value} in "{field}"'))
def enters(world: World, value: str, field: str) -> None:
    screen = world.screen
    if field not in screen.fields:
        having = [n for n, s in world.flow_set.portal.screens.items() if field in s.fields]
        if having:
            world.needs_page(*having)
        world.fail(f'no page of the portal has the field "{field}"')
    world.browser.fill(field, world.value(value))


@then(Template('the producer sees the "{title}" page'))
def sees_page(world: World, title: str) -> None:
    screen = world.screen
    if world.oracle is not None:
        # A team's page is known by what it is (the screen name its adapter gives).
        names = [n for n, spec in world.flow_set.portal.screens.items() if spec.title == title]
        name = screen.name if screen.name in names or not names else names[0]
        _by_authority(world, title=title, name=name)
        return
    if screen.title != title:
        world.fail(f'expected the "{title}" page, the producer sees "{screen.title}"')


@then(Template('the page shows the message "{text:text}"'))
def shows_message(world: World, text: str) -> None:
    """Exactly this one message, letter for letter."""
    _messages_are(world, [world.wording(text)])


@then(Template("the page shows the {name:text_ref} message"))
def shows_named_message(world: World, name: str) -> None:
    """Exactly this one message, named by its key or guide ID (see "Texts and messages
    by name" above)."""
    _messages_are(world, [world.text(name, MESSAGE).text])


@then(Template("the page does not show the {name:text_ref} message"))
def does_not_show_named_message(world: World, name: str) -> None:
    """Whatever else it shows, not this message."""
    _not_shown(world, world.text(name, MESSAGE).text)


def _not_shown(world: World, text: str) -> None:
    if text in world.screen.messages:
        world.fail(f"the page shows the message it should not:\n  {text!r}")


@then(Template("the page shows the messages:"))
def shows_messages(world: World, docstring: str) -> None:
    """Exactly these messages, one a line, in this order."""
    lines = [line.strip() for line in docstring.splitlines() if line.strip()]
    _messages_are(world, [world.wording(line) for line in lines])


@then(Template("the page shows no message"))
def shows_no_message(world: World) -> None:
    _messages_are(world, [])


def _messages_are(world: World, expected: list[str]) -> None:
    if _by_authority(world, messages=tuple(expected)):
        return
    shown = list(world.screen.messages)
    if shown != expected:
        world.fail(_difference("message(s)", expected, shown))


@then(Template('the page says "{text:text}"'))
def says(world: World, text: str) -> None:
    """One of the page's texts is exactly this."""
    if _by_authority(world, texts=(world.wording(text),)):
        return
    texts = world.screen.texts
    if text not in texts:
        world.fail(f"expected the page to say:\n  {text!r}\nits texts are:\n" + _listing(texts))


@then(Template("the page says the {name:text_ref} text"))
def says_named(world: World, name: str) -> None:
    """The text of portal.yaml named by its key or guide ID is on the page (each of its
    lines, in order, for a list such as welcome_items)."""
    wanted = list(world.text(name, PAGE_TEXT).lines)
    if _by_authority(world, texts=tuple(wanted)):
        return
    texts = list(world.screen.texts)
    for start in range(len(texts) - len(wanted) + 1):
        if texts[start : start + len(wanted)] == wanted:
            return
    world.fail(
        f"expected the page to say the {name} text:\n"
        + _listing(wanted)
        + "\nits texts are:\n"
        + _listing(texts)
    )


@then(Template("the page says:"))
def says_all(world: World, docstring: str) -> None:
    """The page's texts are exactly these lines, in this order."""
    expected = [line.strip() for line in docstring.splitlines() if line.strip()]
    if _by_authority(world, texts=tuple(expected)):
        return
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
    if _by_authority(world, **{attribute: tuple(labels)}):
        return
    shown = list(getattr(world.screen, attribute))
    if shown != labels:
        world.fail(_difference(attribute, labels, shown))


@then(Template("the page has no {kind:fields|buttons|links|menus}"))
def has_no_controls(world: World, kind: str) -> None:
    """None (on a team's target: the guide puts none there; what its page adds is fine,
    as `rpp verify --decisions guide` holds it)."""
    if world.oracle is not None:
        return
    shown = list(getattr(world.screen, kind))
    if shown:
        world.fail(_difference(kind, [], shown))


@then(Template("the field {labels:list} is marked required"))
@then(Template("the fields {labels:list} are marked required"))
def marked_required(world: World, labels: list[str]) -> None:
    """Each of these fields of the page carries the "*" that marks it required."""
    _required_marks(world, labels, marked=True)


@then(Template("the field {labels:list} is not marked required"))
@then(Template("the fields {labels:list} are not marked required"))
def not_marked_required(world: World, labels: list[str]) -> None:
    """Each of these fields of the page is shown without the "*"."""
    _required_marks(world, labels, marked=False)


@then(Template("the page marks no field required"))
def marks_no_field_required(world: World) -> None:
    _required_marks(world, list(world.screen.fields), marked=False)


def _required_marks(world: World, labels: list[str], marked: bool) -> None:
    screen = world.screen
    missing = [label for label in labels if label not in screen.fields]
    if missing:
        world.fail(
            f"the page has no field {', '.join(map(repr, missing))}\nits fields are:\n"
            + _listing(screen.fields)
        )
    wrong = [label for label in labels if (label in screen.required) != marked]
    if wrong:
        world.fail(
            f"expected {', '.join(map(repr, wrong))} {'' if marked else 'not '}marked required"
            ' ("*"); the fields marked are:\n' + _listing(screen.required)
        )


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
    problems = _table_difference(header[1:], expected, list(screen.directory_states), shown)
    if problems:
        world.fail("the Producer Services directory differs, row by row:\n" + "\n".join(problems))


def _cell(cell: str | None) -> str:
    return "unknown (?)" if cell is None else repr(cell)


def _table_difference(
    columns: list[str],
    expected: list[list[str | None]],
    shown_columns: list[str],
    shown: list[list[str | None]],
) -> list[str]:
    """One line per row that differs (rows by their label), naming each cell that differs
    and where in it; an illegible cell reads "unknown"."""
    if columns != shown_columns:
        return [f"  columns: expected {' | '.join(columns)}, shown {' | '.join(shown_columns)}"]
    shown_rows = {row[0]: row[1:] for row in shown}
    problems = []
    for number, row in enumerate(expected, 2):
        label, cells = row[0], row[1:]
        if label not in shown_rows:
            problems.append(f"  row {number} {label!r}: not shown")
            continue
        for column, want, got in zip(columns, cells, shown_rows.pop(label), strict=False):
            if want == got:
                continue
            where = ""
            if want is not None and got is not None:
                where = f" ({first_difference(want, got)})"
            problems.append(
                f"  row {number} {label!r}, {column}: expected {_cell(want)},"
                f" shown {_cell(got)}{where}"
            )
    problems += [f"  row {label!r}: shown, not expected" for label in shown_rows]
    order = [row[0] for row in expected]
    if not problems and order != [row[0] for row in shown]:
        problems.append(f"  the rows come in another order: {[row[0] for row in shown]}")
    return problems


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
