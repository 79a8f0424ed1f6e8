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
from simulator.portal.forms import (
    AGENT_UNIQUE_ID,
    CURRENT_PASSWORD,
    EMAIL,
    USER_NAME,
    normalize_identifier,
)
from simulator.portal.passwords import PasswordHash
from simulator.portal.session import Session
from tests.verify.broken_portals import BrokenPortal, _models

__all__ = ["BEYOND_THE_SUITE", "KINDS"]

KINDS = (
    "across parts",
    "repeated cycles",
    "long waits",
    "producers' data",
    "state shared between producers",
    "emails to shared addresses",
    "other open browsers",
)


# -- across parts -----------------------------------------------------------------------


class UsernameRequestClearsFailures(Session):
    """The username flow reuses the reset flow's "fresh start" helper: a user-name
    request clears the failure count of the accounts at the address."""

    def send_username_email(self) -> None:
        super().send_username_email()
        for account in self.portal.accounts_at(self._typed(EMAIL)):
            account.failed_attempts = 0


class TemporaryPasswordSurvivesPasswordChange(Session):
    """Edit Profile's password change forgets the reset's pending temporary password:
    it still signs in after the producer chose a new password."""

    def change_password(self) -> None:
        account = self.account
        assert account is not None
        temporary, issued = account.temporary, account.temporary_issued_at
        super().change_password()
        account.temporary, account.temporary_issued_at = temporary, issued


class StateChoiceForgetsTemporarySignIn(Session):
    """Choosing a state rebuilds the session and drops how it signed in: after a
    temporary sign-in the password from before the reset is taken as current again."""

    def remember_state(self) -> None:
        super().remember_state()
        self.signed_in_with_temporary = False


class UsernameRequestRestartsTemporaryPassword(Session):
    """The two recovery forms share one "recovery requested at" column, and the temporary
    password's lifetime is read from it: a user-name request restarts the pending
    temporary password's lifetime, an expired one's too."""

    def send_username_email(self) -> None:
        super().send_username_email()
        for account in self.portal.accounts_at(self._typed(EMAIL)):
            if account.temporary is not None:
                account.temporary_issued_at = self.portal.clock.now()


class _KeepsTemporaryPasswordOfSignIn(Session):
    """A session that keeps the account's temporary password (its reset token) as it was
    when the session signed in."""

    kept_temporary: PasswordHash | None = None

    def record_login_success(self) -> None:
        super().record_login_success()
        assert self.account is not None
        self.kept_temporary = self.account.temporary


class ChangeVoidsOnlyTemporaryPasswordSeenAtSignIn(_KeepsTemporaryPasswordOfSignIn):
    """The session keeps the reset token the account had when it signed in, and Update
    Password deletes that token only: a temporary password emailed while the producer
    was signed in (a reset asked in another browser) still signs in after the change."""

    def change_password(self) -> None:
        account = self.account
        assert account is not None
        temporary, issued = account.temporary, account.temporary_issued_at
        super().change_password()
        if temporary is not None and temporary is not self.kept_temporary:
            account.temporary, account.temporary_issued_at = temporary, issued


class ResetRequestEndsSessions(Session):
    """A reset request is taken for a security event: it bumps the account's session
    generation (the counter a password change bumps), so every signed-in browser of the
    account is signed out, although no password changed."""

    def issue_temporary_password(self) -> None:
        account = self._typed_account()
        before = account.temporary if account is not None else None
        super().issue_temporary_password()
        if account is not None and account.temporary is not before:
            account.password_changes += 1


class SessionKeepsItsTemporaryPassword(_KeepsTemporaryPasswordOfSignIn):
    """The session keeps the temporary password it signed in with and takes it as the
    Current Password without asking the account: after a newer reset (asked in another
    browser) the voided one still changes the password."""

    def current_password_correct(self) -> bool:
        kept, account = self.kept_temporary, self.account
        if self.signed_in_with_temporary and kept is not None and account is not None:
            return kept.matches(account._temporary_form(self._typed(CURRENT_PASSWORD))) or (
                super().current_password_correct()
            )
        return super().current_password_correct()


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


class UpperCaseDomainNotMatched(Session):
    """The addresses on file are kept lower-cased and the user-name form compares the
    typed one as typed: an address with an upper-case domain matches nobody."""

    def send_username_email(self) -> None:
        typed = self._typed(EMAIL).strip()
        if typed != typed.lower():
            self.form[EMAIL] = "nobody@example.invalid"
        super().send_username_email()


# -- state shared between producers -------------------------------------------------------


class _AtTheAddress(Account):
    def neighbours(self) -> list[Account]:
        """The other accounts registered at this account's address."""
        return [a for a in self.portal.accounts_at(self.email) if a is not self]


class FailuresCountedPerAddress(_AtTheAddress):
    """The failure counter keyed by email address: a failure of one producer counts for
    every account at the address."""

    def count_failure(self) -> None:
        super().count_failure()
        for other in self.neighbours():
            other.failed_attempts += 1


class LockedPerAddress(_AtTheAddress):
    """The lock flag kept on the address's row: locking one account locks every account
    at the address."""

    def lock_account(self) -> None:
        super().lock_account()
        for other in self.neighbours():
            if not other.locked:
                other.state = "locked"
                other.locked_at = self.portal.clock.now()


class TemporaryPasswordPerAddress(_AtTheAddress):
    """The temporary password stored on the address: it signs in every account there."""

    def store_temporary_password(self, temporary: str) -> None:
        super().store_temporary_password(temporary)
        for other in self.neighbours():
            other.temporary = PasswordHash.of(
                other._temporary_form(temporary), self.portal.hash_iterations
            )
            other.temporary_issued_at = self.temporary_issued_at


# -- emails to shared addresses -----------------------------------------------------------


class UsernameEmailListsMatchedOnly(Session):
    """The user-name email lists the one producer whose Agent Unique ID was typed, not
    every user name linked to the address."""

    def send_username_email(self) -> None:
        auid = self._typed(AGENT_UNIQUE_ID).strip()
        linked = self.portal.accounts_at(self._typed(EMAIL))
        mine = [a for a in linked if a.agent_unique_id == auid]
        if mine and self.portal.recovery_allowed(mine[0].email):
            self.portal.send("username", mine[0].email, user_names=[mine[0].user_name])
        else:
            super().send_username_email()


class UsernameEmailPerAccount(Session):
    """A loop over the linked accounts sends one user-name email per account."""

    def send_username_email(self) -> None:
        auid = self._typed(AGENT_UNIQUE_ID).strip()
        linked = self.portal.accounts_at(self._typed(EMAIL))
        if len(linked) > 1 and any(a.agent_unique_id == auid for a in linked):
            names = [a.user_name for a in linked]
            for account in linked:
                self.portal.send("username", account.email, user_names=names)
        else:
            super().send_username_email()


class ResetByAddressPicksFirstAccount(Session):
    """Reset Password? with an address resets the first account registered at it,
    whichever of its user names was typed."""

    def issue_temporary_password(self) -> None:
        named = self._typed_account()
        typed = self._typed(EMAIL)
        linked = self.portal.accounts_at(typed)
        if (
            named is not None
            and linked
            and normalize_identifier(named.email) == (normalize_identifier(typed))
        ):
            self.form[USER_NAME] = linked[0].user_name
        super().issue_temporary_password()


# -- other open browsers ------------------------------------------------------------------


class TemporarySessionsSurviveChange(Session):
    """Sessions signed in with a temporary password are not ended by a password change
    in another browser (they are kept in a table of their own)."""

    def session_ended(self) -> bool:
        return super().session_ended() and not self.signed_in_with_temporary


class SessionsEndedOnlyByOneChange(Session):
    """The check compares the change counter with the session's plus one: after two
    changes elsewhere, the old session is signed in again."""

    def session_ended(self) -> bool:
        account = self.account
        return account is not None and account.password_changes == self.signed_in_at_change + 1


class LockEndsOtherSessions(Session):
    """A lock ends every session of the account (the guide ends sessions only on a
    password change)."""

    def session_ended(self) -> bool:
        account = self.account
        return super().session_ended() or (account is not None and account.locked)


BEYOND_THE_SUITE: tuple[tuple[str, BrokenPortal], ...] = (
    *(
        ("across parts", p)
        for p in (
            BrokenPortal(
                "username-request-clears-failures",
                ("LOCK-2", "USER-4"),
                "a user-name request clears the failure count of the accounts at the address",
                _models(session=UsernameRequestClearsFailures),
            ),
            BrokenPortal(
                "temporary-password-survives-password-change",
                ("RESET-7", "RESET-9"),
                "a pending temporary password still signs in after a password change",
                _models(session=TemporaryPasswordSurvivesPasswordChange),
            ),
            BrokenPortal(
                "state-choice-forgets-temporary-sign-in",
                ("decision:temporary-session-current-password",),
                "choosing a state drops the temporary sign-in: the old password is current",
                _models(session=StateChoiceForgetsTemporarySignIn),
            ),
            BrokenPortal(
                "username-request-restarts-temporary-password",
                ("USER-4", "RESET-7", "decision:temporary-password-lifetime"),
                "a user-name request restarts the pending temporary password's lifetime",
                _models(session=UsernameRequestRestartsTemporaryPassword),
            ),
            BrokenPortal(
                "change-voids-only-temporary-password-seen-at-sign-in",
                ("RESET-11", "decision:temporary-password-rules"),
                "Update Password voids only the temporary password pending at sign-in",
                _models(session=ChangeVoidsOnlyTemporaryPasswordSeenAtSignIn),
            ),
            BrokenPortal(
                "reset-request-ends-sessions",
                ("decision:password-change-ends-other-sessions",),
                "a reset request signs out every browser signed in to the account",
                _models(session=ResetRequestEndsSessions),
            ),
            BrokenPortal(
                "session-keeps-its-temporary-password",
                ("decision:temporary-session-current-password",),
                "after a newer reset, the voided temporary password is still a Current Password",
                _models(session=SessionKeepsItsTemporaryPassword),
            ),
        )
    ),
    *(
        ("state shared between producers", p)
        for p in (
            BrokenPortal(
                "failures-counted-per-address",
                ("LOCK-2",),
                "a failure of one producer counts for every account at the address",
                _models(account=FailuresCountedPerAddress),
            ),
            BrokenPortal(
                "locked-per-address",
                ("LOCK-3",),
                "locking one account locks every account at the address",
                _models(account=LockedPerAddress),
            ),
            BrokenPortal(
                "temporary-password-per-address",
                ("RESET-5",),
                "the temporary password signs in every account at the address",
                _models(account=TemporaryPasswordPerAddress),
            ),
        )
    ),
    *(
        ("emails to shared addresses", p)
        for p in (
            BrokenPortal(
                "username-email-lists-matched-only",
                ("USER-4",),
                "the user-name email lists only the producer whose Agent Unique ID was typed",
                _models(session=UsernameEmailListsMatchedOnly),
            ),
            BrokenPortal(
                "username-email-per-account",
                ("USER-4",),
                "one user-name email per account linked to the address",
                _models(session=UsernameEmailPerAccount),
            ),
            BrokenPortal(
                "reset-by-address-picks-first-account",
                ("RESET-3", "RESET-5"),
                "Reset Password? with an address resets the first account registered at it",
                _models(session=ResetByAddressPicksFirstAccount),
            ),
        )
    ),
    *(
        ("other open browsers", p)
        for p in (
            BrokenPortal(
                "temporary-sessions-survive-change",
                ("decision:password-change-ends-other-sessions",),
                "sessions signed in with a temporary password survive a change elsewhere",
                _models(session=TemporarySessionsSurviveChange),
            ),
            BrokenPortal(
                "sessions-ended-only-by-one-change",
                ("decision:password-change-ends-other-sessions",),
                "after two changes elsewhere, an old session is signed in again",
                _models(session=SessionsEndedOnlyByOneChange),
            ),
            BrokenPortal(
                "lock-ends-other-sessions",
                ("LOCK-3", "decision:password-change-ends-other-sessions"),
                "a lock ends every session of the account",
                _models(session=LockEndsOtherSessions),
            ),
        )
    ),
    (
        "producers' data",
        BrokenPortal(
            "upper-case-domain-not-matched",
            ("USER-4", "decision:identifiers-case"),
            "the user-name form looks an address up without folding its case",
            _models(session=UpperCaseDomainNotMatched),
        ),
    ),
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
