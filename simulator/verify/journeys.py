"""The finite alphabet of producer actions, and journeys made of them.

Each :class:`Action` is something a producer does in the guide (log in with the
right or a wrong password, submit a form with valid, mismatching, missing or
malformed input, click OK, wait...), performed only through the
:class:`~simulator.drivers.protocol.Driver` protocol. What the producer knows (passwords,
the temporary password read from the mailbox) is their :class:`Knowledge`; the
mail is read for them by the probe that runs the journey.

One concern, the alphabet: most of its length is the table of actions, one entry each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage

from simulator.drivers.protocol import (
    Driver,
    Target,
    choose_state,
    log_in,
    submit_forgot_user_name,
    submit_reset_password,
    update_password,
)
from simulator.mail.mailbox import normalize_address
from simulator.mail.messages import email_kind, temporary_password_in
from simulator.population import Producer
from simulator.portal.screens import Screen
from simulator.verify.secrets_seen import TemporaryPasswordReader
from specs.model import Parameters, PortalSpec

__all__ = [
    "ACROSS_PARTS",
    "ALPHABET",
    "MALFORMED_AGENT_UNIQUE_ID",
    "MALFORMED_EMAIL",
    "NOT_OFFERED_STATES",
    "PARTS",
    "UNKNOWN_USER_NAME",
    "WRONG_PASSWORD",
    "Action",
    "Journey",
    "Knowledge",
    "Part",
    "Step",
    "action",
    "actions_on",
    "come_back_after",
    "digits_only",
    "letters_only",
    "other_case",
    "spaced",
]

# Population user names always hold a digit, so this one names nobody.
UNKNOWN_USER_NAME = "unknownagent"
WRONG_PASSWORD = "Wrong1234"
MALFORMED_AGENT_UNIQUE_ID = "12345"
MALFORMED_EMAIL = "not-an-email"
NOT_OFFERED_STATES = ("CA", "NY", "WA", "FL")  # codes of states; the first not offered is chosen


@dataclass
class Knowledge:
    """What one producer knows while on a journey: their own details, the group they
    share an email address with, one other producer (``outsider``) whose details they
    might mistype, and what the portal's mail told them."""

    producer: Producer
    portal: PortalSpec  # whose email templates the producer's mail is read with
    password: str
    group: tuple[Producer, ...] = ()  # the producer first, then who shares the address
    outsider: Producer | None = None  # a producer with an address of their own
    previous_password: str | None = None
    temporary_passwords: tuple[str, ...] = ()  # every one emailed, oldest first
    signed_in_with: str | None = None
    signed_in_before_change: bool = False  # a change in another browser came after
    passwords_made: int = 0

    @classmethod
    def of(
        cls,
        producer: Producer,
        portal: PortalSpec,
        group: tuple[Producer, ...] = (),
        outsider: Producer | None = None,
    ) -> Knowledge:
        return cls(producer, portal, producer.password, group or (producer,), outsider)

    def copy(self) -> Knowledge:
        return replace(self)

    def read(
        self, messages: Sequence[EmailMessage], find: TemporaryPasswordReader | None = None
    ) -> None:
        """Read newly arrived mail as the producer would (inbox and spam): the messages
        to their address teach them the temporary passwords emailed, each found by
        ``find`` (default: the flows' line of the reset email)."""
        mine = normalize_address(self.producer.email)
        for message in messages:
            try:
                if normalize_address(str(message.get("To", ""))) != mine:
                    continue
                if find is not None:
                    found = find(message)
                elif email_kind(message, self.portal) == "password_reset":
                    found = temporary_password_in(message, self.portal)
                else:
                    found = None
            except Exception:  # an email the producer cannot read: the oracle reports it
                continue
            if found:
                self.temporary_passwords += (found,)

    @property
    def secrets(self) -> set[str]:
        """Every password the producer knows or typed as theirs on the journey."""
        known = {self.password, self.previous_password, self.signed_in_with}
        return {s for s in (*known, *self.temporary_passwords) if s}

    @property
    def temporary_password(self) -> str | None:
        """The newest temporary password emailed, if any."""
        return self.temporary_passwords[-1] if self.temporary_passwords else None

    @property
    def older_temporary_password(self) -> str | None:
        """The one emailed before the newest, if any."""
        return self.temporary_passwords[-2] if len(self.temporary_passwords) > 1 else None

    def fresh_password(self, length: int = 8, filler: str = "") -> str:
        """A new password the producer has not used: letters and digits, ``length``
        characters (``filler`` goes in the middle: a symbol, a non-ASCII letter)."""
        head = f"F{filler}"
        tail = f"{self.passwords_made + 1:03d}"
        return head + "x" * max(0, length - len(head) - len(tail)) + tail

    def unknown_agent_unique_id(self) -> str:
        """A well-formed Agent Unique ID of nobody registered on the journey."""
        taken = {p.agent_unique_id for p in (*self.group, *self.outsiders())}
        return next(f"{n:09d}" for n in range(999_999_999, 0, -1) if f"{n:09d}" not in taken)

    def outsiders(self) -> tuple[Producer, ...]:
        return (self.outsider,) if self.outsider is not None else ()

    def other_email(self) -> str:
        """Another producer's address (or one of nobody when the journey has none)."""
        return self.outsider.email if self.outsider else "someone.else@example.com"

    def other_agent_unique_id(self) -> str:
        return self.outsider.agent_unique_id if self.outsider else self.unknown_agent_unique_id()


Run = Callable[[Driver, Target, Knowledge, Parameters], Screen]
Needs = Callable[[Knowledge, Parameters], bool]


def _always(k: Knowledge, p: Parameters) -> bool:
    return True


@dataclass(frozen=True)
class Action:
    """One input of the alphabet. ``screens``: where a producer can do it; ``elsewhere``:
    it happens in another browser, so the producer's own browser keeps its screen."""

    key: str
    description: str
    screens: tuple[str, ...]
    run: Run
    needs: Needs = _always
    elsewhere: bool = False
    source: str = ""  # where the equivalence class comes from (a guide ID, parameter, decision)


@dataclass(frozen=True)
class Step:
    """One action and what it must lead to."""

    action: str
    screen: str
    messages: tuple[str, ...] = ()  # the texts of the screen's messages
    emails: tuple[str, ...] = ()  # kinds of email the step causes
    transitions: tuple[str, ...] = ()  # machine.id of each transition the reference fired

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

    covers: tuple[str, ...]  # the transitions of the flows its steps fire on the reference
    steps: tuple[Step, ...]
    variant: str | None = None
    guide: tuple[str, ...] = field(default=())
    number: int = 0
    part: str = ""
    # What each step must show: simulator.verify.model.Observation values.
    expected: tuple[object, ...] = field(default=(), compare=False, repr=False)

    @property
    def name(self) -> str:
        suffix = f" [{self.variant}]" if self.variant else ""
        return f"#{self.number}{suffix}"

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "part": self.part,
            "actions": [s.action for s in self.steps],
            "covers": list(self.covers),
            "variant": self.variant,
            "guide": list(self.guide),
        }


# -- performing actions ---------------------------------------------------------------------


def _signed_in(screen: Screen) -> bool:
    return screen.name == "welcome"


def _log_in_with(
    password_of: Callable[[Knowledge], str | None],
    user: Callable[[Knowledge], str] = lambda k: k.producer.user_name,
) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        password = password_of(k) or ""
        screen = log_in(driver, user(k), password)
        if _signed_in(screen):
            k.signed_in_with = password
            k.signed_in_before_change = False
        return screen

    return run


def _forgot(auid: Callable[[Knowledge], str], email: Callable[[Knowledge], str]) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        return submit_forgot_user_name(driver, auid(k), email(k))

    return run


def _reset(
    email: Callable[[Knowledge], str],
    auid: Callable[[Knowledge], str],
    user: Callable[[Knowledge], str] = lambda k: k.producer.user_name,
) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        return submit_reset_password(driver, user(k), email(k), auid(k))

    return run


def _click(label: str) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        return driver.click(label)

    return run


def _choose_home_state(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
    return choose_state(driver, k.producer.home_state)


def _change(
    current: Callable[[Knowledge], str],
    new: Callable[[Knowledge, Parameters], str],
    confirm: Callable[[Knowledge, str], str] = lambda k, new: new,
) -> Run:
    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        new_password = new(k, p)
        screen = update_password(driver, current(k), new_password, confirm(k, new_password))
        if screen.name == "password_updated":
            k.previous_password = k.password
            k.password = new_password
            k.signed_in_with = new_password
            k.passwords_made += 1
        return screen

    return run


def _change_in_another_browser(
    driver: Driver, target: Target, k: Knowledge, p: Parameters
) -> Screen:
    """Sign in in a second browser and change the password there; this browser keeps
    its screen (the change ends its session: decision password-change-ends-other-sessions)."""
    password = _signed_in_password(k)
    other = target.open_browser()
    screen = log_in(other, k.producer.user_name, password)
    if _signed_in(screen):
        choose_state(other, k.producer.home_state)
        other.click("Edit Profile")
        screen = _change(lambda k: password, lambda k, p: k.fresh_password())(other, target, k, p)
        if screen.name == "password_updated":
            k.signed_in_before_change = True
            k.signed_in_with = None
    return screen


def _wrong_in_another_browser(
    driver: Driver, target: Target, k: Knowledge, p: Parameters
) -> Screen:
    """A wrong password typed in a second browser: failures count per account (LOCK-2)."""
    return log_in(target.open_browser(), k.producer.user_name, WRONG_PASSWORD)


def _reset_in_another_browser(
    driver: Driver, target: Target, k: Knowledge, p: Parameters
) -> Screen:
    """Ask for a temporary password in a second browser (user name and email) while this
    one stays signed in: the reset email comes to the producer's mailbox as any other."""
    other = target.open_browser()
    other.click("Reset Password?")
    return submit_reset_password(other, k.producer.user_name, k.producer.email)


def _open_portal(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
    return driver.open_portal()


def _close_browser(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
    k.signed_in_with = None
    k.signed_in_before_change = False
    return driver.close_browser()


def come_back_after(minutes: Callable[[Parameters], float]) -> Run:
    """Come back later, in a new browser."""

    def run(driver: Driver, target: Target, k: Knowledge, p: Parameters) -> Screen:
        target.advance_clock(minutes(p))
        return _close_browser(driver, target, k, p)

    return run


def _signed_in_password(k: Knowledge) -> str:
    return k.signed_in_with or k.password


def _other_case(text: str) -> str:
    return text.upper() if text != text.upper() else text.lower()


def _spaced(text: str) -> str:
    return f"  {text} "


def _letters_only(password: str) -> str:
    return password.translate(str.maketrans("0123456789", "abcdefghij"))


def _digits_only(password: str) -> str:
    return "".join(c if c.isdigit() else "9" for c in password)


# What a journey types, for a scenario that types the same (simulator/verify/gherkin.py).
other_case, spaced, letters_only, digits_only = _other_case, _spaced, _letters_only, _digits_only


def _state_not_offered(p: Parameters) -> str:
    return next(code for code in NOT_OFFERED_STATES if code not in p.states)


def _choose_state_not_offered(
    driver: Driver, target: Target, k: Knowledge, p: Parameters
) -> Screen:
    return choose_state(driver, _state_not_offered(p))


def _has_temporary(k: Knowledge, p: Parameters) -> bool:
    return k.temporary_password is not None


def _has_older_temporary(k: Knowledge, p: Parameters) -> bool:
    return k.older_temporary_password is not None


def _temporary_session(k: Knowledge, p: Parameters) -> bool:
    """Signed in with a temporary password: the password from before the reset differs."""
    return k.signed_in_with is not None and k.signed_in_with in k.temporary_passwords


def _auto_unlock(k: Knowledge, p: Parameters) -> bool:
    return p.auto_unlock_after_minutes is not None


LOGIN = ("login_page",)
SIGNED_IN = ("welcome", "state_selected", "edit_profile", "password_updated")
AWAY_FROM_LOGIN = (
    *SIGNED_IN,
    "forgot_user_name",
    "username_request_submitted",
    "reset_password",
    "reset_request_submitted",
)
FORGOT = ("forgot_user_name",)
RESET = ("reset_password",)
PROFILE = ("edit_profile",)


def _policy_length(offset: int, of: str) -> Callable[[Knowledge, Parameters], str]:
    def new(k: Knowledge, p: Parameters) -> str:
        base = p.password_policy.min_length if of == "min" else p.password_policy.max_length
        return k.fresh_password(max(1, base + offset))

    return new


ALPHABET: tuple[Action, ...] = (
    # Please Sign-In (LOGIN-2, LOCK-1..3; decisions identifiers-case, unknown-user-name)
    Action("log_in", "log in with the right password", LOGIN, _log_in_with(lambda k: k.password)),
    Action(
        "log_in_wrong_password",
        "log in with a wrong password",
        LOGIN,
        _log_in_with(lambda k: WRONG_PASSWORD),
        source="LOCK-1, LOCK-2",
    ),
    Action(
        "log_in_empty_password",
        "log in with the user name and an empty password",
        LOGIN,
        _log_in_with(lambda k: ""),
        source="decision empty-login-counts",
    ),
    Action(
        "log_in_empty_user_name",
        "log in with an empty user name",
        LOGIN,
        _log_in_with(lambda k: k.password, lambda k: ""),
        source="decision empty-login-counts",
    ),
    Action(
        "log_in_password_other_case",
        "log in with the password in another case",
        LOGIN,
        _log_in_with(lambda k: k.password.swapcase()),
        source="decision identifiers-case (passwords are case-sensitive)",
    ),
    Action(
        "log_in_user_name_other_case",
        "log in with the user name in another case",
        LOGIN,
        _log_in_with(lambda k: k.password, lambda k: _other_case(k.producer.user_name)),
        source="decision identifiers-case",
    ),
    Action(
        "log_in_user_name_with_spaces",
        "log in with spaces around the user name",
        LOGIN,
        _log_in_with(lambda k: k.password, lambda k: _spaced(k.producer.user_name)),
        source="decision identifiers-case",
    ),
    Action(
        "log_in_unknown_user_name",
        "log in with an unknown user name",
        LOGIN,
        _log_in_with(lambda k: k.password, lambda k: UNKNOWN_USER_NAME),
        source="decision unknown-user-name",
    ),
    Action(
        "log_in_unknown_user_name_other_case",
        "log in with the unknown user name in another case",
        LOGIN,
        _log_in_with(lambda k: k.password, lambda k: _other_case(UNKNOWN_USER_NAME)),
        source="decisions unknown-user-name, failures-counted-per-user-name",
    ),
    Action(
        "log_in_previous_password",
        "log in with the password from before the change",
        LOGIN,
        _log_in_with(lambda k: k.previous_password),
        needs=lambda k, p: k.previous_password is not None,
        source="RESET-12",
    ),
    Action(
        "log_in_temporary_password",
        "log in with the newest emailed temporary password",
        LOGIN,
        _log_in_with(lambda k: k.temporary_password),
        needs=_has_temporary,
        source="RESET-7, decision temporary-password-rules",
    ),
    Action(
        "log_in_older_temporary_password",
        "log in with a temporary password emailed before the newest",
        LOGIN,
        _log_in_with(lambda k: k.older_temporary_password),
        needs=_has_older_temporary,
        source="decision temporary-password-rules",
    ),
    Action(
        "log_in_temporary_password_wrong_case",
        "log in with the temporary password in the wrong case",
        LOGIN,
        _log_in_with(lambda k: (k.temporary_password or "").swapcase()),
        needs=_has_temporary,
        source="RESET-6 (case-sensitive)",
    ),
    Action(
        "log_in_wrong_password_in_another_browser",
        "type a wrong password in a second browser",
        (*LOGIN, *AWAY_FROM_LOGIN),
        _wrong_in_another_browser,
        elsewhere=True,
        source="LOCK-2 (consecutive failures of the account, any browser)",
    ),
    Action(
        "click_forgot_user_name", 'click "Forgot User Name?"', LOGIN, _click("Forgot User Name?")
    ),
    Action("click_reset_password", 'click "Reset Password?"', LOGIN, _click("Reset Password?")),
    Action(
        "wait_just_under_temporary_password_lifetime",
        "come back a minute before the temporary password expires",
        LOGIN,
        come_back_after(lambda p: p.temporary_password_valid_minutes - 1),
        needs=_has_temporary,
        source="parameters.temporary_password_valid_minutes - 1",
    ),
    Action(
        "wait_temporary_password_lifetime",
        "come back when the temporary password has just expired",
        LOGIN,
        come_back_after(lambda p: p.temporary_password_valid_minutes),
        needs=_has_temporary,
        source="parameters.temporary_password_valid_minutes",
    ),
    Action(
        "wait_just_under_auto_unlock",
        "come back a minute before the auto-unlock time",
        LOGIN,
        come_back_after(lambda p: (p.auto_unlock_after_minutes or 1) - 1),
        needs=_auto_unlock,
        source="parameters.auto_unlock_after_minutes - 1",
    ),
    Action(
        "wait_auto_unlock",
        "come back at the auto-unlock time",
        LOGIN,
        come_back_after(lambda p: p.auto_unlock_after_minutes or 0),
        needs=_auto_unlock,
        source="parameters.auto_unlock_after_minutes",
    ),
    # Forgot User Name? (USER-2..8)
    Action(
        "forgot_user_name",
        "submit Forgot User Name? with own Agent Unique ID and email",
        FORGOT,
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: k.producer.email),
        source="USER-4",
    ),
    Action(
        "forgot_user_name_email_other_case",
        "submit Forgot User Name? with the email in another case, spaces around",
        FORGOT,
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: _spaced(k.producer.email.upper())),
        source="decision identifiers-case",
    ),
    Action(
        "forgot_user_name_mismatch",
        "submit Forgot User Name? with another producer's email address",
        FORGOT,
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: k.other_email()),
        source="decision forms-do-not-reveal-matches",
    ),
    Action(
        "forgot_user_name_unknown_agent_unique_id",
        "submit Forgot User Name? with a well-formed Agent Unique ID of nobody",
        FORGOT,
        _forgot(lambda k: k.unknown_agent_unique_id(), lambda k: k.producer.email),
        source="decision forms-do-not-reveal-matches",
    ),
    Action(
        "forgot_user_name_other_agent_unique_id",
        "submit Forgot User Name? with another producer's Agent Unique ID",
        FORGOT,
        _forgot(lambda k: k.other_agent_unique_id(), lambda k: k.producer.email),
        source="decision forms-do-not-reveal-matches",
    ),
    Action(
        "forgot_user_name_missing_agent_unique_id",
        "submit Forgot User Name? without the Agent Unique ID",
        FORGOT,
        _forgot(lambda k: "", lambda k: k.producer.email),
        source="decision form-field-messages",
    ),
    Action(
        "forgot_user_name_malformed_agent_unique_id",
        "submit Forgot User Name? with a five-digit Agent Unique ID",
        FORGOT,
        _forgot(lambda k: MALFORMED_AGENT_UNIQUE_ID, lambda k: k.producer.email),
        source="decision form-field-messages",
    ),
    Action(
        "forgot_user_name_agent_unique_id_with_spaces",
        "submit Forgot User Name? with spaces around the Agent Unique ID",
        FORGOT,
        _forgot(lambda k: _spaced(k.producer.agent_unique_id), lambda k: k.producer.email),
        source="decision identifiers-case (identifiers are trimmed)",
    ),
    Action(
        "forgot_user_name_agent_unique_id_eight_digits",
        "submit Forgot User Name? with the Agent Unique ID one digit short",
        FORGOT,
        _forgot(lambda k: k.producer.agent_unique_id[:-1], lambda k: k.producer.email),
        source="USER-2: nine digits - 1",
    ),
    Action(
        "forgot_user_name_agent_unique_id_ten_digits",
        "submit Forgot User Name? with a digit after the Agent Unique ID",
        FORGOT,
        _forgot(lambda k: k.producer.agent_unique_id + "0", lambda k: k.producer.email),
        source="USER-2: nine digits + 1",
    ),
    Action(
        "forgot_user_name_empty",
        "submit Forgot User Name? with both fields empty",
        FORGOT,
        _forgot(lambda k: "", lambda k: ""),
        source="decision form-field-messages (one message per field)",
    ),
    Action(
        "forgot_user_name_missing_email",
        "submit Forgot User Name? without the email address",
        FORGOT,
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: ""),
        source="decision form-field-messages",
    ),
    Action(
        "forgot_user_name_malformed_email",
        "submit Forgot User Name? with a malformed email address",
        FORGOT,
        _forgot(lambda k: k.producer.agent_unique_id, lambda k: MALFORMED_EMAIL),
        source="decision form-field-messages",
    ),
    Action(
        "confirm_request",
        'click "OK"',
        ("username_request_submitted", "reset_request_submitted"),
        _click("OK"),
    ),
    # Reset Password? (RESET-2..7)
    Action(
        "reset_password_with_email",
        "submit Reset Password? with user name and email",
        RESET,
        _reset(lambda k: k.producer.email, lambda k: ""),
        source="RESET-3",
    ),
    Action(
        "reset_password_with_agent_unique_id",
        "submit Reset Password? with user name and Agent Unique ID",
        RESET,
        _reset(lambda k: "", lambda k: k.producer.agent_unique_id),
        source="RESET-3",
    ),
    Action(
        "reset_password_other_case",
        "submit Reset Password? with user name and email in another case, spaces around",
        RESET,
        _reset(
            lambda k: _spaced(_other_case(k.producer.email)),
            lambda k: "",
            lambda k: _spaced(_other_case(k.producer.user_name)),
        ),
        source="decision identifiers-case",
    ),
    Action(
        "reset_password_both_identifiers",
        "submit Reset Password? with user name, email and another producer's Agent Unique ID",
        RESET,
        _reset(lambda k: k.producer.email, lambda k: k.other_agent_unique_id()),
        source="decision both-identifiers-given",
    ),
    Action(
        "reset_password_mismatch",
        "submit Reset Password? with another producer's email address",
        RESET,
        _reset(lambda k: k.other_email(), lambda k: ""),
        source="decision forms-do-not-reveal-matches",
    ),
    Action(
        "reset_password_unknown_user_name",
        "submit Reset Password? with an unknown user name and own email",
        RESET,
        _reset(lambda k: k.producer.email, lambda k: "", lambda k: UNKNOWN_USER_NAME),
        source="decision forms-do-not-reveal-matches",
    ),
    Action(
        "reset_password_missing_user_name",
        "submit Reset Password? without the user name",
        RESET,
        _reset(lambda k: k.producer.email, lambda k: "", lambda k: ""),
        source="decision form-field-messages",
    ),
    Action(
        "reset_password_missing_identifier",
        "submit Reset Password? with neither email nor Agent Unique ID",
        RESET,
        _reset(lambda k: "", lambda k: ""),
        source="RESET-3",
    ),
    Action(
        "reset_password_agent_unique_id_with_spaces",
        "submit Reset Password? with user name and the Agent Unique ID, spaces around",
        RESET,
        _reset(lambda k: "", lambda k: _spaced(k.producer.agent_unique_id)),
        source="decision identifiers-case (identifiers are trimmed)",
    ),
    Action(
        "reset_password_empty",
        "submit Reset Password? with every field empty",
        RESET,
        _reset(lambda k: "", lambda k: "", lambda k: ""),
        source="decision form-field-messages (one message per field)",
    ),
    Action(
        "reset_password_malformed_email",
        "submit Reset Password? with a malformed email address",
        RESET,
        _reset(lambda k: MALFORMED_EMAIL, lambda k: ""),
        source="decision form-field-messages",
    ),
    Action(
        "reset_password_malformed_agent_unique_id",
        "submit Reset Password? with a five-digit Agent Unique ID",
        RESET,
        _reset(lambda k: "", lambda k: MALFORMED_AGENT_UNIQUE_ID),
        source="decision form-field-messages",
    ),
    # Signed in (LOGIN-3..4, RESET-8..12)
    Action(
        "select_state",
        "select the producer's state",
        ("welcome", "state_selected"),
        _choose_home_state,
        source="LOGIN-4",
    ),
    Action(
        "select_state_not_offered",
        "select a state the portal does not serve",
        ("welcome", "state_selected"),
        _choose_state_not_offered,
        source="decision states-offered",
    ),
    Action(
        "click_edit_profile",
        'choose "Edit Profile" from the Account menu',
        ("state_selected",),
        _click("Edit Profile"),
        source="RESET-8",
    ),
    Action(
        "update_password",
        "change the password to a new valid one",
        PROFILE,
        _change(_signed_in_password, lambda k, p: k.fresh_password()),
        source="RESET-11",
    ),
    Action(
        "update_password_shortest",
        "change the password to one of the policy's minimum length",
        PROFILE,
        _change(_signed_in_password, _policy_length(0, "min")),
        source="parameters.password_policy.min_length",
    ),
    Action(
        "update_password_too_short",
        "choose a New Password one character under the minimum",
        PROFILE,
        _change(_signed_in_password, _policy_length(-1, "min")),
        source="parameters.password_policy.min_length - 1",
    ),
    Action(
        "update_password_longest",
        "change the password to one of the policy's maximum length",
        PROFILE,
        _change(_signed_in_password, _policy_length(0, "max")),
        source="parameters.password_policy.max_length",
    ),
    Action(
        "update_password_too_long",
        "choose a New Password one character over the maximum",
        PROFILE,
        _change(_signed_in_password, _policy_length(1, "max")),
        source="parameters.password_policy.max_length + 1",
    ),
    Action(
        "update_password_with_symbol",
        "choose a New Password with a symbol",
        PROFILE,
        _change(_signed_in_password, lambda k, p: k.fresh_password(8, "#")),
        source="parameters.password_policy.allowed",
    ),
    Action(
        "update_password_non_ascii_letter",
        "choose a New Password with a non-ASCII letter",
        PROFILE,
        _change(_signed_in_password, lambda k, p: k.fresh_password(8, "é")),
        source="decision letters-are-ascii",
    ),
    Action(
        "update_password_letters_only",
        "choose a New Password of letters only",
        PROFILE,
        _change(_signed_in_password, lambda k, p: _letters_only(k.fresh_password())),
        source="RESET-10 (letters and/or numbers)",
    ),
    Action(
        "update_password_digits_only",
        "choose a New Password of digits only",
        PROFILE,
        _change(_signed_in_password, lambda k, p: _digits_only(k.fresh_password())),
        source="RESET-10 (letters and/or numbers)",
    ),
    Action(
        "update_password_missing_field",
        "click Update Password without confirming",
        PROFILE,
        _change(_signed_in_password, lambda k, p: k.fresh_password(), lambda k, new: ""),
        source="decision form-field-messages",
    ),
    Action(
        "update_password_wrong_current",
        "change the password with a wrong Current Password",
        PROFILE,
        _change(lambda k: WRONG_PASSWORD, lambda k, p: k.fresh_password()),
        source="decision wrong-current-password-counts",
    ),
    Action(
        "update_password_wrong_current_too_short",
        "a wrong Current Password and a New Password under the minimum",
        PROFILE,
        _change(lambda k: WRONG_PASSWORD, _policy_length(-1, "min")),
        source="decision change-password-message-order",
    ),
    Action(
        "update_password_missing_field_wrong_current",
        "a wrong Current Password and Confirm New Password left empty",
        PROFILE,
        _change(lambda k: WRONG_PASSWORD, lambda k, p: k.fresh_password(), lambda k, new: ""),
        source="decision change-password-message-order (a missing field before the count)",
    ),
    Action(
        "update_password_unconfirmed_unchanged",
        "choose the current password as the New Password and confirm another",
        PROFILE,
        _change(
            _signed_in_password,
            lambda k, p: _signed_in_password(k),
            lambda k, new: new + "x",
        ),
        source="decision change-password-message-order (unconfirmed before unchanged)",
    ),
    Action(
        "update_password_temporary_as_current",
        "give the newest emailed temporary password as Current Password",
        PROFILE,
        _change(lambda k: k.temporary_password or "", lambda k, p: k.fresh_password()),
        needs=_has_temporary,
        source="decision temporary-password-rules (a valid temporary password is a current password)",
    ),
    Action(
        "update_password_old_password_as_current",
        "signed in with the temporary password, give the password from before the reset as Current Password",
        PROFILE,
        _change(lambda k: k.password, lambda k, p: k.fresh_password()),
        needs=_temporary_session,
        source="decision temporary-session-current-password",
    ),
    Action(
        "update_password_back_to_old_password",
        "signed in with the temporary password, choose the password from before the reset as New Password",
        PROFILE,
        _change(_signed_in_password, lambda k, p: k.password),
        needs=_temporary_session,
        source="decisions new-password-must-differ, new-password-unchanged-message",
    ),
    Action(
        "update_password_unconfirmed",
        "confirm a different New Password",
        PROFILE,
        _change(_signed_in_password, lambda k, p: k.fresh_password(), lambda k, new: new + "x"),
        source="RESET-10",
    ),
    Action(
        "update_password_unchanged",
        "choose the current password as the New Password",
        PROFILE,
        _change(_signed_in_password, lambda k, p: _signed_in_password(k)),
        source="decision new-password-must-differ",
    ),
    Action(
        "change_password_in_another_browser",
        "sign in in a second browser and change the password there",
        SIGNED_IN,
        _change_in_another_browser,
        elsewhere=True,
        source="decision password-change-ends-other-sessions",
    ),
    Action(
        "reset_password_in_another_browser",
        "signed in, ask for a temporary password in a second browser (user name and email)",
        SIGNED_IN,
        _reset_in_another_browser,
        elsewhere=True,
        source="RESET-3..5 while signed in (decisions temporary-password-rules, temporary-session-current-password)",
    ),
    Action(
        "back_to_profile_page",
        'click "Back to Profile Page"',
        ("password_updated",),
        _click("Back to Profile Page"),
    ),
    Action(
        "open_portal",
        "open the portal's address (its bookmark) in this browser",
        (*LOGIN, *AWAY_FROM_LOGIN),
        _open_portal,
        source="LOGIN-1, decision portal-address",
    ),
    Action(
        "close_browser",
        "close the browser and clear its cache",
        AWAY_FROM_LOGIN,
        _close_browser,
        source="LOCK-5, decision fresh-browser-not-enforced",
    ),
)

_BY_KEY = {a.key: a for a in ALPHABET}


def action(key: str) -> Action:
    return _BY_KEY[key]


def actions_on(screen: str, knowledge: Knowledge, parameters: Parameters) -> list[Action]:
    """The actions a producer can take on ``screen`` now."""
    return [a for a in ALPHABET if screen in a.screens and a.needs(knowledge, parameters)]


# -- the parts of the guide, each checked over the actions that drive it --------------------


def _base(variant: str | None, p: Parameters) -> bool:
    return variant is None


def _with_auto_unlock(variant: str | None, p: Parameters) -> bool:
    return p.auto_unlock_after_minutes is not None


def _with_other_readings(variant: str | None, p: Parameters) -> bool:
    """A behavioural decision read the other way (a decision's `parameter:` false)."""
    return not (p.empty_login_counts and p.wrong_current_password_counts)


@dataclass(frozen=True)
class Part:
    """A part of the guide and the actions that drive it: one conformance model each.

    The composed machine of every action at once has thousands of states (the timers,
    counters and temporary passwords multiply); a model per part keeps each suite
    complete for its own alphabet within the time budget. Actions of several parts
    (log in, a wrong password, a reset) tie them together."""

    name: str
    checks: str
    inputs: tuple[str, ...]
    applies: Callable[[str | None, Parameters], bool] = _base
    # The default fault domain: complete for portals with this many more states than
    # the model (1 where the suite fits the time budget: a counter reset or kept shows
    # only in a state the reference does not have).
    extra_states: int = 0


_SIGN_IN_TO_PROFILE = ("select_state", "click_edit_profile", "update_password", "close_browser")
_RESET = ("click_reset_password", "reset_password_with_email", "confirm_request")

ACROSS_PARTS = "across parts"
"""The part whose model composes the others over the account they share (issue 24)."""

PARTS: tuple[Part, ...] = (
    Part(
        ACROSS_PARTS,
        "LOCK-1..5, RESET-6..12, USER-6: the parts together over the shared account"
        " (failures, lock, temporary passwords and their lifetime, password, sessions)",
        (
            "log_in",
            "log_in_wrong_password",
            "log_in_wrong_password_in_another_browser",
            "log_in_temporary_password",
            *_RESET,
            "click_forgot_user_name",
            "forgot_user_name",
            "wait_temporary_password_lifetime",
            *_SIGN_IN_TO_PROFILE,
            "change_password_in_another_browser",
            "reset_password_in_another_browser",
        ),
    ),
    Part(
        "lock-out",
        "LOGIN-2, LOCK-1..5: failures in any browser, the lock, what unlocks it",
        (
            "log_in",
            "log_in_wrong_password",
            "log_in_wrong_password_in_another_browser",
            "log_in_empty_password",
            "log_in_temporary_password",
            *_RESET,
            "click_forgot_user_name",
            "forgot_user_name",
            "update_password_wrong_current",
            "update_password_old_password_as_current",
            *_SIGN_IN_TO_PROFILE,
        ),
        extra_states=1,
    ),
    Part(
        "temporary passwords",
        "RESET-6, RESET-7, RESET-12: which passwords sign in, before and after expiry",
        (
            "log_in",
            "log_in_temporary_password",
            "log_in_older_temporary_password",
            "log_in_temporary_password_wrong_case",
            "log_in_previous_password",
            *_RESET,
            "wait_just_under_temporary_password_lifetime",
            "wait_temporary_password_lifetime",
            *_SIGN_IN_TO_PROFILE,
            "update_password_temporary_as_current",
            "update_password_old_password_as_current",
            "update_password_back_to_old_password",
        ),
    ),
    Part(
        "forms",
        "USER-1..8, RESET-1..5, SERVICES-1..3: the two forms, their messages and emails",
        (
            "log_in_wrong_password",
            "click_forgot_user_name",
            "forgot_user_name",
            "forgot_user_name_email_other_case",
            "forgot_user_name_mismatch",
            "forgot_user_name_unknown_agent_unique_id",
            "forgot_user_name_other_agent_unique_id",
            "forgot_user_name_missing_agent_unique_id",
            "forgot_user_name_malformed_agent_unique_id",
            "forgot_user_name_agent_unique_id_with_spaces",
            "forgot_user_name_agent_unique_id_eight_digits",
            "forgot_user_name_agent_unique_id_ten_digits",
            "forgot_user_name_missing_email",
            "forgot_user_name_malformed_email",
            "forgot_user_name_empty",
            "confirm_request",
            "click_reset_password",
            "reset_password_with_email",
            "reset_password_with_agent_unique_id",
            "reset_password_other_case",
            "reset_password_both_identifiers",
            "reset_password_mismatch",
            "reset_password_unknown_user_name",
            "reset_password_missing_user_name",
            "reset_password_missing_identifier",
            "reset_password_agent_unique_id_with_spaces",
            "reset_password_empty",
            "reset_password_malformed_email",
            "reset_password_malformed_agent_unique_id",
            "open_portal",
            "close_browser",
        ),
        extra_states=1,
    ),
    Part(
        "change password",
        "LOGIN-3..4, RESET-8..12: the policy's boundaries, the messages, other sessions",
        (
            "log_in",
            "log_in_previous_password",
            *_RESET,
            "log_in_temporary_password",
            *_SIGN_IN_TO_PROFILE,
            "update_password_shortest",
            "update_password_too_short",
            "update_password_longest",
            "update_password_too_long",
            "update_password_with_symbol",
            "update_password_non_ascii_letter",
            "update_password_letters_only",
            "update_password_digits_only",
            "update_password_missing_field",
            "update_password_wrong_current",
            "update_password_wrong_current_too_short",
            "update_password_unconfirmed",
            "update_password_unchanged",
            "update_password_missing_field_wrong_current",
            "update_password_unconfirmed_unchanged",
            "change_password_in_another_browser",
            "back_to_profile_page",
            "open_portal",
        ),
    ),
    Part(
        "user names",
        "LOGIN-2, LOCK-1..2 by user name: case, spaces, unknown names and their ledger",
        (
            "log_in",
            "log_in_wrong_password",
            "log_in_password_other_case",
            "log_in_user_name_other_case",
            "log_in_user_name_with_spaces",
            "log_in_unknown_user_name",
            "log_in_unknown_user_name_other_case",
            "log_in_empty_user_name",
            "close_browser",
        ),
        extra_states=1,
    ),
    Part(
        "signed in",
        "LOGIN-3..4, decision states-offered: Welcome, the state menu, the Account menu",
        (
            "log_in",
            "log_in_wrong_password",
            "select_state",
            "select_state_not_offered",
            "click_edit_profile",
            "open_portal",
            "close_browser",
        ),
        extra_states=1,
    ),
    Part(
        "auto-unlock",
        "LOCK-3 with auto_unlock_after_minutes set: just under and at the time",
        (
            "log_in",
            "log_in_wrong_password",
            "log_in_wrong_password_in_another_browser",
            "log_in_unknown_user_name",
            "wait_just_under_auto_unlock",
            "wait_auto_unlock",
            "close_browser",
        ),
        applies=_with_auto_unlock,
    ),
    Part(
        "other readings",
        "decisions empty-login-counts, wrong-current-password-counts read the other way",
        (
            "log_in",
            "log_in_wrong_password",
            "log_in_empty_password",
            "log_in_empty_user_name",
            # A locked account's temporary session: a wrong Current Password there counts
            # while locked (LOCK-3), whichever reading the shipped parameters take.
            *_RESET,
            "log_in_temporary_password",
            *_SIGN_IN_TO_PROFILE,
            "update_password_wrong_current",
        ),
        applies=_with_other_readings,
        extra_states=1,
    ),
)
