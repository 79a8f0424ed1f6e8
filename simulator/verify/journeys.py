"""The finite alphabet of producer actions, and journeys made of them.

Each :class:`Action` is something a producer does in the guide (log in with the
right or a wrong password, submit a form with valid, mismatching, missing or
malformed input, click OK, wait...), performed only through the
:class:`~simulator.drivers.protocol.Driver` protocol. What the producer knows (passwords,
the temporary password read from the mailbox) is their :class:`Knowledge`.

One concern, the alphabet: most of its length is the table of actions, one entry each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from simulator.drivers.protocol import (
    Driver,
    Target,
    choose_state,
    log_in,
    submit_forgot_user_name,
    submit_reset_password,
    update_password,
)
from simulator.mail.messages import email_kind, temporary_password_in
from simulator.population import Producer
from simulator.portal.screens import Screen
from specs.model import Parameters, PortalSpec

__all__ = [
    "ALPHABET",
    "UNKNOWN_USER_NAME",
    "Action",
    "Journey",
    "Knowledge",
    "Step",
    "action",
    "actions_on",
]

# Population user names always hold a digit, so this one names nobody.
UNKNOWN_USER_NAME = "unknownagent"
WRONG_PASSWORD = "Wrong1234"
OTHER_EMAIL = "someone.else@example.com"
MALFORMED_AGENT_UNIQUE_ID = "12345"
MALFORMED_EMAIL = "not-an-email"
TOO_SHORT_PASSWORD = "abc12"


@dataclass
class Knowledge:
    """What one producer knows while on a journey."""

    producer: Producer
    portal: PortalSpec  # whose email templates the producer's mail is read with
    password: str
    previous_password: str | None = None
    temporary_password: str | None = None
    signed_in_with: str | None = None
    passwords_made: int = 0
    emails_read: int = 0

    @classmethod
    def of(cls, producer: Producer, portal: PortalSpec) -> Knowledge:
        return cls(producer, portal, producer.password)

    def copy(self) -> Knowledge:
        return replace(self)

    def fresh_password(self) -> str:
        """A new policy-valid password the producer has not used (letters and digits)."""
        return f"Fresh{self.passwords_made + 1:03d}"


Run = Callable[[Driver, Target, Knowledge, Parameters], Screen]


@dataclass(frozen=True)
class Action:
    key: str
    description: str
    screens: tuple[str, ...]
    run: Run
    needs: Callable[[Knowledge, Parameters], bool] = lambda k, p: True
    expected_errors: tuple[str, ...] = ()  # field-error text keys, when the form is refused


@dataclass(frozen=True)
class Step:
    """One action and what it must lead to."""

    action: str
    screen: str
    messages: tuple[str, ...] = ()  # text keys of portal.yaml
    emails: tuple[str, ...] = ()  # kinds of email to the producer's address
    transitions: tuple[str, ...] = ()  # machine.id of each transition fired

    def as_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "screen": self.screen,
            "messages": list(self.messages),
            "emails": list(self.emails),
            "transitions": list(self.transitions),
        }


@dataclass(frozen=True)
class Journey:
    """A sequence of actions from a fresh browser on the login page."""

    covers: tuple[str, ...]  # the transitions it was chosen for
    steps: tuple[Step, ...]
    variant: str | None = None
    guide: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        suffix = f" [{self.variant}]" if self.variant else ""
        return self.covers[0] + suffix

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "covers": list(self.covers),
            "variant": self.variant,
            "guide": list(self.guide),
            "steps": [s.as_dict() for s in self.steps],
        }


# -- performing actions ---------------------------------------------------------------------


def _signed_in(screen: Screen) -> bool:
    return screen.name == "welcome"


def _log_in_with(password_of: Callable[[Knowledge], str | None], user: str | None = None) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        password = password_of(k) or ""
        screen = log_in(driver, user or k.producer.user_name, password)
        if _signed_in(screen):
            k.signed_in_with = password
        return screen

    return run


def _read_new_emails(target: Target, k: Knowledge) -> None:
    """Read new mail as the producer would (inbox and spam), keeping a temporary password."""
    messages = target.mailbox.messages(k.producer.email)
    for message in messages[k.emails_read :]:
        if email_kind(message, k.portal) == "password_reset":
            k.temporary_password = temporary_password_in(message, k.portal)
    k.emails_read = len(messages)


def _forgot(auid: Callable[[Knowledge], str], email: Callable[[Knowledge], str]) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        screen = submit_forgot_user_name(driver, auid(k), email(k))
        _read_new_emails(target, k)
        return screen

    return run


def _reset(
    email: Callable[[Knowledge], str],
    auid: Callable[[Knowledge], str],
    user: Callable[[Knowledge], str] = lambda k: k.producer.user_name,
) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        screen = submit_reset_password(driver, user(k), email(k), auid(k))
        _read_new_emails(target, k)
        return screen

    return run


def _click(label: str) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        return driver.click(label)

    return run


def _choose_home_state(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
    return choose_state(driver, k.producer.home_state)


def _change(
    current: Callable[[Knowledge], str],
    new: Callable[[Knowledge], str],
    confirm: Callable[[Knowledge, str], str] = lambda k, new: new,
) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        new_password = new(k)
        screen = update_password(driver, current(k), new_password, confirm(k, new_password))
        if screen.name == "password_updated":
            k.previous_password = k.password
            k.password = new_password
            k.signed_in_with = new_password
            k.temporary_password = None
            k.passwords_made += 1
        return screen

    return run


def _change_in_another_browser(
    driver: Driver, target: Target, k: Knowledge, p: Parameters
) -> Screen:
    """Sign in in a second browser, change the password there, and come back to this
    one (which the change signs out: decision password-change-ends-other-sessions)."""
    password = _signed_in_password(k)
    other = target.open_browser()
    if _signed_in(log_in(other, k.producer.user_name, password)):
        choose_state(other, k.producer.home_state)
        other.click("Edit Profile")
        _change(lambda k: password, lambda k: k.fresh_password())(other, target, k, p)
        k.signed_in_with = None
    return driver.screen()


def _close_browser(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
    k.signed_in_with = None
    return driver.close_browser()


def _wait(minutes: Callable[[Parameters], float]) -> Run:
    """Come back later, in a new browser."""

    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        target.advance_clock(minutes(p))
        k.signed_in_with = None
        return driver.close_browser()

    return run


def _signed_in_password(k: Knowledge) -> str:
    return k.signed_in_with or k.password


LOGIN = ("login_page",)
SIGNED_IN = ("welcome", "state_selected", "edit_profile", "password_updated")
AWAY_FROM_LOGIN = (
    *SIGNED_IN,
    "forgot_user_name",
    "username_request_submitted",
    "reset_password",
    "reset_request_submitted",
)

ALPHABET: tuple[Action, ...] = (
    # Please Sign-In
    Action("log_in", "log in with the right password", LOGIN, _log_in_with(lambda k: k.password)),
    Action(
        "log_in_wrong_password",
        "log in with a wrong password",
        LOGIN,
        _log_in_with(lambda k: WRONG_PASSWORD),
    ),
    Action(
        "log_in_unknown_user_name",
        "log in with an unknown user name",
        LOGIN,
        _log_in_with(lambda k: k.password, UNKNOWN_USER_NAME),
    ),
    Action(
        "log_in_previous_password",
        "log in with the password from before the change",
        LOGIN,
        _log_in_with(lambda k: k.previous_password),
        needs=lambda k, p: k.previous_password is not None,
    ),
    Action(
        "log_in_temporary_password",
        "log in with the emailed temporary password",
        LOGIN,
        _log_in_with(lambda k: k.temporary_password),
        needs=lambda k, p: k.temporary_password is not None,
    ),
    Action(
        "log_in_temporary_password_wrong_case",
        "log in with the temporary password in the wrong case",
        LOGIN,
        _log_in_with(lambda k: (k.temporary_password or "").swapcase()),
        needs=lambda k, p: k.temporary_password is not None,
    ),
    Action(
        "click_forgot_user_name", 'click "Forgot User Name?"', LOGIN, _click("Forgot User Name?")
    ),
    Action("click_reset_password", 'click "Reset Password?"', LOGIN, _click("Reset Password?")),
    Action(
        "wait_temporary_password_lifetime",
        "come back after the temporary password has expired",
        LOGIN,
        _wait(lambda p: p.temporary_password_valid_minutes + 1),
        needs=lambda k, p: k.temporary_password is not None,
    ),
    Action(
        "wait_auto_unlock",
        "come back after the auto-unlock time",
        LOGIN,
        _wait(lambda p: p.auto_unlock_after_minutes or 0),
        needs=lambda k, p: p.auto_unlock_after_minutes is not None,
    ),
    # Forgot User Name?
    Action(
        "forgot_user_name",
        "submit Forgot User Name? with own Agent Unique ID and email",
        ("forgot_user_name",),
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: k.producer.email),
    ),
    Action(
        "forgot_user_name_mismatch",
        "submit Forgot User Name? with an email address not on file",
        ("forgot_user_name",),
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: OTHER_EMAIL),
    ),
    Action(
        "forgot_user_name_missing_agent_unique_id",
        "submit Forgot User Name? without the Agent Unique ID",
        ("forgot_user_name",),
        _forgot(lambda k: "", lambda k: k.producer.email),
        expected_errors=("agent_unique_id_required",),
    ),
    Action(
        "forgot_user_name_malformed_agent_unique_id",
        "submit Forgot User Name? with a five-digit Agent Unique ID",
        ("forgot_user_name",),
        _forgot(lambda k: MALFORMED_AGENT_UNIQUE_ID, lambda k: k.producer.email),
        expected_errors=("agent_unique_id_malformed",),
    ),
    Action(
        "forgot_user_name_missing_email",
        "submit Forgot User Name? without the email address",
        ("forgot_user_name",),
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: ""),
        expected_errors=("email_required",),
    ),
    Action(
        "forgot_user_name_malformed_email",
        "submit Forgot User Name? with a malformed email address",
        ("forgot_user_name",),
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: MALFORMED_EMAIL),
        expected_errors=("email_malformed",),
    ),
    Action(
        "confirm_request",
        'click "OK"',
        ("username_request_submitted", "reset_request_submitted"),
        _click("OK"),
    ),
    # Reset Password?
    Action(
        "reset_password_with_email",
        "submit Reset Password? with user name and email",
        ("reset_password",),
        _reset(lambda k: k.producer.email, lambda k: ""),
    ),
    Action(
        "reset_password_with_agent_unique_id",
        "submit Reset Password? with user name and Agent Unique ID",
        ("reset_password",),
        _reset(lambda k: "", lambda k: k.producer.agent_unique_id),
    ),
    Action(
        "reset_password_mismatch",
        "submit Reset Password? with an email address not on file",
        ("reset_password",),
        _reset(lambda k: OTHER_EMAIL, lambda k: ""),
    ),
    Action(
        "reset_password_missing_user_name",
        "submit Reset Password? without the user name",
        ("reset_password",),
        _reset(lambda k: k.producer.email, lambda k: "", user=lambda k: ""),
        expected_errors=("user_name_required",),
    ),
    Action(
        "reset_password_missing_identifier",
        "submit Reset Password? with neither email nor Agent Unique ID",
        ("reset_password",),
        _reset(lambda k: "", lambda k: ""),
        expected_errors=("reset_instruction",),
    ),
    Action(
        "reset_password_malformed_email",
        "submit Reset Password? with a malformed email address",
        ("reset_password",),
        _reset(lambda k: MALFORMED_EMAIL, lambda k: ""),
        expected_errors=("email_malformed",),
    ),
    Action(
        "reset_password_malformed_agent_unique_id",
        "submit Reset Password? with a five-digit Agent Unique ID",
        ("reset_password",),
        _reset(lambda k: "", lambda k: MALFORMED_AGENT_UNIQUE_ID),
        expected_errors=("agent_unique_id_malformed",),
    ),
    # Signed in
    Action(
        "select_state",
        "select the producer's state",
        ("welcome", "state_selected"),
        _choose_home_state,
    ),
    Action(
        "click_edit_profile",
        'choose "Edit Profile" from the Account menu',
        ("state_selected",),
        _click("Edit Profile"),
    ),
    Action(
        "update_password",
        "change the password to a new valid one",
        ("edit_profile",),
        _change(_signed_in_password, lambda k: k.fresh_password()),
    ),
    Action(
        "update_password_missing_field",
        "click Update Password without confirming",
        ("edit_profile",),
        _change(_signed_in_password, lambda k: k.fresh_password(), lambda k, new: ""),
    ),
    Action(
        "update_password_wrong_current",
        "change the password with a wrong Current Password",
        ("edit_profile",),
        _change(lambda k: WRONG_PASSWORD, lambda k: k.fresh_password()),
    ),
    Action(
        "update_password_policy_violation",
        "choose a five-character New Password",
        ("edit_profile",),
        _change(_signed_in_password, lambda k: TOO_SHORT_PASSWORD),
    ),
    Action(
        "update_password_unconfirmed",
        "confirm a different New Password",
        ("edit_profile",),
        _change(_signed_in_password, lambda k: k.fresh_password(), lambda k, new: new + "x"),
    ),
    Action(
        "update_password_unchanged",
        "choose the current password as the New Password",
        ("edit_profile",),
        _change(_signed_in_password, _signed_in_password),
    ),
    Action(
        "change_password_in_another_browser",
        "sign in in a second browser and change the password there",
        SIGNED_IN,
        _change_in_another_browser,
    ),
    Action(
        "back_to_profile_page",
        'click "Back to Profile Page"',
        ("password_updated",),
        _click("Back to Profile Page"),
    ),
    Action(
        "close_browser", "close the browser and clear its cache", AWAY_FROM_LOGIN, _close_browser
    ),
)

_BY_KEY = {a.key: a for a in ALPHABET}


def action(key: str) -> Action:
    return _BY_KEY[key]


def actions_on(screen: str, knowledge: Knowledge, parameters: Parameters) -> list[Action]:
    """The actions a producer can take on ``screen`` now."""
    return [a for a in ALPHABET if screen in a.screens and a.needs(knowledge, parameters)]
