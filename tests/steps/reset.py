"""Steps on Reset Password? and on Edit Profile's Change Password (guide: Reset
Password)."""

from __future__ import annotations

from pytest_bdd import given, then, when

from simulator.drivers.protocol import log_in, submit_reset_password, update_password
from tests.bdd.vocabulary import Template
from tests.bdd.world import World


@when(
    Template(
        "the producer submits Reset Password? with the User Name {user_name:value}"
        " and the E-mail Address {email:value}"
    )
)
def submits_reset_with_email(world: World, user_name: str, email: str) -> None:
    """The Agent Unique ID left empty; clicks "Submit"."""
    world.needs_page("reset_password")
    submit_reset_password(world.browser, world.value(user_name), email=world.value(email))


@when(
    Template(
        "the producer submits Reset Password? with the User Name {user_name:value}"
        " and the Agent Unique ID {agent_unique_id:value}"
    )
)
def submits_reset_with_agent_unique_id(world: World, user_name: str, agent_unique_id: str) -> None:
    """The E-mail Address left empty; clicks "Submit"."""
    world.needs_page("reset_password")
    submit_reset_password(
        world.browser, world.value(user_name), agent_unique_id=world.value(agent_unique_id)
    )


@when(
    Template(
        "the producer submits Reset Password? with the User Name {user_name:value},"
        " the E-mail Address {email:value} and the Agent Unique ID {agent_unique_id:value}"
    )
)
def submits_reset(world: World, user_name: str, email: str, agent_unique_id: str) -> None:
    world.needs_page("reset_password")
    submit_reset_password(
        world.browser, world.value(user_name), world.value(email), world.value(agent_unique_id)
    )


@given(Template("the producer has requested a password reset"))
@given(Template("the producer has requested another password reset"))
def has_requested_reset(world: World) -> None:
    """A fresh browser, Reset Password? with their User Name and E-mail Address, then OK
    back to the login page. The email is left unread."""
    _request_reset(world, email=world.producer.email)


@given(Template("the producer has requested a password reset with their Agent Unique ID"))
@given(Template("the producer has requested another password reset with their Agent Unique ID"))
def has_requested_reset_with_agent_unique_id(world: World) -> None:
    """The same, with their User Name and Agent Unique ID (the E-mail Address left empty)."""
    _request_reset(world, agent_unique_id=world.producer.agent_unique_id)


def _request_reset(world: World, email: str = "", agent_unique_id: str = "") -> None:
    sent = len(world.mailbox.messages(world.producer.email))
    world.open_fresh_browser()
    world.browser.click(world.label_for("click_reset_password"))
    submit_reset_password(world.browser, world.producer.user_name, email, agent_unique_id)
    world.browser.click(world.label_for("click_ok"))
    held = world.messages_awaited(world.producer.email, sent + 1)
    if len(held) != sent + 1:
        world.fail("the reset request sent the producer no email")
    world.mark_given(held[sent:])


@when(Template("the producer changes the password from {current:value} to {new:value}"))
def changes_password(world: World, current: str, new: str) -> None:
    """Current Password, New Password and Confirm New Password (the same), then "Update
    Password"."""
    _change(world, world.value(current), world.value(new), world.value(new))


@when(
    Template(
        "the producer changes the password with Current Password {current:value},"
        " New Password {new:value} and Confirm New Password {confirm:value}"
    )
)
def changes_password_fields(world: World, current: str, new: str, confirm: str) -> None:
    _change(world, world.value(current), world.value(new), world.value(confirm))


@then(Template("the password is not changed"))
def password_not_changed(world: World) -> None:
    """As the producer would find out: in a browser of its own, their User Name and the
    password they had still open the Welcome page; the producer's browser stays where it
    was. Like any successful login, it ends a run of failed attempts."""
    screen = log_in(world.side_browser(), world.producer.user_name, world.producer.password)
    if screen.name != "welcome":
        shown = "; ".join(screen.messages) or "no message"
        world.fail(
            "expected the password not to have changed: signing in with it in another browser"
            f' got the "{screen.title}" page and {shown}'
        )


def _change(world: World, current: str, new: str, confirm: str) -> None:
    world.needs_page("edit_profile")
    screen = update_password(world.browser, current, new, confirm)
    if screen.name == "password_updated":
        world.password_changed(new)
