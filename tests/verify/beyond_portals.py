"""Broken portals beyond the suite's fault domain (issue 24): bugs that show only after
repeated lock-out and reset cycles, after waits far past the lifetimes' edges, or for
particular producers' data. Each is one realistic mistake; `rpp verify`'s random walks
(:mod:`simulator.verify.walks`) must kill every one and name it.

Built as :mod:`tests.verify.broken_portals` builds its own: the reference portal with a
broken session or account model.
"""

from __future__ import annotations

import datetime as dt
import re

from simulator.portal.account import Account
from simulator.portal.forms import AGENT_UNIQUE_ID, EMAIL, USER_NAME
from simulator.portal.session import Session
from tests.verify.broken_portals import BrokenPortal, _models

__all__ = ["BEYOND_THE_SUITE", "KINDS"]

KINDS = ("repeated cycles", "long waits", "producers' data")


# -- repeated cycles ---------------------------------------------------------------------


class ThirdLockSurvivesReset(Account):
    """A lock counter never cleared: from the third lock on, Update Password leaves the
    account locked."""

    locks = 0

    def lock_account(self) -> None:
        self.locks += 1
        super().lock_account()

    def unlock_account(self) -> None:
        super().unlock_account()
        if self.locks >= 3:
            self.state = "locked"
            self.locked_at = self.portal.clock.now()


class OneFailureLeftAfterSecondUnlock(Account):
    """An unlock path written twice: from the second unlock on, the failure count is
    left at one, so the next lock comes a failure early."""

    unlocks = 0

    def unlock_account(self) -> None:
        super().unlock_account()
        self.unlocks += 1
        if self.unlocks >= 2:
            self.failed_attempts = 1


class ThirdResetEmailSwallowed(Session):
    """A silent throttle: from the third reset request of an account on, the confirmation
    shows but no email is sent."""

    def issue_temporary_password(self) -> None:
        account = self._typed_account()
        if account is not None:
            asked = getattr(account, "resets_asked", 0) + 1
            account.resets_asked = asked  # type: ignore[attr-defined]
            if asked >= 3:
                return
        super().issue_temporary_password()


# -- long waits ----------------------------------------------------------------------------


class FailuresForgottenAfterAnHour(Account):
    """A sliding window: failures older than an hour no longer count toward the lock."""

    last_failure: dt.datetime | None = None

    def failure_reaches_lockout_threshold(self) -> bool:
        self._forget_stale()
        return super().failure_reaches_lockout_threshold()

    def count_failure(self) -> None:
        self._forget_stale()
        super().count_failure()
        self.last_failure = self.portal.clock.now()

    def _forget_stale(self) -> None:
        now = self.portal.clock.now()
        if self.last_failure is not None and now - self.last_failure > dt.timedelta(hours=1):
            self.failed_attempts = 0
            self.last_failure = None


class LockLapsesAfterADay(Account):
    """A lock stored with a one-day expiry in a cache: it lapses even when auto-unlock is
    off."""

    def auto_unlock_due(self) -> bool:
        if self.locked_at is not None and self.portal.parameters.auto_unlock_after_minutes is None:
            return self.portal.clock.now() >= self.locked_at + dt.timedelta(days=1)
        return super().auto_unlock_due()


class TemporaryPasswordValidAgainNextDay(Account):
    """The lifetime compared on the time of day only: an expired temporary password works
    again the next day."""

    def temporary_valid(self) -> bool:
        if self.temporary is None or self.temporary_issued_at is None:
            return False
        age = (self.portal.clock.now() - self.temporary_issued_at) % dt.timedelta(days=1)
        return age < dt.timedelta(minutes=self.portal.parameters.temporary_password_valid_minutes)


# -- producers' data -----------------------------------------------------------------------


class AgentUniqueIdAsNumber(Session):
    """The Agent Unique ID kept as a number: an ID with leading zeros never matches, so
    its user-name email is never sent."""

    def send_username_email(self) -> None:
        typed = self._typed(AGENT_UNIQUE_ID).strip()
        if typed.isdigit():
            self.form[AGENT_UNIQUE_ID] = str(int(typed))
        super().send_username_email()


class PlusAddressNormalisedOneSide(Session):
    """The typed address loses its +tag (mail-provider style), the one on file keeps it:
    a producer with a +address gets no email from either form."""

    def _strip_tag(self) -> None:
        self.form[EMAIL] = re.sub(r"\+[^@]*@", "@", self._typed(EMAIL))

    def send_username_email(self) -> None:
        self._strip_tag()
        super().send_username_email()

    def issue_temporary_password(self) -> None:
        self._strip_tag()
        super().issue_temporary_password()


class DigitsOnlyUserNameRefused(Session):
    """A user name of digits only is taken for an Agent Unique ID and never signs in."""

    def credentials_accepted(self) -> bool:
        return super().credentials_accepted() and not self._typed(USER_NAME).strip().isdigit()


class UserNamesEmailedInLowerCase(Session):
    """The user-name email lists the names as the database's case-folded index holds
    them, not as the producers chose them."""

    def send_username_email(self) -> None:
        send = self.portal.send

        def lower(kind: str, to: str, **fields: str | list[str]) -> None:
            names = fields.get("user_names")
            if isinstance(names, list):
                fields["user_names"] = [n.lower() for n in names]
            send(kind, to, **fields)

        self.portal.send = lower  # type: ignore[method-assign]
        try:
            super().send_username_email()
        finally:
            del self.portal.send


BEYOND_THE_SUITE: tuple[tuple[str, BrokenPortal], ...] = (
    (
        "repeated cycles",
        BrokenPortal(
            "third-lock-survives-reset",
            ("LOCK-4",),
            "a lock counter never cleared: from the third lock on, a reset unlocks nothing",
            _models(account=ThirdLockSurvivesReset),
        ),
    ),
    (
        "repeated cycles",
        BrokenPortal(
            "one-failure-left-after-second-unlock",
            ("LOCK-2", "LOCK-4"),
            "from the second unlock on, the failure count is left at one",
            _models(account=OneFailureLeftAfterSecondUnlock),
        ),
    ),
    (
        "repeated cycles",
        BrokenPortal(
            "third-reset-email-swallowed",
            ("RESET-5",),
            "a silent throttle: the third reset request of an account sends no email",
            _models(session=ThirdResetEmailSwallowed),
        ),
    ),
    (
        "long waits",
        BrokenPortal(
            "failures-forgotten-after-an-hour",
            ("LOCK-2",),
            "failures older than an hour no longer count toward the lock",
            _models(account=FailuresForgottenAfterAnHour),
        ),
    ),
    (
        "long waits",
        BrokenPortal(
            "lock-lapses-after-a-day",
            ("LOCK-3",),
            "the lock lapses after a day although auto-unlock is off",
            _models(account=LockLapsesAfterADay),
        ),
    ),
    (
        "long waits",
        BrokenPortal(
            "temporary-password-valid-again-next-day",
            ("RESET-7",),
            "the temporary password's lifetime is compared on the time of day only",
            _models(account=TemporaryPasswordValidAgainNextDay),
        ),
    ),
    (
        "producers' data",
        BrokenPortal(
            "agent-unique-id-as-number",
            ("USER-4",),
            "an Agent Unique ID with leading zeros never matches (kept as a number)",
            _models(session=AgentUniqueIdAsNumber),
        ),
    ),
    (
        "producers' data",
        BrokenPortal(
            "plus-address-normalised-one-side",
            ("USER-4", "RESET-3"),
            "the typed address loses its +tag, the one on file keeps it",
            _models(session=PlusAddressNormalisedOneSide),
        ),
    ),
    (
        "producers' data",
        BrokenPortal(
            "digits-only-user-name-refused",
            ("LOGIN-2",),
            "a user name of digits only is taken for an Agent Unique ID and never signs in",
            _models(session=DigitsOnlyUserNameRefused),
        ),
    ),
    (
        "producers' data",
        BrokenPortal(
            "user-names-emailed-in-lower-case",
            ("USER-6",),
            "the user-name email lists the names case-folded",
            _models(session=UserNamesEmailedInLowerCase),
        ),
    ),
)
