"""Steps on Please Sign-In and once signed in: logging in, locking out, the browser,
selecting a state and the Account menu (guide: Login, Resolve Account Lock Outs)."""

from __future__ import annotations

from pytest_bdd import given, when

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
    log_in(world.browser, world.producer.user_name, world.value(password))


@when(
    Template(
        "the producer logs in with the User Name {user_name:value} and the Password {password:value}"
    )
)
def logs_in_as(world: World, user_name: str, password: str) -> None:
    log_in(world.browser, world.value(user_name), world.value(password))


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
    choose_state(world.browser, state)


@when(Template('the producer chooses "{item}" from the "{menu}" menu'))
def chooses_from_menu(world: World, item: str, menu: str) -> None:
    screen = world.screen
    if menu not in screen.menus:
        world.fail(f'the page has no "{menu}" menu (menus: {", ".join(screen.menus) or "none"})')
    world.browser.click(item)


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
    """Signed in: select their state, then Edit Profile from the Account menu."""
    choose_state(world.browser, world.producer.home_state)
    world.browser.click(world.label_for("click_edit_profile"))
    if world.screen.name != "edit_profile":
        world.fail("Edit Profile did not open")
