"""Steps on Please Sign-In and once signed in: logging in, locking out, the browser,
selecting a state and the Account menu (guide: Login, Resolve Account Lock Outs)."""

from __future__ import annotations

from pytest_bdd import given, then, when

from simulator.drivers.protocol import choose_state, log_in
from tests.bdd.vocabulary import Template
from tests.bdd.world import World

_WRONG_PASSWORD = "Wrong0000"


@when(Template("the producer opens the portal"))
def opens_the_portal(world: World) -> None:
    """A new browser on the login page."""
    world.open_fresh_browser()


@when(Template("the producer logs in with {password:value}"))
def logs_in(world: World, password: str) -> None:
    """Their own User Name and the Password given, then "Login"."""
    world.needs_page("login_page")
    log_in(world.browser, world.producer.user_name, world.value(password))


@when(
    Template(
        "the producer logs in with the User Name {user_name:value} and the Password {password:value}"
    )
)
def logs_in_as(world: World, user_name: str, password: str) -> None:
    world.needs_page("login_page")
    log_in(world.browser, world.value(user_name), world.value(password))


@when(Template("the producer opens the portal's address"))
def opens_the_portal_address(world: World) -> None:
    """In the same browser, the portal's address, as its bookmark opens it (LOGIN-1: "You
    should bookmark this page or save it to your favorites."), whatever page it shows."""
    world.browser.open_portal()


@when(Template("the producer closes the browser and clears its history and cache"))
def closes_the_browser(world: World) -> None:
    """LOCK-5: the next page is a fresh login page."""
    world.browser.close_browser()


@when(Template("the producer opens another browser"))
def opens_another_browser(world: World) -> None:
    """A second browser on the login page, the first one left as it is."""
    world.open_another_browser()


@when(Template("the producer returns to the first browser"))
def returns_to_first_browser(world: World) -> None:
    """Back to the first browser, on the page it was left at."""
    world.return_to_first_browser()


@when(Template('the producer selects the state "{state}"'))
def selects_state(world: World, state: str) -> None:
    world.needs_page("welcome", "state_selected")
    choose_state(world.browser, state)


@then(Template('the State field shows "{state}" chosen'))
def state_shown(world: World, state: str) -> None:
    """LOGIN-4: the state the State field shows as chosen (the last offered one chosen)."""
    world.needs_page("welcome", "state_selected")
    shown = world.screen.chosen_state
    assert shown == state, f"the State field shows {shown or 'no state'} chosen, expected {state}"


@then(Template("the State field shows no state chosen"))
def no_state_shown(world: World) -> None:
    world.needs_page("welcome", "state_selected")
    shown = world.screen.chosen_state
    assert shown is None, f"the State field shows {shown} chosen, expected none"


@when(Template('the producer chooses "{item}" from the "{menu}" menu'))
def chooses_from_menu(world: World, item: str, menu: str) -> None:
    screen = world.screen
    if menu not in screen.menus:
        having = [n for n, s in world.flow_set.portal.screens.items() if menu in s.menus]
        if having:
            world.needs_page(*having)
        world.fail(f'no page of the portal has a "{menu}" menu')
    world.needs_control(item)
    world.browser.click(item)


def _menu(world: World, menu: str) -> tuple[str, ...]:
    """The links the menu ``menu`` of the page now shown holds; fails naming the pages
    that have that menu when this one has not."""
    items = world.screen.menu_items()
    if menu not in items:
        having = [n for n, s in world.flow_set.portal.screens.items() if menu in s.menus]
        if having:
            world.needs_page(*having)
        world.fail(f'no page of the portal has a "{menu}" menu')
    return items[menu]


@then(Template('the "{menu}" menu offers {items:list}'))
def menu_offers(world: World, menu: str, items: list[str]) -> None:
    """Each of these is in that menu of the page (others may be too)."""
    held = _menu(world, menu)
    missing = [item for item in items if item not in held]
    if missing:
        shown = ", ".join(f'"{i}"' for i in held) or "nothing"
        world.fail(
            f'the "{menu}" menu does not offer {", ".join(map(repr, missing))}; it offers {shown}'
        )


@then(Template('the "{menu}" menu does not offer {items:list}'))
def menu_does_not_offer(world: World, menu: str, items: list[str]) -> None:
    """None of these is in that menu of the page (the page has the menu)."""
    held = _menu(world, menu)
    offered = [item for item in items if item in held]
    if offered:
        world.fail(f'the "{menu}" menu offers {", ".join(map(repr, offered))}, which it should not')


@given(Template("the producer has signed in with {password:value}"))
def has_signed_in(world: World, password: str) -> None:
    """A fresh browser, their User Name and the Password given: the Welcome page."""
    world.open_fresh_browser()
    screen = log_in(world.browser, world.producer.user_name, world.value(password))
    if screen.name != "welcome":
        world.fail("signing in did not open the Welcome page")


@given(Template("the producer has locked their account"))
def has_locked_account(world: World) -> None:
    """As many wrong passwords in a row as parameters.lockout_threshold says."""
    world.open_fresh_browser()
    wrong = _WRONG_PASSWORD if world.producer.password != _WRONG_PASSWORD else _WRONG_PASSWORD + "1"
    for _ in range(world.parameters.lockout_threshold):
        screen = log_in(world.browser, world.producer.user_name, wrong)
    locked = world.flow_set.portal.texts["account_locked"].text
    if screen.messages != (locked,):
        world.fail(f"after {world.parameters.lockout_threshold} wrong passwords: not locked")


@given(Template("the producer has opened Edit Profile"))
def has_opened_edit_profile(world: World) -> None:
    """Signed in already: select their state, then Edit Profile from the Account menu.
    Not signed in, it fails saying which step signs in first."""
    screen = world.screen
    if screen.name not in ("welcome", "state_selected"):
        world.fail(
            "Edit Profile is opened once signed in, from the Welcome page; the producer sees"
            f' the "{screen.title}" page. Write "Given the producer has signed in with their'
            ' password" before this step, or "Given the producer has signed in and opened'
            ' Edit Profile" instead of both'
        )
    _open_edit_profile(world)


@given(Template("the producer has signed in and opened Edit Profile"))
def has_signed_in_and_opened_edit_profile(world: World) -> None:
    """A fresh browser, their User Name and password, their state, then Edit Profile from
    the Account menu: the Change Password page."""
    has_signed_in(world, "their password")
    _open_edit_profile(world)


def _open_edit_profile(world: World) -> None:
    choose_state(world.browser, world.producer.home_state)
    world.browser.click(world.label_for("click_edit_profile"))
    if world.screen.name != "edit_profile":
        world.fail("Edit Profile did not open")


@then(Template("the account is locked"))
def account_is_locked(world: World) -> None:
    """As the producer would find out: in a browser of its own, their User Name and
    password get the locked account's message (a locked account's refused logins count
    for nothing, so this changes nothing); the producer's browser stays where it was."""
    locked = world.flow_set.portal.texts["account_locked"].text
    screen = log_in(world.side_browser(), world.producer.user_name, world.producer.password)
    if screen.messages != (locked,):
        shown = "; ".join(screen.messages) or "no message"
        world.fail(
            "expected the account to be locked: signing in with their password in another"
            f' browser got the "{screen.title}" page and {shown}, not the account_locked message'
        )
