"""A producer's account: the model of the lockout flow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.portal.passwords import PasswordHash
from specs.machines import FlowMachines

if TYPE_CHECKING:
    from simulator.portal.portal import Portal

__all__ = ["Account", "AccountView"]


@dataclass(frozen=True)
class AccountView:
    """What a tester may observe of an account, read-only: never a password or a hash."""

    user_name: str
    lockout_state: str  # the lockout flow's state: unlocked or locked
    locked: bool
    failed_attempts: int
    temporary_password_valid: bool
    password_changes: int
    locked_for: tuple[dt.timedelta, ...]
    # Time since each timer of the flows started (None: not running), for testers
    # that must know where the account stands relative to every time parameter.
    temporary_password_age: dt.timedelta | None = None
    locked_since: dt.timedelta | None = None


class Account:
    """A producer's account: the lockout flow's model."""

    def __init__(
        self,
        portal: Portal,
        user_name: str,
        agent_unique_id: str,
        email: str,
        password: str,
        home_state: str = "IL",
        state_farm: bool = False,
    ) -> None:
        self.portal = portal
        self.user_name = user_name
        self.agent_unique_id = agent_unique_id
        self.email = email
        self.home_state = home_state
        self.state_farm = state_farm
        self.password = PasswordHash.of(password, portal.hash_iterations)
        self.temporary: PasswordHash | None = None
        self.temporary_issued_at: dt.datetime | None = None
        self.failed_attempts = 0
        self.password_changes = 0  # sessions signed in before a change are ended
        self.locked_at: dt.datetime | None = None
        self.locked_for: list[dt.timedelta] = []
        self.state = ""
        self.machines = FlowMachines(portal.flow_set, "account", self, portal.fired)

    def __repr__(self) -> str:
        return f"Account({self.user_name!r}, {self.state}, failed_attempts={self.failed_attempts})"

    @property
    def locked(self) -> bool:
        return self.state == "locked"

    def temporary_valid(self) -> bool:
        if self.temporary is None or self.temporary_issued_at is None:
            return False
        lifetime = dt.timedelta(minutes=self.portal.parameters.temporary_password_valid_minutes)
        return self.portal.clock.now() < self.temporary_issued_at + lifetime

    def _temporary_form(self, password: str) -> str:
        """RESET-6: a temporary password is matched with case unless
        parameters.temporary_password_case_sensitive is false."""
        if self.portal.parameters.temporary_password_case_sensitive:
            return password
        return password.casefold()

    def store_temporary_password(self, temporary: str) -> None:
        """Keep the hash of a newly emailed temporary password (voiding any older one)."""
        self.temporary = PasswordHash.of(
            self._temporary_form(temporary), self.portal.hash_iterations
        )
        self.temporary_issued_at = self.portal.clock.now()

    def temporary_matches(self, password: str) -> bool:
        return (
            self.temporary_valid()
            and self.temporary is not None
            and self.temporary.matches(self._temporary_form(password))
        )

    # -- guards (vocabulary.conditions) ---------------------------------------------------
    def failure_reaches_lockout_threshold(self) -> bool:
        return self.failed_attempts + 1 >= self.portal.parameters.lockout_threshold

    def auto_unlock_due(self) -> bool:
        minutes = self.portal.parameters.auto_unlock_after_minutes
        if minutes is None or self.locked_at is None:
            return False
        return self.portal.clock.now() >= self.locked_at + dt.timedelta(minutes=minutes)

    # -- actions (vocabulary.actions) -----------------------------------------------------
    def count_failure(self) -> None:
        self.failed_attempts += 1

    def reset_failure_count(self) -> None:
        self.failed_attempts = 0

    def lock_account(self) -> None:
        self.locked_at = self.portal.clock.now()

    def unlock_account(self) -> None:
        if self.locked_at is not None:
            self.locked_for.append(self.portal.clock.now() - self.locked_at)
        self.locked_at = None

    def view(self) -> AccountView:
        """A read-only copy of what the account holds, for testers."""
        now = self.portal.clock.now()
        return AccountView(
            user_name=self.user_name,
            lockout_state=self.state,
            locked=self.locked,
            failed_attempts=self.failed_attempts,
            temporary_password_valid=self.temporary_valid(),
            password_changes=self.password_changes,
            locked_for=tuple(self.locked_for),
            temporary_password_age=(
                None if self.temporary_issued_at is None else now - self.temporary_issued_at
            ),
            locked_since=None if self.locked_at is None else now - self.locked_at,
        )
