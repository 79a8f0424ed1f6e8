"""A browser session: the model of the login, username-recovery and reset flows."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from simulator.portal.account import Account
from simulator.portal.forms import (
    AGENT_UNIQUE_ID,
    CONFIRM_NEW_PASSWORD,
    CURRENT_PASSWORD,
    EMAIL,
    NEW_PASSWORD,
    PASSWORD,
    STATE,
    USER_NAME,
    field_errors,
    normalize_identifier,
)
from simulator.portal.passwords import PasswordHash
from specs.machines import FlowMachines

if TYPE_CHECKING:
    from simulator.portal.portal import Portal

__all__ = ["TELLS_ACCOUNT", "Session"]

# What each session action (vocabulary.actions) tells the account's machines: the one
# place this meaning is written (the simulation's compiled table reads it from here).
TELLS_ACCOUNT = {
    "record_login_success": "succeed_login",
    "record_login_failure": "fail_login",
    "complete_password_reset": "complete_password_reset",
}


DECOY_USER_NAME = "decoyname0000001"
"""What a decoy user-name email lists: as long as a user name the population draws."""


class Session:
    """A browser session: the model of the login, username-recovery and reset flows.

    ``state`` is the screen; ``form`` holds what the producer typed on it.
    """

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.form: dict[str, str] = {}
        self.messages: tuple[str, ...] = ()
        self.account: Account | None = None  # signed in as
        self.signed_in_at_change = 0  # the account's password_changes when signed in
        self.signed_in_with_temporary = False  # then only the temporary password is current
        self.chosen_state: str | None = None
        self.state = ""
        self.machines = FlowMachines(portal.flow_set, "session", self, portal.fired)

    def _typed(self, label: str) -> str:
        return self.form.get(label, "")

    def _typed_account(self) -> Account | None:
        return self.portal.account_named(self._typed(USER_NAME))

    def _subject(self) -> Account | None:
        """The account a password check is about: the signed-in one, else the typed one."""
        return self.account if self.account is not None else self._typed_account()

    def _ledger_key(self) -> str:
        """The typed user name; the portal keeps only a keyed digest of it."""
        return self._typed(USER_NAME)

    # -- guards (vocabulary.conditions) ---------------------------------------------------
    def temporary_password_accepted(self) -> bool:
        account = self._typed_account()
        typed = self._typed(PASSWORD)
        if account is None or not account.temporary_valid():
            self.portal.decoy_hash(typed)  # as long as checking a real temporary password
            return False
        return account.temporary_matches(typed)

    def account_locked(self) -> bool:
        account = self._typed_account()
        if account is not None:
            return account.locked
        return self.portal.ledger.failures(self._ledger_key()) >= self._threshold()

    def credentials_accepted(self) -> bool:
        account = self._typed_account()
        typed = self._typed(PASSWORD)
        if account is None:
            self.portal.decoy_hash(typed)  # as long as checking a real password
            return False
        return account.password.matches(typed) and not account.locked

    def failure_reaches_lockout_threshold(self) -> bool:
        account = self._subject()
        if account is not None:
            return account.failure_reaches_lockout_threshold()
        return self.portal.ledger.failures(self._ledger_key()) + 1 >= self._threshold()

    def login_fields_given(self) -> bool:
        return bool(self._typed(USER_NAME)) and bool(self._typed(PASSWORD))

    def empty_login_counts(self) -> bool:
        return self.portal.parameters.empty_login_counts

    def wrong_current_password_counts(self) -> bool:
        return self.portal.parameters.wrong_current_password_counts

    def session_ended(self) -> bool:
        account = self.account
        return account is not None and account.password_changes != self.signed_in_at_change

    def state_offered(self) -> bool:
        return self._typed(STATE).strip().upper() in self.portal.parameters.states

    def username_form_valid(self) -> bool:
        return not field_errors("forgot_user_name", self.form)

    def reset_form_valid(self) -> bool:
        return not field_errors("reset_password", self.form)

    def change_password_fields_given(self) -> bool:
        return all(self._typed(f) for f in (CURRENT_PASSWORD, NEW_PASSWORD, CONFIRM_NEW_PASSWORD))

    def current_password_correct(self) -> bool:
        account = self.account
        current = self._typed(CURRENT_PASSWORD)
        if account is None:
            return False
        if account.temporary_matches(current):
            return True
        # Decision temporary-session-current-password: never the password from before the reset.
        return not self.signed_in_with_temporary and account.password.matches(current)

    def new_password_meets_policy(self) -> bool:
        return self.portal.parameters.password_policy.accepts(self._typed(NEW_PASSWORD))

    def new_password_confirmed(self) -> bool:
        return hmac.compare_digest(
            self._typed(NEW_PASSWORD).encode("utf-8", "surrogatepass"),
            self._typed(CONFIRM_NEW_PASSWORD).encode("utf-8", "surrogatepass"),
        )

    def new_password_differs(self) -> bool:
        new = self._typed(NEW_PASSWORD)
        account = self.account
        return (
            new != self._typed(CURRENT_PASSWORD)
            and account is not None
            and not account.password.matches(new)
        )

    def _threshold(self) -> int:
        return self.portal.parameters.lockout_threshold

    # -- actions (vocabulary.actions) -----------------------------------------------------
    def record_login_success(self) -> None:
        account = self._typed_account()
        assert account is not None
        account.machines.fire(TELLS_ACCOUNT["record_login_success"])
        self.account = account
        self.signed_in_at_change = account.password_changes
        self.signed_in_with_temporary = False

    def remember_temporary_sign_in(self) -> None:
        self.signed_in_with_temporary = True

    def record_login_failure(self) -> None:
        account = self._subject()
        if account is None:
            self.portal.ledger.count_failure(self._ledger_key())
        else:
            account.machines.fire(TELLS_ACCOUNT["record_login_failure"])

    def sign_out(self) -> None:
        self.account = None
        self.chosen_state = None
        self.signed_in_with_temporary = False

    def remember_state(self) -> None:
        self.chosen_state = self._typed(STATE).strip().upper()

    def show_field_errors(self) -> None:
        texts = self.portal.flow_set.portal.texts
        self.messages = tuple(texts[key].text for key in field_errors(self.state, self.form))

    def send_username_email(self) -> None:
        auid = self._typed(AGENT_UNIQUE_ID).strip()
        email = normalize_identifier(self._typed(EMAIL))
        linked = self.portal.accounts_at(email)
        if any(a.agent_unique_id == auid for a in linked) and self.portal.recovery_allowed(
            linked[0].email
        ):
            self.portal.send("username", linked[0].email, user_names=[a.user_name for a in linked])
        else:  # no match, or past the limit: as long as writing the email (no enumeration)
            # A name of a real one's length; the typed text may be anything (never rendered).
            self.portal.decoy_email("username", user_names=[DECOY_USER_NAME])

    def issue_temporary_password(self) -> None:
        account = self._typed_account()
        email = self._typed(EMAIL).strip()
        auid = self._typed(AGENT_UNIQUE_ID).strip()
        if (
            account is None
            or (email and normalize_identifier(email) != normalize_identifier(account.email))
            or (auid and auid != account.agent_unique_id)
            or not self.portal.recovery_allowed(account.email)  # decision recovery-email-limit
        ):
            # As long as making, hashing and writing a new temporary password.
            self.portal.decoy_hash("")
            self.portal.decoy_email(
                "password_reset", temporary_password=self.portal.new_temporary_password()
            )
            return
        temporary = self.portal.new_temporary_password()
        account.store_temporary_password(temporary)
        self.portal.send("password_reset", account.email, temporary_password=temporary)

    def change_password(self) -> None:
        account = self.account
        assert account is not None
        account.password = PasswordHash.of(self._typed(NEW_PASSWORD), self.portal.hash_iterations)
        account.temporary = None
        account.temporary_issued_at = None
        account.password_changes += 1
        self.signed_in_at_change = account.password_changes
        self.signed_in_with_temporary = False  # the new password is this session's now

    def complete_password_reset(self) -> None:
        account = self.account
        assert account is not None
        account.machines.fire(TELLS_ACCOUNT["complete_password_reset"])
